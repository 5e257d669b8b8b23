/**
 * Two instances for real: each function scales out to several pods, so two OS processes of the
 * same bundle, sharing only the database and Slack, receive the same work at the same moment (a
 * redelivery or a rebalance hands an event to both; a PingSource ticks both; both sweep). Each race
 * is fired with Promise.all and repeated; what it must leave is exactly one of everything.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebClient } from '@slack/web-api';
import { CloudEvent, type CloudEventV1 } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAll } from '../../scripts/bundle.ts';
import { localSenderSubject, startLocalIssuer, type LocalIssuer } from '../../shared/auth/local-issuer.ts';
import { buildEvent, runEvent } from '../../shared/events/cloud-event.ts';
import type { FunctionName } from '../../shared/function.ts';
import { startSlackEmulator, type EmulatedFailure, type SlackEmulator } from '../../shared/slack/emulator.ts';
import { createTestDatabase, type TestDatabase } from '../../shared/testing/test-db.ts';
import { errorLines, postEvent, postInternal, startBundle, type BundleProcess } from '../support/bundle-processes.ts';

const repetitions = 4;
const botToken = 'xoxb-two-instances';
const initiator = 'U0INIT';
const orderers = ['U0ANA', 'U0BEN'];

let distDir: string;
let db: TestDatabase;
let emulator: SlackEmulator;
let issuer: LocalIssuer;
const processes: BundleProcess[] = [];

beforeAll(async () => {
  distDir = await mkdtemp(join(tmpdir(), 'coffeebuddy-two-instances-'));
  [db, emulator, issuer] = await Promise.all([
    createTestDatabase(),
    startSlackEmulator({ users: Object.fromEntries([initiator, ...orderers].map((id) => [id, { name: id.toLowerCase() }])) }),
    startLocalIssuer(),
    buildAll(distDir),
  ]);
  await db.sql`
    insert into users (slack_user_id, slack_team_id, display_name)
    select id, 'T0RACE', lower(id) from unnest(${[initiator, ...orderers]}::text[]) as id`;
});

afterAll(async () => {
  await Promise.all(processes.map((each) => each.stop()));
  await Promise.all([db?.drop(), emulator?.close(), issuer?.close()]);
  if (distDir) await rm(distDir, { recursive: true, force: true });
});

/** Start `count` processes of one function's bundle against the one database and Slack. */
async function start(name: FunctionName, count: number): Promise<BundleProcess[]> {
  const env = {
    DATABASE_URL: db.url,
    DATABASE_POOL_MAX: '4',
    SLACK_API_URL: emulator.url,
    SLACK_BOT_TOKEN: botToken,
    SLACK_SIGNING_SECRET: 'two-instances-secret',
    AUTH_OIDC_ISSUER: issuer.url,
    AUTH_OIDC_SUBJECTS: localSenderSubject,
    // No timer sweeps: only the calls each test makes race.
    SWEEP_INTERVAL_MS: '0',
  };
  const started = await Promise.all(Array.from({ length: count }, () => startBundle(distDir, name, env)));
  processes.push(...started);
  return started;
}

const token = (name: FunctionName) => issuer.token(`coffeebuddy-${name}`);

/** Fire one request at each process at once; every answer must be a 2xx, read as JSON. */
async function race<T>(targets: BundleProcess[], send: (target: BundleProcess, index: number) => Promise<Response>): Promise<T[]> {
  const responses = await Promise.all(targets.map(send));
  const answers = await Promise.all(responses.map(async (response) => ({ status: response.status, body: (await response.json()) as T })));
  expect(answers.map((answer) => answer.status)).toEqual(targets.map(() => 200));
  return answers.map((answer) => answer.body);
}

