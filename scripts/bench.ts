/**
 * `npm run bench`: figures, not pass/fail. `/coffee` side by side with a minimal Slack Bolt app
 * (throughput and latency at 20 and 100 concurrent, cold start to the first `/coffee` answered),
 * latency of `/coffee` over signed HTTP against the real Postgres (DATABASE_URL or
 * 127.0.0.1:5432) and the Slack emulator, order submits and close → summary on the in-process bus
 * and through a real Kafka broker (KAFKA_BROKERS, else one started with scripts/kafka-broker.sh),
 * the fairness history query at 100,000 runs, a simulated busy day through `npm start`, the admin
 * retention tick on 10,000 expired runs, each bundle's size and cold start to `/health/live`,
 * how long a new run's message takes to appear when Slack's first answers to it fail, and how fast
 * users are answered while Slack rate-limits or Postgres is partitioned (the tests check which
 * answer they get, these figures how soon).
 *
 * The bundles are measured as the image runs them: `npm run build`'s dist/, copied alone into an
 * empty folder and started from there on the image's Node 24 (scripts/node-binaries.ts). A bundle
 * answering anything but 200 stops the bench with one line naming it, the request and the status,
 * and exit code 1. The other sections run the sources in this process, on the development Node.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { servedHistory } from '../functions/fairness-assign/queries.ts';
import { registry } from '../functions/registry.ts';
import type { EmulatedFailure } from './local/emulator.ts';
import { startTestStack, testSigningSecret } from '../test/support/harness.ts';
import { startTcpProxy } from '../test/support/tcp-proxy.ts';

/** The benches time the bot at a load no Slack workspace would allow; waiting out Slack's limits would time Slack instead. */
const benchOwnTime = { reason: "the bench measures the bot's own time at loads beyond Slack's rate limits" };
import { startBroker, stopBroker, type Broker } from '../test/support/kafka-broker.ts';
import { createRunDriver } from '../test/support/run-driver.ts';
import { seedOtherChannels, seedRuns } from '../test/support/seed-runs.ts';
import { slackHeaders, slashCommandBody } from '../test/support/slack-requests.ts';
import { adminDatabaseUrl, createTestDatabase } from '../test/support/test-db.ts';
import { BundleFailure } from './bench/bundle-failure.ts';
import { benchBundleOrders } from './bench/bundle-orders.ts';
import { ms, percentile } from './bench/bundle-env.ts';
import { benchBusyDay } from './bench/busy-day.ts';
import { benchSideBySide } from './bench/side-by-side.ts';
import { type BundleSize, buildAll } from './bundle.ts';
import { freePort } from './free-port.ts';
import { node24Binary } from './node-binaries.ts';

async function benchSlashCommand(runs: number, concurrency: number): Promise<void> {
  const stack = await startTestStack({ functions: registry, slackRateLimitsOff: benchOwnTime, users: { U0001: { tz: 'Europe/Berlin' } } });
  try {
    const latencies: number[] = [];
    let next = 0;
    const worker = async () => {
      while (next < runs) {
        const i = next++;
        const body = slashCommandBody({ trigger: stack.slack, text: 'in 30m Lobby', channelId: `CBENCH${i}` });
        const started = performance.now();
        const response = await stack.postSigned('/slack/commands', body);
        await response.arrayBuffer();
        latencies.push(performance.now() - started);
        if (response.status !== 200) throw new Error(`unexpected status ${response.status}`);
      }
    };
    const wall = performance.now();
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (performance.now() - wall) / 1000;
    latencies.sort((a, b) => a - b);
    console.log(
      `/coffee start run x${runs} (concurrency ${concurrency}): p50 ${ms(percentile(latencies, 50))}, ` +
        `p95 ${ms(percentile(latencies, 95))}, p99 ${ms(percentile(latencies, 99))}, max ${ms(latencies.at(-1)!)}, ` +
        `${(runs / seconds).toFixed(0)} runs/s`,
    );
  } finally {
    await stack.close();
  }
}

