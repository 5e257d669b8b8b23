/**
 * One function's bundle started as its own OS process, as a pod of its Knative Service runs it:
 * `node dist/<name>/index.mjs` on the image's Node, configured only by its environment. Several of
 * these against one database are what "several pods" means, without sharing any memory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { CloudEventV1 } from 'cloudevents';
import type { TokenSource } from '../../scripts/local/local-issuer.ts';
import { toBinaryHttp } from '../../shared/events/http-binding.ts';
import { eventPath, type FunctionName } from '../../shared/function.ts';
import { freePort } from '../../scripts/free-port.ts';
import { node24Binary } from '../../scripts/node-binaries.ts';
import { bundleCoverageEnv } from './bundle-coverage.ts';

/** A started bundle: where it listens, and how to talk to it as its senders do. */
export interface FunctionProcess {
  name: FunctionName;
  url: string;
  /** POST to an internal endpoint (`/events/<name>`, `/ticks/<timer>`, `/sweep`) with a token for this function's audience. */
  post(path: string, request?: { headers?: Record<string, string>; body?: string }): Promise<Response>;
  /** Deliver an event in binary mode, as a KafkaSource does, to `/events/<name>`. */
  deliver(event: CloudEventV1<unknown>): Promise<Response>;
  /** What it wrote to stdout and stderr so far (its JSON log lines). */
  output(): string;
  /** SIGTERM, and wait for it to drain and exit. */
  stop(): Promise<void>;
}

/**
 * Start `<dist>/<name>/index.mjs` with `env` (and a free `PORT`), and wait until it reports ready
 * (its pool's connections open), so a race started next is between two warm pods.
 */
export async function startFunctionProcess(args: {
  dist: string;
  name: FunctionName;
  env: Record<string, string>;
  issuer: TokenSource;
}): Promise<FunctionProcess> {
  const port = await freePort();
  const child = spawn(node24Binary(), ['--enable-source-maps', join(args.dist, args.name, 'index.mjs')], {
    env: { PATH: process.env.PATH ?? '', ...bundleCoverageEnv(), ...args.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const url = `http://127.0.0.1:${port}`;
  const audience = `coffeebuddy-${args.name}`;
  const post: FunctionProcess['post'] = async (path, request = {}) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await args.issuer.token(audience)}`, ...request.headers },
      ...(request.body === undefined ? {} : { body: request.body }),
    });
  const started: FunctionProcess = {
    name: args.name,
    url,
    post,
    deliver: (event) => post(eventPath(args.name), toBinaryHttp(event)),
    output: () => output,
    stop: () => stop(child),
  };
  try {
    await waitUntilReady(url, child, () => output);
  } catch (error) {
    await stop(child);
    throw error;
  }
  return started;
}

async function waitUntilReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${output()}`);
    const ready = await fetch(`${url}/health/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`never ready: ${output()}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}