/** A channel of its own per run, with the run message posted in Slack as /coffee would have. */
async function seedRun(args: {
  status: 'open' | 'closed';
  closesAt?: Date;
  pickupAt?: Date;
  runner?: string;
}): Promise<{ runId: string; slackChannelId: string }> {
  const slackChannelId = `C${randomUUID().slice(0, 8).toUpperCase()}`;
  const posted = await new WebClient(botToken, { slackApiUrl: emulator.url }).chat.postMessage({ channel: slackChannelId, text: 'Coffee run' });
  const [run] = await db.sql<{ id: string }[]>`
    with channel as (
      insert into channels (slack_channel_id, slack_team_id) values (${slackChannelId}, 'T0RACE') returning id
    ),
    run as (
      insert into runs (channel_id, initiator_id, runner_id, status, time_zone, message_channel, message_ts, closes_at, pickup_at, closed_at)
      select channel.id, (select id from users where slack_user_id = ${initiator}),
        (select id from users where slack_user_id = ${args.runner ?? null}), ${args.status}, 'UTC',
        ${slackChannelId}, ${posted.ts!}, ${args.closesAt ?? null}, ${args.pickupAt ?? null},
        ${args.status === 'closed' ? new Date() : null}
      from channel
      returning id
    ),
    orders as (
      insert into orders (run_id, user_id, drink, size)
      select run.id, u.id, 'Latte', 'Small' from run, users u where u.slack_user_id in ${db.sql(orderers)}
    ),
    message as (
      insert into slack_messages (run_id, kind, channel, ts, attempted_at)
      select run.id, 'run_message', ${slackChannelId}, ${posted.ts!}, now() from run
    )
    select id from run`;
  return { runId: run!.id, slackChannelId };
}

/** The messages Slack shows for a run of one kind (by the metadata every post carries). */
function postsOf(runId: string, kind: string): number {
  return emulator.messages().filter((message) => {
    const payload = (message.metadata as { event_payload?: { run_id?: string; kind?: string } } | undefined)?.event_payload;
    return payload?.run_id === runId && payload.kind === kind;
  }).length;
}

/** The `chat.postMessage` calls made for a run's post of one kind. */
function postCallsOf(runId: string, kind: string): number {
  return emulator.callsTo('chat.postMessage').filter((call) => {
    const payload = (call.args.metadata as { event_payload?: { run_id?: string; kind?: string } } | undefined)?.event_payload;
    return payload?.run_id === runId && payload.kind === kind;
  }).length;
}

/** A run's outbox rows of one type, as the relay would publish them (shared/events/outbox.ts). */
async function outboxEvents(runId: string, type: string): Promise<CloudEventV1<unknown>[]> {
  const rows = await db.sql<
    {
      eventId: string;
      type: string;
      source: string;
      subject: string | null;
      partitionKey: string;
      data: unknown;
      extensions: Record<string, string>;
      createdAt: Date;
    }[]
  >`
    select event_id, type, source, subject, partition_key, data, extensions, created_at
    from outbox where subject = ${runId} and type = ${type} order by seq`;
  return rows.map(
    (row) =>
      new CloudEvent({
        id: row.eventId,
        type: row.type,
        source: row.source,
        subject: row.subject ?? undefined,
        time: row.createdAt.toISOString(),
        datacontenttype: 'application/json',
        data: row.data,
        partitionkey: row.partitionKey,
        ...row.extensions,
      }),
  );
}

/** Sweep every process at once until no effect of these runs is pending; returns what the sweeps completed. */
async function sweepUntilDone(targets: BundleProcess[], runIds: string[]): Promise<number> {
  let completed = 0;
  await expect
    .poll(
      async () => {
        const sweeps = await race<{ effects: number }>(targets, async (target) => postInternal(target, '/sweep', await token(target.name)));
        completed += sweeps.reduce((sum, sweep) => sum + sweep.effects, 0);
        const [row] = await db.sql<{ pending: number }[]>`
          select count(*)::int as pending from slack_effects where scope in ${db.sql(runIds)} and done_at is null and parked_at is null`;
        return row!.pending;
      },
      { timeout: 20_000, interval: 200 },
    )
    .toBe(0);
  const parked = await db.sql`select last_error from slack_effects where scope in ${db.sql(runIds)} and parked_at is not null`;
  expect(parked).toEqual([]);
  return completed;
}

function expectNoErrors(targets: BundleProcess[]): void {
  for (const target of targets) expect(errorLines(target)).toEqual([]);
}