async function benchOrdersAndClose(people: number, kafka?: { brokers: string; topicPrefix: string }): Promise<void> {
  const stack = await startTestStack({ functions: registry, slackRateLimitsOff: benchOwnTime, ...(kafka ? { kafka } : {}) });
  const transport = kafka ? 'real Kafka broker' : 'in-process bus';
  try {
    const drive = createRunDriver(stack);
    const runId = await drive.startRun('CBENCHRUN');
    const submits: number[] = [];
    for (let i = 0; i < people; i++) {
      const user = `UB${i}`;
      const modal = await drive.openModal(user, 'CBENCHRUN', runId);
      const started = performance.now();
      await drive.submit(user, modal.private_metadata, { drink: 'Latte', size: 'Medium' });
      submits.push(performance.now() - started);
    }
    submits.sort((a, b) => a - b);
    console.log(
      `order modal submit x${people} (${transport}; each refreshes the run message): p50 ${ms(percentile(submits, 50))}, ` +
        `p95 ${ms(percentile(submits, 95))}, max ${ms(submits.at(-1)!)}`,
    );
    const before = stack.slack.callsTo('chat.postMessage').length;
    const started = performance.now();
    await drive.click('U001', 'CBENCHRUN', 'run.close', runId);
    const clicked = performance.now() - started;
    // The summary in the channel and the runner's DM (the one post elsewhere).
    const posted = () => {
      const posts = stack.slack.callsTo('chat.postMessage').slice(before);
      return posts.some((c) => String(c.args.text).startsWith(':coffee: Coffee run closed')) && posts.some((c) => c.args.channel !== 'CBENCHRUN');
    };
    while (!posted()) await new Promise((resolve) => setTimeout(resolve, 2));
    console.log(
      `close with ${people} orders (${transport}): button answered in ${ms(clicked)}, ` +
        `summary and runner DM posted ${ms(performance.now() - started)} after the click`,
    );
  } finally {
    await stack.close();
  }
}

/** The fairness history query (`servedHistory`) with 100,000 runs in the table, 10,000 in the channel. */
async function benchServedHistory(): Promise<void> {
  const db = await createTestDatabase();
  try {
    const at = new Date();
    const { runIds } = await db.sql.begin(async (tx) => {
      await tx`set local statement_timeout = 0`;
      await seedOtherChannels(tx, { channels: 900, runsPerChannel: 100, startedAt: at });
      return seedRuns(tx, { slackChannelId: 'CBENCHFAIR', count: 10_000, startedAt: at });
    });
    await db.sql`analyze`;
    const timings: number[] = [];
    for (let i = 0; i < 50; i++) {
      const started = performance.now();
      await servedHistory(db.sql, 'CBENCHFAIR', runIds[0]!);
      timings.push(performance.now() - started);
    }
    timings.sort((a, b) => a - b);
    console.log(
      `fairness history (servedHistory, 500 of 10,000 runs in the channel, 100,000 in all) x50: p50 ${ms(percentile(timings, 50))}, p95 ${ms(percentile(timings, 95))}`,
    );
  } finally {
    await db.drop();
  }
}

async function benchRetention(runs: number): Promise<void> {
  const stack = await startTestStack({ functions: registry, slackRateLimitsOff: benchOwnTime });
  try {
    // Each run as a real one leaves it: 2 orders, a reminder, a volunteer, a decline, a message record, an effect.
    await seedRuns(stack.db.sql, { slackChannelId: 'CBENCHRETENTION', count: runs, startedAt: new Date(stack.clock.now.getTime() - 100 * 24 * 3600 * 1000) });
    const started = performance.now();
    const response = await fetch(`${stack.url}/ticks/retention`, { method: 'POST', headers: await stack.eventHeaders('admin') });
    const { done } = (await response.json()) as { done: number };
    const seconds = (performance.now() - started) / 1000;
    if (response.status !== 200) throw new Error(`unexpected status ${response.status}`);
    console.log(
      `retention tick on ${runs} expired runs: ${ms(seconds * 1000)}, ${done} rows deleted, ` +
        `${(done / seconds).toFixed(0)} rows/s (${(runs / seconds).toFixed(0)} runs/s)`,
    );
  } finally {
    await stack.close();
  }
}

