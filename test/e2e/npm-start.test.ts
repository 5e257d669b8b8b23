import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { slackHeaders, slashCommandBody, viewSubmissionBody } from '../../shared/testing/slack-requests.ts';
import { createTestDatabase, type TestDatabase } from '../../shared/testing/test-db.ts';

const devSecret = 'coffeebuddy-local-dev-signing-secret';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/** `npm start` as a user runs it, with extra environment. */
async function npmStart(env: Record<string, string>): Promise<{ url: string; output: () => string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev.ts'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600 && !output.includes('CoffeeBuddy is running'); i++) {
    if (child.exitCode !== null) throw new Error(`npm start exited: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, output: () => output, child };
}

async function coffee(url: string, text: string, channelId: string): Promise<Response> {
  const body = slashCommandBody({ text, channelId });
  return fetch(`${url}/slack/commands`, { method: 'POST', headers: slackHeaders(devSecret, body, new Date()), body });
}

describe('npm start', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const stopOnCleanup = (child: ChildProcess) =>
    cleanups.push(async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    });

  it('runs on the embedded defaults: PGlite, in-process bus, printing Slack emulator', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'coffeebuddy-pglite-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const app = await npmStart({ COFFEEBUDDY_DATA_DIR: dataDir, LOG_LEVEL: 'info' });
    stopOnCleanup(app.child);
    expect((await fetch(`${app.url}/health/ready`)).status).toBe(200);
    const response = await coffee(app.url, 'in 20m Lobby', 'CE2E1');
    expect(response.status).toBe(200);
    await expect.poll(app.output).toMatch(/\[slack\] chat\.postMessage channel=CE2E1/);
    expect(app.output()).toContain('curl -sS -X POST');

    // The whole flow on PGlite: an order in one click… then close, runner, summary and DM.
    // The run id is in the JSON log line (correlation id) of the run start.
    const runId = /"msg":"run started"[^\n]*"runId":"([0-9a-f-]{36})"/.exec(app.output())?.[1];
    expect(runId).toBeDefined();
    const post = (body: string) =>
      fetch(`${app.url}/slack/interactions`, { method: 'POST', headers: slackHeaders(devSecret, body, new Date()), body });
    expect((await post(viewSubmissionBody({
      userId: 'U0001',
      privateMetadata: JSON.stringify({ runId, channelId: 'CE2E1', usuals: [] }),
      input: { drink: 'Latte', size: 'Medium' },
    }))).status).toBe(200);
    expect((await coffee(app.url, 'close', 'CE2E1')).status).toBe(200);
    await expect.poll(app.output, { timeout: 20_000 }).toMatch(/\[slack\] chat\.postMessage channel=CE2E1 ":coffee: Coffee run closed: <@U0001> is going/);
    await expect.poll(app.output, { timeout: 20_000 }).toMatch(/\[slack\] chat\.postMessage channel=DU0001/);
  }, 120_000);

  it('runs the same flow on Postgres and Kafka when DATABASE_URL and KAFKA_BROKERS are set', async () => {
    const db: TestDatabase = await createTestDatabase();
    cleanups.push(() => db.drop());
    const app = await npmStart({
      DATABASE_URL: db.url,
      KAFKA_BROKERS: inject('kafkaBrokers'),
      KAFKA_TOPIC_PREFIX: `e2e${Date.now()}.`,
    });
    stopOnCleanup(app.child);
    expect(await (await fetch(`${app.url}/health/ready`)).json()).toMatchObject({ checks: { database: true, events: true } });
    expect((await coffee(app.url, 'in 20m Lobby', 'CE2E2')).status).toBe(200);
    await expect.poll(app.output).toMatch(/\[slack\] chat\.postMessage channel=CE2E2/);
    await expect
      .poll(async () => (await db.sql<{ publishedAt: Date | null }[]>`select published_at from outbox`)[0]?.publishedAt ?? null, {
        timeout: 15_000,
      })
      .toBeInstanceOf(Date);
  }, 120_000);
});