describe('close-run: two processes receive the same close', () => {
  let closeRuns: BundleProcess[];
  let fairness: BundleProcess;

  beforeAll(async () => {
    const [closing, assigning] = await Promise.all([start('close-run', 2), start('fairness-assign', 1)]);
    closeRuns = closing;
    fairness = assigning[0]!;
  });

  const closeRequested = (runId: string, slackChannelId: string) =>
    buildEvent(runEvent('com.coffeebuddy.run.close_requested', { runId, slackChannelId, requestedBySlackUserId: initiator }), {
      id: randomUUID(),
      source: 'interaction',
      time: new Date(),
    });

  /**
   * Close a run by delivering `closes` (one per process, at once), then carry the run on as Kafka
   * would: run.closed to fairness-assign, and its runner.assigned to both close-run processes at
   * once. Returns the runner and the close answers' statuses.
   */
  async function closeTwice(
    pick: (runId: string, slackChannelId: string) => CloudEventV1<unknown>[],
  ): Promise<{ runId: string; runner: string; results: string[] }> {
    const { runId, slackChannelId } = await seedRun({ status: 'open' });
    const closes = pick(runId, slackChannelId);
    const answers = await race<{ status: string }>(closeRuns, async (target, index) => postEvent(target, closes[index]!, await token('close-run')));

    const [run] = await db.sql<{ status: string }[]>`select status from runs where id = ${runId}`;
    expect(run!.status).toBe('closed');
    const closed = await outboxEvents(runId, 'com.coffeebuddy.run.closed');
    expect(closed).toHaveLength(1);

    await race([fairness], async (target) => postEvent(target, closed[0]!, await token('fairness-assign')));
    const assigned = await outboxEvents(runId, 'com.coffeebuddy.runner.assigned');
    expect(assigned).toHaveLength(1);
    const runner = (assigned[0]!.data as { runnerSlackUserId: string }).runnerSlackUserId;
    expect(orderers).toContain(runner);
    const announced = await race<{ status: string }>(closeRuns, async (target) => postEvent(target, assigned[0]!, await token('close-run')));
    expect(announced.map((answer) => answer.status).sort()).toEqual(['duplicate', 'processed']);

    await sweepUntilDone(closeRuns, [runId]);
    return { runId, runner, results: answers.map((answer) => answer.status).sort() };
  }

  function expectAnnouncedOnce(runId: string, runner: string): void {
    for (const kind of ['summary', `runner_dm:${runner}`]) {
      expect({ kind, shown: postsOf(runId, kind), calls: postCallsOf(runId, kind) }).toEqual({ kind, shown: 1, calls: 1 });
    }
  }

  it('the same close_requested delivered to both at once (a redelivery, a rebalance): closed once, one summary, one runner DM', async () => {
    for (let i = 0; i < repetitions; i++) {
      const { runId, runner, results } = await closeTwice((runId, slackChannelId) => {
        const close = closeRequested(runId, slackChannelId);
        return [close, close];
      });
      // One process handled it; the other found it handled (processed_events).
      expect(results).toEqual(['duplicate', 'processed']);
      expectAnnouncedOnce(runId, runner);
    }
    expectNoErrors([...closeRuns, fairness]);
  });

  it('two different close_requested events for one run (Close clicked as the schedule closes it): closed once, one summary, one runner DM', async () => {
    for (let i = 0; i < repetitions; i++) {
      const { runId, runner, results } = await closeTwice((runId, slackChannelId) => [
        closeRequested(runId, slackChannelId),
        closeRequested(runId, slackChannelId),
      ]);
      // Both events are new to close-run; only one of them finds the run open.
      expect(results).toEqual(['processed', 'processed']);
      expectAnnouncedOnce(runId, runner);
    }
    expectNoErrors([...closeRuns, fairness]);
  });
});

