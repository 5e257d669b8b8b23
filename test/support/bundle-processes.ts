/**
 * Functions as Knative runs them: each bundle (`dist/<name>/index.mjs`) in its own OS process on
 * the image's Node, so two of them share nothing but the database and Slack, as two pods do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { CloudEventV1 } from 'cloudevents';
import type { FunctionName } from '../../shared/function.ts';
import { toBinaryHttp } from '../../shared/events/http-binding.ts';
import { freePort } from '../../scripts/free-port.ts';
import { node24Binary } from '../../scripts/node-binaries.ts';

/** One running process of a function's bundle. */
export interface BundleProcess {
  name: FunctionName;
  url: string;
  /** Everything it wrote to stdout and stderr so far (JSON log lines). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Start `dist/<name>/index.mjs` under `distDir` with exactly `env` (plus PATH and a free PORT),
 * and wait until it reports ready (its pool's connections open).
 */
export async function startBundle(distDir: string, name: FunctionName, env: Record<string, string>): Promise<BundleProcess> {
  const port = await freePort();
  const child = spawn(node24Binary(), ['--enable-source-maps', join(distDir, name, 'index.mjs')], {
    env: { PATH: process.env.PATH, PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (chunk: Buffer) => (output += chunk.toString());
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const url = `http://127.0.0.1:${port}`;
  const process_: BundleProcess = { name, url, output: () => output, stop: () => stop(child) };
  try {
    await waitUntilReady(url, child, () => output);
  } catch (error) {
    await stop(child);
    throw error;
  }
  return process_;
}

async function waitUntilReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${output()}`);
    const ready = await fetch(`${url}/health/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`never ready: ${output()}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/** POST a CloudEvent in binary mode, as KafkaSource delivers, with a bearer token. */
export function postEvent(target: BundleProcess, event: CloudEventV1<unknown>, token: string): Promise<Response> {
  const { headers, body } = toBinaryHttp(event);
  return fetch(`${target.url}/events/${target.name}`, { method: 'POST', headers: { ...headers, authorization: `Bearer ${token}` }, body });
}

/** POST to an internal endpoint without a body (`/sweep`, `/ticks/<name>`), as a PingSource does. */
export function postInternal(target: BundleProcess, path: string, token: string): Promise<Response> {
  return fetch(`${target.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
}

/** The log lines a process wrote at level error. */
export function errorLines(target: BundleProcess): string[] {
  return target
    .output()
    .split('\n')
    .filter((line) => line.includes('"level":"error"'));
}
