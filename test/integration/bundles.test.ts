import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { buildAll } from '../../scripts/bundle.ts';

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

async function waitForLive(url: string, child: ChildProcess, stderr: () => string): Promise<Response> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${stderr()}`);
    try {
      return await fetch(`${url}/health/live`);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`never answered: ${stderr()}`);
}

describe('npm run build: one bundle per function, each starting alone', () => {
  let outRoot: string;
  let sizes: Record<string, number>;
  beforeAll(async () => {
    outRoot = await mkdtemp(join(tmpdir(), 'coffeebuddy-dist-'));
    sizes = await buildAll(outRoot);
  });
  afterAll(async () => {
    await rm(outRoot, { recursive: true, force: true });
  });

  it('bundles all six functions', () => {
    expect(Object.keys(sizes).sort()).toEqual(registry.map((fn) => fn.name).sort());
    expect(Object.keys(sizes)).toHaveLength(6);
  });

  it.each(registry.map((fn) => fn.name))(
    '%s answers /health/live with Postgres, Kafka and Slack unreachable, reports not ready, and drains on SIGTERM',
    async (name) => {
      const port = await freePort();
      const child = spawn(process.execPath, [join(outRoot, name, 'index.mjs')], {
        env: {
          PATH: process.env.PATH,
          PORT: String(port),
          DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere',
          SLACK_BOT_TOKEN: 'xoxb-unused',
          SLACK_API_URL: 'http://127.0.0.1:1/api/',
          SLACK_SIGNING_SECRET: 'unused',
          KAFKA_BROKERS: '127.0.0.1:1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdout!.resume();
      try {
        const url = `http://127.0.0.1:${port}`;
        const live = await waitForLive(url, child, () => stderr);
        expect(live.status).toBe(200);
        const ready = await fetch(`${url}/health/ready`);
        expect(ready.status).toBe(503);
        const { checks } = (await ready.json()) as { checks: Record<string, boolean> };
        expect(checks.database).toBe(false);
        // Kafka is a readiness condition only for functions that publish events.
        const publishes = registry.find((fn) => fn.name === name)!.publishes.length > 0;
        expect(checks.events).toBe(publishes ? false : undefined);
        child.kill('SIGTERM');
        const [code] = await once(child, 'exit');
        expect(code).toBe(0);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    },
  );

  it('refuses to start with missing configuration, naming every missing variable', async () => {
    const child = spawn(process.execPath, [join(outRoot, 'slash-command', 'index.mjs')], {
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    for (const name of ['DATABASE_URL', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET']) expect(stderr).toContain(name);
    expect(stderr).not.toContain('    at ');
  });
});