describe('reminder-due: two processes tick and sweep at the same moment', () => {
  let reminderDue: BundleProcess[];

  beforeAll(async () => {
    reminderDue = await start('reminder-due', 2);
  });

  it('POST /ticks/reminders to both at once: each reminder DM and last call posted once, each scheduled close requested once', async () => {
    const perKind = 3;
    for (let i = 0; i < repetitions; i++) {
      const now = Date.now();
      const reminded = await Promise.all(
        Array.from({ length: perKind }, () => seedRun({ status: 'closed', runner: orderers[0], pickupAt: new Date(now + 10 * 60_000) })),
      );
      const reminders = await db.sql<{ id: string; runId: string }[]>`
        insert into reminders (run_id, kind, recipient_slack_user_id, due_at)
        select id, 'runner', ${orderers[0]!}, ${new Date(now - 60_000)} from unnest(${reminded.map((run) => run.runId)}::uuid[]) as id
        returning id, run_id`;
      // Closing in 4 minutes: the last call (5 minutes before by default) is due.
      const lastCalled = await Promise.all(Array.from({ length: perKind }, () => seedRun({ status: 'open', closesAt: new Date(now + 4 * 60_000) })));
      const closing = await Promise.all(Array.from({ length: perKind }, () => seedRun({ status: 'open', closesAt: new Date(now - 60_000) })));

      const ticks = await race<{ done: number }>(reminderDue, async (target) => postInternal(target, '/ticks/reminders', await token('reminder-due')));
      // Between them the two ticks took each due item once.
      expect(ticks.reduce((sum, tick) => sum + tick.done, 0)).toBe(3 * perKind);
      await sweepUntilDone(
        reminderDue,
        [...reminded, ...lastCalled].map((run) => run.runId),
      );

      for (const reminder of reminders) expect(postsOf(reminder.runId, `reminder:${reminder.id}`)).toBe(1);
      for (const { runId } of lastCalled) expect(postsOf(runId, 'last_call')).toBe(1);
      const effects = await db.sql<{ key: string; rows: number }[]>`
        select key, count(*)::int as rows from slack_effects
        where scope in ${db.sql([...reminded, ...lastCalled].map((run) => run.runId))} group by key`;
      expect(effects).toHaveLength(2 * perKind);
      for (const effect of effects) expect(effect).toMatchObject({ rows: 1 });
      for (const { runId } of closing) expect(await outboxEvents(runId, 'com.coffeebuddy.run.close_requested')).toHaveLength(1);

      // Out of the next round's way: a later tick would otherwise close these on schedule.
      await db.sql`update runs set status = 'canceled' where id in ${db.sql(lastCalled.map((run) => run.runId))}`;
    }
    expectNoErrors(reminderDue);
  });

  it.each<[string, EmulatedFailure]>([
    ['Slack slow (answers after 800 ms)', { delayMs: 800, times: 3 }],
    ['Slack failing once (HTTP 500)', { status: 500 }],
  ])('POST /sweep to both at once with pending reminder DMs, %s: every effect done once, each DM posted once', async (_, failure) => {
    const runs = 4;
    for (let i = 0; i < repetitions; i++) {
      const seeded = await Promise.all(
        Array.from({ length: runs }, () => seedRun({ status: 'closed', runner: orderers[1], pickupAt: new Date(Date.now() + 10 * 60_000) })),
      );
      const runIds = seeded.map((run) => run.runId);
      // Two reminders per run (the runner's and a late one), so each run's scope holds two effects in order.
      const reminders = await db.sql<{ id: string; runId: string }[]>`
        insert into reminders (run_id, kind, recipient_slack_user_id, due_at, sent_at)
        select id, 'runner', ${orderers[1]!}, now(), now() from unnest(${[...runIds, ...runIds]}::uuid[]) as id
        returning id, run_id`;
      await db.sql`
        insert into slack_effects (kind, key, scope, payload, next_attempt_at, created_at)
        select 'reminder.runner_dm', 'reminder:' || r.id, r.run_id::text,
          jsonb_build_object('reminderId', r.id, 'runId', r.run_id, 'runnerSlackUserId', ${orderers[1]!}::text, 'late', false), now(), now()
        from unnest(${reminders.map((reminder) => reminder.id)}::uuid[]) as each (id)
        join reminders r on r.id = each.id
        order by r.created_at, r.id`;
      emulator.failNext('chat.postMessage', failure);

      const completed = await sweepUntilDone(reminderDue, runIds);

      for (const reminder of reminders) expect(postsOf(reminder.runId, `reminder:${reminder.id}`)).toBe(1);
      const [effects] = await db.sql<{ done: number; attempts: number }[]>`
        select count(*) filter (where done_at is not null)::int as done, sum(attempts)::int as attempts
        from slack_effects where scope in ${db.sql(runIds)}`;
      expect(effects!.done).toBe(reminders.length);
      if (failure.delayMs !== undefined) {
        // Nothing failed, so every effect took one attempt, by one sweep or the other.
        expect(completed).toBe(reminders.length);
        expect(effects!.attempts).toBe(reminders.length);
      } else {
        expect(effects!.attempts).toBe(reminders.length + 1);
      }
    }
    expectNoErrors(reminderDue);
  });
});