/** Each function bundle in `out` (a copy of dist/) started on `node`: its size and its cold start to `/health/live`. */
async function benchBundles(out: string, node: string, sizes: Record<string, BundleSize>): Promise<void> {
  for (const [name, { entryBytes, lazyBytes }] of Object.entries(sizes)) {
    const bundle = `dist/${name}/index.mjs`;
    const port = await freePort();
    const started = performance.now();
    const child = spawn(node, [join(out, bundle)], {
      env: {
        PATH: process.env.PATH,
        PORT: String(port),
        DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
        SLACK_BOT_TOKEN: 'x',
        SLACK_SIGNING_SECRET: 'x',
        AUTH_DISABLED: 'true',
        EVENTS_OUTBOX_ONLY: 'true',
      },
      stdio: 'ignore',
    });
    let live: Response | undefined;
    let coldStart = 0;
    try {
      for (let i = 0; i < 200 && !live; i++) {
        if (child.exitCode !== null) throw new Error(`${bundle} exited with ${child.exitCode} before answering GET /health/live`);
        live = await fetch(`http://127.0.0.1:${port}/health/live`).catch(() => undefined);
        if (!live) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      coldStart = performance.now() - started;
      if (!live) throw new Error(`${bundle} did not answer GET /health/live within about 2 s`);
      if (live.status !== 200) throw new BundleFailure(bundle, 'GET /health/live', live.status, await live.text());
    } finally {
      child.kill('SIGTERM');
    }
    console.log(
      `bundle ${name}: ${(entryBytes / 1024).toFixed(0)} KiB at start (+ ${(lazyBytes / 1024).toFixed(0)} KiB on demand), ` +
        `cold start to /health/live ${ms(coldStart)}`,
    );
  }
}

/**
 * Seconds from `/coffee` to its run message in the channel when Slack fails the first posts, with
 * production's retry policy and sweep interval (10 s): the retries wait for their backoff only.
 */
async function benchRetryTiming(rounds: number): Promise<void> {
  // The stack's defaults are production's retry policy and sweep interval.
  const stack = await startTestStack({ functions: registry, slackRateLimitsOff: benchOwnTime });
  try {
    const failures: [string, EmulatedFailure][] = [
      ['429 (Retry-After 1)', { status: 429, retryAfterSeconds: 1 }],
      ['HTTP 500 twice', { status: 500, times: 2 }],
    ];
    let seq = 0;
    for (const [name, failure] of failures) {
      const seconds: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const channel = `CBENCHRETRY${++seq}`;
        const shown = new Promise<void>((resolve) => {
          const unsubscribe = stack.slack.subscribe(({ call }) => {
            if (call.method !== 'chat.postMessage' || call.args.channel !== channel) return;
            unsubscribe();
            resolve();
          });
        });
        stack.slack.failNext('chat.postMessage', failure);
        const started = performance.now();
        const response = await stack.postSigned('/slack/commands', slashCommandBody({ trigger: stack.slack, text: 'in 30m Lobby', channelId: channel }));
        if (response.status !== 200) throw new Error(`unexpected status ${response.status}`);
        await shown;
        seconds.push((performance.now() - started) / 1000);
      }
      console.log(`/coffee to its run message, Slack answering ${name} first: ${seconds.map((s) => `${s.toFixed(2)} s`).join(', ')}`);
    }
  } finally {
    await stack.close();
  }
}

/**
 * What users wait for while a part misbehaves: the order modal's answer and another user's
 * `views.open` while the run message's refresh is rate-limited (429, Retry-After 2), and
 * `/coffee help` while Postgres is partitioned (the ack deadline's apology) and after it heals.
 */
