/**
 * Order submits on the bundles as they ship: the slash-command and interaction bundles from the
 * copied `dist/`, on the image's Node, against the real Postgres and the Slack emulator. Each round
 * opens a run in a new channel, has 30 people open the order modal, then submit it within one
 * second (after one unmeasured round, so the figures are a warm instance's) (spread evenly, each with its own signed request, as Slack delivers them), and times each
 * submit's answer. Every submit must close the modal (an empty 200): anything else stops the bench.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { startSlackEmulator } from '../local/emulator.ts';
import { createTestDatabase } from '../../test/support/test-db.ts';
import { blockActionBody, slackHeaders, slashCommandBody, viewSubmissionBody } from '../../test/support/slack-requests.ts';
import { freePort } from '../free-port.ts';
import { BundleFailure } from './bundle-failure.ts';
import { benchSigningSecret, bundleEnv, ms, percentile } from './bundle-env.ts';

export async function benchBundleOrders(options: { distRoot: string; node: string; people: number; rounds: number }): Promise<void> {
  const db = await createTestDatabase();
  const slack = await startSlackEmulator({ rateLimitsOff: { reason: 'the bench times the bundles at a rate of refreshes no Slack workspace would allow' } });
  const children: ChildProcess[] = [];
  try {
    const start = async (name: 'slash-command' | 'interaction') => {
      const port = await freePort();
      const child = spawn(options.node, [join(options.distRoot, name, 'index.mjs')], {
        env: bundleEnv({ port, databaseUrl: db.url, slackUrl: slack.url }),
        stdio: 'ignore',
      });
      children.push(child);
      const url = `http://127.0.0.1:${port}`;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} before answering /health/live`);
        const live = await fetch(`${url}/health/live`).catch(() => undefined);
        if (live?.status === 200) return url;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    const slashUrl = await start('slash-command');
    const interactionUrl = await start('interaction');
    const post = async (bundle: string, url: string, path: string, body: string, what: string) => {
      const response = await fetch(`${url}${path}`, { method: 'POST', headers: slackHeaders(benchSigningSecret, body, new Date()), body });
      const text = await response.text();
      if (response.status !== 200) throw new BundleFailure(bundle, what, response.status, text);
      return text;
    };

    const submits: number[] = [];
    // Round 0 is unmeasured: the bundles' first orders run their code for the first time (JIT).
    for (let round = 0; round <= options.rounds; round++) {
      const channel = `CBENCHORDERS${round}`;
      const started = await post(
        'dist/slash-command/index.mjs',
        slashUrl,
        '/slack/commands',
        slashCommandBody({ trigger: slack, text: 'in 30m Lobby', channelId: channel, userId: 'U0RUNNER' }),
        '/coffee in 30m Lobby',
      );
      if (started) throw new Error(`/coffee did not start a run: ${started}`);
      const [run] = await db.sql<
        { id: string }[]
      >`select r.id from runs r join channels c on c.id = r.channel_id where c.slack_channel_id = ${channel} and r.status = 'open'`;
      const modals: { user: string; metadata: string }[] = [];
      for (let i = 0; i < options.people; i++) {
        const user = `U0ORDER${i}`;
        const before = slack.callsTo('views.open').length;
        await post(
          'dist/interaction/index.mjs',
          interactionUrl,
          '/slack/interactions',
          blockActionBody({ trigger: slack, userId: user, channelId: channel, actionId: 'order.open', value: run!.id }),
          'Place order',
        );
        const opened = slack.callsTo('views.open');
        if (opened.length !== before + 1) throw new Error(`Place order did not open the modal for ${user}`);
        modals.push({ user, metadata: (opened.at(-1)!.args.view as { private_metadata: string }).private_metadata });
      }
      // Everyone submits within one second, evenly spread.
      const spacingMs = 1000 / options.people;
      await Promise.all(
        modals.map(async ({ user, metadata }, i) => {
          await new Promise((resolve) => setTimeout(resolve, i * spacingMs));
          const body = viewSubmissionBody({ trigger: slack, userId: user, privateMetadata: metadata, input: { drink: 'Latte', size: 'Medium' } });
          const sent = performance.now();
          const answer = await post('dist/interaction/index.mjs', interactionUrl, '/slack/interactions', body, 'order modal submit');
          if (round > 0) submits.push(performance.now() - sent);
          if (answer) throw new Error(`the order modal did not close for ${user}: ${answer}`);
        }),
      );
    }
    submits.sort((a, b) => a - b);
    console.log(
      `order submit on the bundles, ${options.people} people within 1 s, ${options.rounds} runs: p50 ${ms(percentile(submits, 50))}, ` +
        `p95 ${ms(percentile(submits, 95))}, p99 ${ms(percentile(submits, 99))}, max ${ms(submits.at(-1)!)}`,
    );
  } finally {
    for (const child of children) {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    }
    await slack.close();
    await db.drop();
  }
}
