import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAll } from '../../scripts/bundle.ts';
import { startSlackEmulator, type SlackEmulator } from '../../scripts/local/emulator.ts';
import { localSenderSubject, startLocalIssuer, type LocalIssuer } from '../../scripts/local/local-issuer.ts';
import { startFunctionProcess } from '../support/function-process.ts';
import { slackHeaders, slashCommandBody } from '../support/slack-requests.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-db.ts';

const signingSecret = 'budget-signing-secret';

/**
 * The connection budget (scripts/manifests/kservice.ts) counts each instance at
 * `DATABASE_POOL_MAX` connections: the shipped slash-command bundle, under five times more
 * concurrent `/coffee` than its pool, must answer every one and never hold more connections.
 */
describe("an instance's Postgres connections stay within DATABASE_POOL_MAX under load", () => {
  let dist: string;
  let db: TestDatabase;
  let slack: SlackEmulator;
  let issuer: LocalIssuer;
  beforeAll(async () => {
    dist = await mkdtemp(join(tmpdir(), 'coffeebuddy-budget-'));
    [, db, slack, issuer] = await Promise.all([
      buildAll(dist),
      createTestDatabase(),
      startSlackEmulator({ rateLimitsOff: { reason: 'a burst of new runs in 60 channels, beyond what Slack would allow' } }),
      startLocalIssuer(),
    ]);
  }, 120_000);
  afterAll(async () => {
    await issuer?.close();
    await slack?.close();
    await db?.drop();
    await rm(dist, { recursive: true, force: true });
  });

  it('60 concurrent /coffee on a pool of 3: every run started and posted, at most 3 connections', async () => {
    const pool = 3;
    // Configured as its Knative Service's pods are, with no broker to publish to.
    const instance = await startFunctionProcess({
      dist,
      name: 'slash-command',
      issuer,
      env: {
        DATABASE_URL: db.url,
        DATABASE_POOL_MAX: String(pool),
        SLACK_BOT_TOKEN: 'xoxb-budget',
        SLACK_API_URL: slack.url,
        SLACK_SIGNING_SECRET: signingSecret,
        AUTH_OIDC_ISSUER: issuer.url,
        AUTH_OIDC_SUBJECTS: localSenderSubject,
        EVENTS_OUTBOX_ONLY: 'true',
        LOG_LEVEL: 'warn',
      },
    });
    const database = new URL(db.url).pathname.slice(1);
    const connections = async () => {
      const [row] = await db.sql<{ count: number }[]>`
        select count(*)::int as count from pg_stat_activity where datname = ${database} and application_name = 'coffeebuddy-slash-command'`;
      return row!.count;
    };
    try {
      const { url } = instance;
      let most = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          most = Math.max(most, await connections());
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();
      const answers = await Promise.all(
        Array.from({ length: 60 }, async (_, i) => {
          const body = slashCommandBody({ trigger: slack, text: 'in 30m Lobby', channelId: `CBUDGET${i}`, userId: 'U0BUDGET' });
          const response = await fetch(`${url}/slack/commands`, { method: 'POST', headers: slackHeaders(signingSecret, body, new Date()), body });
          return { status: response.status, body: await response.text() };
        }),
      );
      sampling = false;
      await sampler;
      // An empty 200: the run message is the answer, posted within the request.
      expect(answers).toEqual(Array.from({ length: 60 }, () => ({ status: 200, body: '' })));
      const [runs] = await db.sql<{ count: number }[]>`select count(*)::int as count from runs r where r.message_ts is not null and r.status = 'open'`;
      expect(runs!.count).toBe(60);
      expect(most).toBeGreaterThan(0);
      expect(most).toBeLessThanOrEqual(pool);
    } finally {
      await instance.stop();
    }
  });
});