async function benchDegraded(): Promise<void> {
  const stack = await startTestStack({ functions: registry, slackTimeouts: { ackMs: 1000, effectMs: 1000 } });
  try {
    const drive = createRunDriver(stack);
    const runId = await drive.startRun('CBENCHLIMIT');
    const modal = await drive.openModal('U0B1', 'CBENCHLIMIT', runId);
    stack.slack.failNext('chat.update', { status: 429, retryAfterSeconds: 2 });
    let started = performance.now();
    await drive.submit('U0B1', modal.private_metadata, { drink: 'Latte', size: 'Medium' });
    const submitted = performance.now() - started;
    started = performance.now();
    await drive.openModal('U0B2', 'CBENCHLIMIT', runId);
    console.log(
      `run message refresh rate-limited (429, Retry-After 2): modal submit answered in ${ms(submitted)}, another user's views.open in ${ms(performance.now() - started)}`,
    );
  } finally {
    await stack.close();
  }
  const admin = new URL(adminDatabaseUrl());
  const proxy = await startTcpProxy({ host: admin.hostname, port: Number(admin.port || 5432) });
  const partitioned = await startTestStack({ functions: registry, env: { DATABASE_POOL_MAX: '1' }, ownPool: { urlFor: (url) => proxy.urlFor(url) } });
  try {
    const help = async () => {
      const started = performance.now();
      // Not postSigned: past Slack's 3 s this is still a figure to print, not a failure.
      const body = slashCommandBody({ trigger: partitioned.slack, text: 'help', channelId: 'CBENCHPART' });
      const response = await fetch(`${partitioned.url}/slack/commands`, {
        method: 'POST',
        headers: slackHeaders(testSigningSecret, body, partitioned.clock.now),
        body,
      });
      await response.text();
      return performance.now() - started;
    };
    await help();
    proxy.partition();
    const during = await help();
    proxy.heal();
    console.log(`Postgres partitioned (pool warm): /coffee help answered in ${ms(during)} (Slack gives up at 3 s), after it heals in ${ms(await help())}`);
  } finally {
    proxy.heal();
    await partitioned.close();
    await proxy.close();
  }
}

/** `BENCH_SECTIONS=side-by-side,orders,…` runs only those sections; all by default. */
const sections = new Set((process.env.BENCH_SECTIONS ?? 'side-by-side,coffee,orders,broker,fairness,busy-day,retention,bundles,retries,degraded').split(','));
const out = await mkdtemp(join(tmpdir(), 'coffeebuddy-bench-'));
let broker: Broker | undefined;
try {
  // What `npm run build` runs (scripts/build.ts), into dist/; then dist/ alone, as the image holds it.
  const { functions: sizes } = await buildAll();
  await cp('dist', join(out, 'dist'), { recursive: true });
  const node = node24Binary();
  const nodeVersion = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  console.log(`bundles: dist/ copied alone to ${out}, run on Node ${nodeVersion} (${node}); in-process sections on Node ${process.version}`);
  if (sections.has('side-by-side')) {
    await benchSideBySide({ coffeeBuddyBundle: join(out, 'dist', 'slash-command', 'index.mjs'), outRoot: out, node, rounds: 3, coldStarts: 5 });
  }
  if (sections.has('coffee')) {
    await benchSlashCommand(200, 1);
    await benchSlashCommand(200, 10);
  }
  if (sections.has('orders')) {
    await benchBundleOrders({ distRoot: join(out, 'dist'), node, people: 30, rounds: 5 });
    await benchOrdersAndClose(30);
  }
  if (sections.has('broker')) {
    if (!process.env.KAFKA_BROKERS) broker = await startBroker();
    const brokers = process.env.KAFKA_BROKERS ?? broker!.brokers;
    await benchOrdersAndClose(30, { brokers, topicPrefix: `bench${Date.now()}.` });
  }
  if (sections.has('fairness')) await benchServedHistory();
  if (sections.has('busy-day')) {
    // The full day is BUSY_DAY_CHANNELS=1000; fewer by default, so the bench finishes in minutes.
    await benchBusyDay({ channels: Number(process.env.BUSY_DAY_CHANNELS ?? 20), runsPerChannel: 10, people: 30, concurrency: 20 });
  }
  if (sections.has('retention')) await benchRetention(10_000);
  if (sections.has('bundles')) await benchBundles(out, node, sizes);
  if (sections.has('retries')) await benchRetryTiming(3);
  if (sections.has('degraded')) await benchDegraded();
} catch (error) {
  process.exitCode = 1;
  console.error(error instanceof BundleFailure ? `bench stopped, no figures: ${error.message}` : error);
} finally {
  if (broker) await stopBroker(broker);
  await rm(out, { recursive: true, force: true });
}
