import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../scripts/kafka-broker.sh', import.meta.url));

/** A real single-node KRaft broker started by scripts/kafka-broker.sh. */
export interface Broker {
  brokers: string;
  dir: string;
}

async function broker(args: string[]): Promise<Broker> {
  const { stdout } = await run('bash', [script, ...args], { timeout: 240_000, maxBuffer: 1 << 20 });
  const brokers = /KAFKA_BROKERS=(\S+)/.exec(stdout)?.[1];
  const dir = /KAFKA_DIR=(\S+)/.exec(stdout)?.[1];
  if (!brokers || !dir) throw new Error(`kafka-broker.sh printed no address: ${stdout}`);
  return { brokers, dir };
}

/** Start a fresh broker on free loopback ports. */
export function startBroker(): Promise<Broker> {
  return broker(['start']);
}

/** Stop the broker; keep its data (to start it again on the same ports) or delete it. */
export async function stopBroker(target: Broker, options: { keep?: boolean } = {}): Promise<void> {
  await run('bash', [script, 'stop', '--dir', target.dir, ...(options.keep ? ['--keep'] : [])], { timeout: 60_000 });
}

/** Start a stopped (or running) broker again on the same ports with the same data. */
export function restartBroker(target: Broker): Promise<Broker> {
  return broker(['restart-same', '--dir', target.dir]);
}
