import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../scripts/kafka-broker.sh', import.meta.url));

/** The SCRAM listeners of a broker started with `--sasl`, and how to log in (scripts/kafka-broker.sh). */
export interface SaslListeners {
  /** SASL_PLAINTEXT with SCRAM-SHA-512 and SCRAM-SHA-256. */
  brokers: string;
  /** SASL_SSL with the same mechanisms, behind a self-signed certificate for 127.0.0.1. */
  sslBrokers: string;
  /** PEM of that certificate. */
  caFile: string;
  username: string;
  password: string;
}

/** A real single-node KRaft broker started by scripts/kafka-broker.sh. */
export interface Broker {
  brokers: string;
  dir: string;
  /** Present when started with `sasl: true`. */
  sasl?: SaslListeners;
}

/** The SCRAM user scripts/kafka-broker.sh creates (SASL_USER / SASL_PASSWORD there). */
export const testSaslCredentials = { username: 'coffeebuddy', password: 'coffeebuddy-local-password' } as const;

/** The SCRAM listeners printed by the script, given its `KAFKA_SASL_BROKERS`, `KAFKA_SASL_SSL_BROKERS` and `KAFKA_DIR`. */
export function saslListenersOf(values: { saslBrokers?: string; saslSslBrokers?: string; dir?: string }): SaslListeners | undefined {
  if (!values.saslBrokers || !values.saslSslBrokers || !values.dir) return undefined;
  return { brokers: values.saslBrokers, sslBrokers: values.saslSslBrokers, caFile: join(values.dir, 'tls', 'ca.pem'), ...testSaslCredentials };
}

async function broker(args: string[]): Promise<Broker> {
  const { stdout } = await run('bash', [script, ...args], { timeout: 240_000, maxBuffer: 1 << 20 });
  const field = (name: string) => new RegExp(`(?:^|\\s)${name}=(\\S+)`).exec(stdout)?.[1];
  const brokers = field('KAFKA_BROKERS');
  const dir = field('KAFKA_DIR');
  if (!brokers || !dir) throw new Error(`kafka-broker.sh printed no address: ${stdout}`);
  const sasl = saslListenersOf({ saslBrokers: field('KAFKA_SASL_BROKERS'), saslSslBrokers: field('KAFKA_SASL_SSL_BROKERS'), dir });
  return { brokers, dir, ...(sasl ? { sasl } : {}) };
}

/** Start a fresh broker on free loopback ports; `sasl` adds its SCRAM listeners (plain and TLS). */
export function startBroker(options: { sasl?: boolean } = {}): Promise<Broker> {
  return broker(['start', ...(options.sasl ? ['--sasl'] : [])]);
}

/** Stop the broker; keep its data (to start it again on the same ports) or delete it. */
export async function stopBroker(target: Broker, options: { keep?: boolean } = {}): Promise<void> {
  await run('bash', [script, 'stop', '--dir', target.dir, ...(options.keep ? ['--keep'] : [])], { timeout: 60_000 });
}

/** Start a stopped (or running) broker again on the same ports with the same data. */
export function restartBroker(target: Broker): Promise<Broker> {
  return broker(['restart-same', '--dir', target.dir]);
}
