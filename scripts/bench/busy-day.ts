/**
 * A simulated busy day through `npm start` (all six functions in one process, the in-process
 * event bus, the built-in Slack emulator) on the real Postgres server: `channels` channels, each
 * with `runsPerChannel` runs one after another, each run with `people` orders through the order
 * modal's submission, then `/coffee close`, which goes through close-run, fairness-assign and the
 * summary and runner DM. Channels run concurrently (`concurrency` at a time). Reports the wall
 * time and where it goes: the time spent in each kind of step, summed over channels.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { slackHeaders, slashCommandBody, viewSubmissionBody, unissuedTrigger } from '../../test/support/slack-requests.ts';
import { createTestDatabase } from '../../test/support/test-db.ts';
import { freePort } from '../free-port.ts';

/** scripts/dev.ts's signing secret when none is set. */
const devSigningSecret = 'coffeebuddy-local-dev-signing-secret';
const ms = (n: number) => `${n.toFixed(0)} ms`;

export async function benchBusyDay(options: { channels: number; runsPerChannel: number; people: number; concurrency: number }): Promise<void> {
  const db = await createTestDatabase();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // What `npm start` runs (tsx scripts/dev.ts), without npm in between: npm does not pass SIGTERM
  // on, and the bot it started would outlive the bench, still using CPU.
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      DATABASE_URL: db.url,
      LOG_LEVEL: 'warn',
      SLACK_EMULATOR_RATE_LIMITS_OFF: 'the busy day runs channels and orders faster than Slack would take them, to time the bot',
    },
    stdio: 'ignore',
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`npm start (scripts/dev.ts) exited with ${child.exitCode}`);
      const ready = await fetch(`${url}/health/ready`).then(
        (response) => response.ok,
        () => false,
      );
      if (ready) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const post = async (path: string, body: string) => {
      const response = await fetch(`${url}${path}`, { method: 'POST', headers: slackHeaders(devSigningSecret, body, new Date()), body });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`${path} answered ${response.status}: ${text}`);
      return text;
    };
    const spent = { start: 0, orders: 0, close: 0 };
    const channel = async (c: number) => {
      const channelId = `CBUSY${c}`;
      const person = (p: number) => `UBUSY${c}P${p}`;
      for (let r = 0; r < options.runsPerChannel; r++) {
        let started = performance.now();
        const answer = await post(
          '/slack/commands',
          slashCommandBody({ trigger: unissuedTrigger, text: 'in 30m Lobby', channelId, userId: person(r % options.people) }),
        );
        if (answer) throw new Error(`/coffee answered: ${answer}`);
        const [run] = await db.sql<{ id: string }[]>`
          select r.id from runs r join channels ch on ch.id = r.channel_id where ch.slack_channel_id = ${channelId} and r.status = 'open'`;
        spent.start += performance.now() - started;
        started = performance.now();
        const metadata = JSON.stringify({ runId: run!.id, channelId, usuals: [] });
        for (let p = 0; p < options.people; p++) {
          const saved = await post(
            '/slack/interactions',
            viewSubmissionBody({ trigger: unissuedTrigger, userId: person(p), privateMetadata: metadata, input: { drink: 'Latte', size: 'Medium' } }),
          );
          if (saved) throw new Error(`order not saved: ${saved}`);
        }
        spent.orders += performance.now() - started;
        started = performance.now();
        await post('/slack/commands', slashCommandBody({ trigger: unissuedTrigger, text: 'close', channelId, userId: person(r % options.people) }));
        // Closed, a runner chosen by the fairness rule, and the summary and the DM posted.
        for (;;) {
          const [done] = await db.sql<{ posts: number }[]>`
            select count(*)::int as posts from slack_messages
            where run_id = ${run!.id} and ts is not null and (kind = 'summary' or kind like 'runner_dm:%')`;
          if (done!.posts === 2) break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        spent.close += performance.now() - started;
      }
    };
    const wall = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (next < options.channels) await channel(next++);
      }),
    );
    const seconds = (performance.now() - wall) / 1000;
    const runs = options.channels * options.runsPerChannel;
    const orders = runs * options.people;
    console.log(
      `busy day through npm start: ${options.channels} channels x ${options.runsPerChannel} runs x ${options.people} people ` +
        `(${runs} runs, ${orders} orders, ${options.concurrency} channels at a time): ${seconds.toFixed(1)} s wall, ` +
        `${(orders / seconds).toFixed(0)} orders/s, ${(runs / seconds).toFixed(1)} runs/s`,
    );
    const total = spent.start + spent.orders + spent.close;
    console.log(
      `  where it goes (summed over channels): starts ${ms(spent.start)} (${((100 * spent.start) / total).toFixed(0)}%, ${ms(spent.start / runs)} each), ` +
        `orders ${ms(spent.orders)} (${((100 * spent.orders) / total).toFixed(0)}%, ${(spent.orders / orders).toFixed(1)} ms each), ` +
        `close to summary and DM ${ms(spent.close)} (${((100 * spent.close) / total).toFixed(0)}%, ${ms(spent.close / runs)} each)`,
    );
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await once(child, 'exit');
    await db.drop();
  }
}
