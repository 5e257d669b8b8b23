/**
 * Two pods of one function against one database, racing on purpose. Each function is its bundle
 * from `dist/` started twice as separate OS processes (nothing shared but Postgres, Slack and the
 * issuer), and both get the same work at the same moment, as a KafkaSource redelivery, a consumer
 * group rebalance or two PingSource deliveries would give them. Every race runs several rounds so
 * that a lost race shows; what is asserted is "exactly once", never how long anything took.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAll } from '../../scripts/bundle.ts';
import { localSenderSubject, startLocalIssuer, type LocalIssuer } from '../../scripts/local/local-issuer.ts';
import { syncRunMessage } from '../../shared/domain/run-message-effect.ts';
import { enqueueEffect } from '../../shared/effects/effects.ts';
import type { PostKind } from '../../shared/effects/slack-posts.ts';
import type { EventType } from '../../shared/events/catalog.ts';
import { buildEvent, runEvent, type CoffeeEvent } from '../../shared/events/cloud-event.ts';
import { createOutboxRelay } from '../../shared/events/outbox.ts';
import type { FunctionName } from '../../shared/function.ts';
import { silentLogger } from '../../shared/logging.ts';
import { createMetrics } from '../../shared/metrics.ts';
import { startSlackEmulator, type EmulatedFailure, type SlackEmulator } from '../../scripts/local/emulator.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-db.ts';
import { startFunctionProcess, type FunctionProcess } from '../support/function-process.ts';
import { seedRun, seedRunnerReminder } from '../support/race-seed.ts';

const MINUTE = 60_000;
const rounds = [1, 2, 3, 4, 5];
const times = (n: number) => Array.from({ length: n }, (_, i) => i);
/** Pending Slack effects per round of the sweep race: more than one pod's batch (4), so both get some. */
const effectsPerRound = 6;

