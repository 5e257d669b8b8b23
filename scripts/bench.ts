/**
 * `npm run bench`: figures, not pass/fail. Latency of `/coffee` over signed HTTP against the real
 * Postgres (DATABASE_URL or 127.0.0.1:5432) and the Slack emulator, the admin retention tick on
 * 10,000 expired runs, and each bundle's size and cold start to `/health/live`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registry } from '../functions/registry.ts';
import { startTestStack } from '../shared/testing/harness.ts';
import { createRunDriver } from '../shared/testing/run-driver.ts';
import { seedRuns } from '../shared/testing/seed-runs.ts';
import { slashCommandBody } from '../shared/testing/slack-requests.ts';
import { buildAll } from './bundle.ts';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const ms = (n: number) => `${n.toFixed(1)} ms`;

async function benchSlashCommand(runs: number, concurrency: number): Promise<void> {
  const stack = await startTestStack({ functions: registry, users: { U0001: { tz: 'Europe/Berlin' } } });
  try {
    const latencies: number[] = [];
    let next = 0;
    const worker = async () => {
      while (next < runs) {
        const i = next++;
        const body = slashCommandBody({ text: 'in 30m Lobby', channelId: `CBENCH${i}` });
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

async function benchOrdersAndClose(people: number): Promise<void> {
  const stack = await startTestStack({ functions: registry });
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
      `order modal submit x${people} (each refreshes the run message): p50 ${ms(percentile(submits, 50))}, ` +
        `p95 ${ms(percentile(submits, 95))}, max ${ms(submits.at(-1)!)}`,
    );
    const started = performance.now();
    await drive.click('U001', 'CBENCHRUN', 'run.close', runId);
    const clicked = performance.now() - started;
    while (!stack.slack.callsTo('chat.postMessage').some((c) => String(c.args.text).startsWith(':coffee: Coffee run closed'))) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    console.log(
      `close with ${people} orders (in-process bus): button answered in ${ms(clicked)}, ` +
        `summary and runner DM posted ${ms(performance.now() - started)} after the click`,
    );
  } finally {
    await stack.close();
  }
}

async function benchRetention(runs: number): Promise<void> {
  const stack = await startTestStack({ functions: registry });
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

async function benchBundles(): Promise<void> {
  const out = await mkdtemp(join(tmpdir(), 'coffeebuddy-bench-'));
  try {
    const sizes = await buildAll(out);
    for (const [name, bytes] of Object.entries(sizes)) {
      const port = 20_000 + Math.floor(Math.random() * 20_000);
      const started = performance.now();
      const child = spawn(process.execPath, [join(out, name, 'index.mjs')], {
        env: { PATH: process.env.PATH, PORT: String(port), DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres', SLACK_BOT_TOKEN: 'x', SLACK_SIGNING_SECRET: 'x', AUTH_DISABLED: 'true' },
        stdio: 'ignore',
      });
      let coldStart = NaN;
      for (let i = 0; i < 200; i++) {
        try {
          await fetch(`http://127.0.0.1:${port}/health/live`);
          coldStart = performance.now() - started;
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
      child.kill('SIGTERM');
      console.log(`bundle ${name}: ${(bytes / 1024).toFixed(0)} KiB, cold start to /health/live ${ms(coldStart)}`);
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

await benchSlashCommand(200, 1);
await benchSlashCommand(200, 10);
await benchOrdersAndClose(30);
await benchRetention(10_000);
await benchBundles();