describe('two instances of a function against one database', () => {
  let dist: string;
  let db: TestDatabase;
  let slack: SlackEmulator;
  let issuer: LocalIssuer;
  // What the relay publishes, as Kafka would carry it to the next function.
  const published: CoffeeEvent[] = [];
  let relay: ReturnType<typeof createOutboxRelay>;

  beforeAll(async () => {
    dist = await mkdtemp(join(tmpdir(), 'coffeebuddy-two-instances-'));
    [, db, slack, issuer] = await Promise.all([buildAll(dist), createTestDatabase(), startSlackEmulator(), startLocalIssuer()]);
    relay = createOutboxRelay({
      sql: db.sql,
      transport: { send: async (events) => void published.push(...events), ready: async () => true, close: async () => undefined },
      log: silentLogger,
      metrics: createMetrics(),
      now: () => new Date(),
    });
  });
  afterAll(async () => {
    await issuer?.close();
    await slack?.close();
    await db?.drop();
    await rm(dist, { recursive: true, force: true });
  });

  /** Two processes of `name`, both configured as one Knative Service's pods are. */
  async function twoOf(name: FunctionName, extra: Record<string, string> = {}): Promise<[FunctionProcess, FunctionProcess]> {
    const env = {
      DATABASE_URL: db.url,
      SLACK_API_URL: slack.url,
      SLACK_BOT_TOKEN: 'xoxb-two-instances',
      SLACK_SIGNING_SECRET: 'two-instances',
      AUTH_OIDC_ISSUER: issuer.url,
      AUTH_OIDC_SUBJECTS: localSenderSubject,
      // Only the requests a test sends race: no sweep of its own in either process.
      SWEEP_INTERVAL_MS: '0',
      // The test's own relay publishes what the two wrote (eventsAbout).
      EVENTS_OUTBOX_ONLY: 'true',
      LOG_LEVEL: 'warn',
      ...extra,
    };
    const [first, second] = await Promise.all(times(2).map(() => startFunctionProcess({ dist, name, env, issuer })));
    return [first!, second!];
  }

  /** The events of `type` about `runId` the outbox holds, published (once each) through the relay. */
  async function eventsAbout<T extends EventType>(runId: string, type: T): Promise<CoffeeEvent<T>[]> {
    await relay.flush();
    return published.filter((event): event is CoffeeEvent<T> => event.subject === runId && event.type === type);
  }

  async function outboxCount(runId: string, type: EventType): Promise<number> {
    const [row] = await db.sql<{ count: number }[]>`select count(*)::int from outbox where subject = ${runId} and type = ${type}`;
    return row!.count;
  }

  /** Whether a post's metadata (which every post of a run carries) names this run and kind. */
  const isPostOf = (metadata: unknown, runId: string, kind: PostKind) => {
    const payload = (metadata as { event_payload?: { run_id?: string; kind?: string } } | undefined)?.event_payload;
    return payload?.run_id === runId && payload.kind === kind;
  };
  /** The `chat.postMessage` calls Slack received for a run's post of `kind`. */
  const postCalls = (runId: string, kind: PostKind) => slack.callsTo('chat.postMessage').filter((call) => isPostOf(call.args.metadata, runId, kind));
  /** The messages Slack shows for a run's post of `kind`: where Slack failed a call, it is recorded but shows nothing. */
  const shown = (runId: string, kind: PostKind) => slack.messages().filter((message) => isPostOf(message.metadata, runId, kind));

  /** Wait until no Slack effect of these runs is pending, and check none was given up. */
  async function effectsSettled(runIds: readonly string[]): Promise<void> {
    const open = async () =>
      (
        await db.sql<{ count: number }[]>`
        select count(*)::int from slack_effects where scope in ${db.sql(runIds)} and done_at is null`
      )[0]!.count;
    await expect.poll(open, { timeout: 20_000 }).toBe(0);
    expect(await db.sql`select id from slack_effects where scope in ${db.sql(runIds)} and parked_at is not null`).toHaveLength(0);
  }

  /** A counter's total over both processes (`/metrics`), for the series whose labels include `labels`. */
  async function counterTotal(processes: readonly FunctionProcess[], name: string, labels: Record<string, string>): Promise<number> {
    const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
    let total = 0;
    for (const instance of processes) {
      const text = await (await fetch(`${instance.url}/metrics`)).text();
      for (const line of text.split('\n')) {
        if (line.startsWith(`${name}{`) && wanted.every((label) => line.includes(label))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
      }
    }
    return total;
  }

  const answers = async (responses: Response[]) =>
    Promise.all(responses.map(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> })));

  describe('close-run (and fairness-assign after it): the same close delivered to both pods, and two closes of one run', () => {
    let closeRun: [FunctionProcess, FunctionProcess];
    let fairness: [FunctionProcess, FunctionProcess];
    beforeAll(async () => {
      [closeRun, fairness] = await Promise.all([twoOf('close-run'), twoOf('fairness-assign')]);
    });
    afterAll(async () => {
      await Promise.all([...(closeRun ?? []), ...(fairness ?? [])].map((instance) => instance.stop()));
    });

    it.each(rounds)('round %i: the run closes once, one runner is chosen, one summary and one runner DM are posted', async () => {
      const { runId, slackChannelId } = await seedRun(db.sql, { orderedBy: ['U2IA', 'U2IB', 'U2IC'], pickupAt: new Date(Date.now() + 30 * MINUTE) });
      const closeRequested = () =>
        buildEvent(runEvent('com.coffeebuddy.run.close_requested', { runId, slackChannelId, requestedBySlackUserId: 'U2IA' }), {
          id: randomUUID(),
          source: 'interaction',
          time: new Date(),
        });
      // A click and the scheduled close (two events), each delivered to both pods.
      const [click, scheduled] = [closeRequested(), closeRequested()];
      const [a, b] = closeRun;
      const closing = await answers(await Promise.all([a.deliver(click), b.deliver(click), a.deliver(scheduled), b.deliver(scheduled)]));
      expect(closing.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
      expect(closing.map((answer) => answer.body.status).sort()).toEqual(['duplicate', 'duplicate', 'processed', 'processed']);
      const [run] = await db.sql<{ status: string }[]>`select status from runs where id = ${runId}`;
      expect(run!.status).toBe('closed');
      expect(await outboxCount(runId, 'com.coffeebuddy.run.closed')).toBe(1);

      // run.closed to both fairness pods, and a copy under another id: close-run emits one per run,
      // but the copy stands for any second request to choose this run's runner racing the first.
      const [closed] = await eventsAbout(runId, 'com.coffeebuddy.run.closed');
      const copy = closed!.cloneWith({ id: randomUUID() });
      const [f1, f2] = fairness;
      const choosing = await answers(await Promise.all([f1.deliver(closed!), f2.deliver(closed!), f1.deliver(copy), f2.deliver(copy)]));
      expect(choosing.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
      expect(await outboxCount(runId, 'com.coffeebuddy.runner.assigned')).toBe(1);

      const [assigned] = await eventsAbout(runId, 'com.coffeebuddy.runner.assigned');
      const runner = assigned!.data.runnerSlackUserId;
      expect(['U2IA', 'U2IB', 'U2IC']).toContain(runner);
      const announcing = await answers(await Promise.all([a.deliver(assigned!), b.deliver(assigned!)]));
      expect(announcing.map((answer) => answer.status)).toEqual([200, 200]);
      await effectsSettled([runId]);
      expect(postCalls(runId, 'summary')).toHaveLength(1);
      expect(postCalls(runId, `runner_dm:${runner}`)).toHaveLength(1);
      expect(postCalls(runId, 'run_message')).toHaveLength(1);
    });
  });

  describe('reminder-due: both pods tick at the same moment', () => {
    let reminderDue: [FunctionProcess, FunctionProcess];
    beforeAll(async () => {
      reminderDue = await twoOf('reminder-due');
    });
    afterAll(async () => {
      await Promise.all((reminderDue ?? []).map((instance) => instance.stop()));
    });

    it.each(rounds)('round %i: each reminder DM and last call is posted and announced once, each scheduled close requested once', async () => {
      const now = Date.now();
      // More reminders than anything else: each is its own statements in one transaction, so the
      // two ticks overlap longest there.
      const reminded = await Promise.all(
        times(4).map(async () => {
          const run = await seedRun(db.sql, { orderedBy: ['U2IA', 'U2IB'], runner: 'U2IB', pickupAt: new Date(now + 4 * MINUTE) });
          return { ...run, reminderId: await seedRunnerReminder(db.sql, { runId: run.runId, runner: 'U2IB', dueAt: new Date(now - MINUTE) }) };
        }),
      );
      // Closing in 4 minutes: inside the default 5-minute last call, and not closed by any tick of this test.
      const lastCalled = await Promise.all(
        times(2).map(() => seedRun(db.sql, { orderedBy: ['U2IA'], closesAt: new Date(now + 4 * MINUTE), threadTs: '1700000000.000100' })),
      );
      const closing = await Promise.all(times(2).map(() => seedRun(db.sql, { orderedBy: ['U2IA'], closesAt: new Date(now - MINUTE) })));

      const ticks = await answers(await Promise.all(reminderDue.map((instance) => instance.post('/ticks/reminders'))));
      expect(ticks.map((tick) => tick.status)).toEqual([200, 200]);

      const runIds = [...reminded, ...lastCalled, ...closing].map((run) => run.runId);
      await effectsSettled(runIds);
      for (const { runId, reminderId } of reminded) expect(shown(runId, `reminder:${reminderId}`)).toHaveLength(1);
      for (const { runId } of lastCalled) expect(shown(runId, 'last_call')).toHaveLength(1);
      for (const { runId } of closing) expect(await outboxCount(runId, 'com.coffeebuddy.run.close_requested')).toBe(1);
      // One reminder.sent for each reminder and last call, for the reminder topic.
      for (const { runId } of [...reminded, ...lastCalled]) expect(await outboxCount(runId, 'com.coffeebuddy.reminder.sent')).toBe(1);
      for (const { runId } of closing) expect(await outboxCount(runId, 'com.coffeebuddy.reminder.sent')).toBe(0);
      const asked = await db.sql<{ key: string; count: number }[]>`
        select key, count(*)::int from slack_effects where scope in ${db.sql(runIds)} group by key`;
      expect(asked).toHaveLength(reminded.length + lastCalled.length);
      for (const { count } of asked) expect(count).toBe(1);
      // Between them the two ticks did each due thing once, even where the effect's key and the
      // post's record would hide a second sending.
      expect(ticks.reduce((sum, tick) => sum + Number(tick.body.done), 0)).toBe(runIds.length);
    });
  });

  describe('the effect worker: both pods sweep the same pending Slack effects at once', () => {
    let closeRun: [FunctionProcess, FunctionProcess];
    beforeAll(async () => {
      // Short enough that a post answered after 1.5 s counts as uncertain (it landed, unseen).
      closeRun = await twoOf('close-run', { SLACK_EFFECT_TIMEOUT_MS: '1000' });
    });
    afterAll(async () => {
      await Promise.all((closeRun ?? []).map((instance) => instance.stop()));
    });

    const slackBehaviours: [string, EmulatedFailure][] = [
      ['slow (every post answered after 300 ms)', { delayMs: 300, times: effectsPerRound }],
      ['failing once (HTTP 500, nothing posted)', { status: 500 }],
      ['answering one post too late (it landed; the pod gave up after 1 s)', { delayMs: 1500 }],
    ];
    const cases = slackBehaviours.flatMap(([behaviour, failure]) => rounds.map((round) => [behaviour, round, failure] as const));

    it.each(cases)('with Slack %s, round %i: every effect is done once and each message posted once', async (_behaviour, _round, failure) => {
      const runs = await Promise.all(times(effectsPerRound).map(() => seedRun(db.sql, { orderedBy: ['U2IA', 'U2IB'] })));
      const runIds = runs.map((run) => run.runId);
      for (const runId of runIds) await enqueueEffect(db.sql, syncRunMessage(runId), new Date());
      const doneBefore = await counterTotal(closeRun, 'coffeebuddy_slack_effects_total', { kind: 'run_message.sync', outcome: 'done' });
      slack.failNext('chat.postMessage', failure);

      const sweeps = await answers(await Promise.all(closeRun.map((instance) => instance.post('/sweep'))));
      expect(sweeps.map((sweep) => sweep.status)).toEqual([200, 200]);
      // A failed attempt is retried by the pod that made it, when its backoff is up (no sweep needed).
      await effectsSettled(runIds);
      for (const runId of runIds) expect(shown(runId, 'run_message')).toHaveLength(1);
      // Done once each: the two pods' counts of effects carried out add up to those asked for.
      await expect
        .poll(async () => (await counterTotal(closeRun, 'coffeebuddy_slack_effects_total', { kind: 'run_message.sync', outcome: 'done' })) - doneBefore)
        .toBe(effectsPerRound);
    });
  });
});
