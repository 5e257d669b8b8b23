import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminDeps } from '../../functions/admin/reset.ts';
import { runRetentionTick } from '../../functions/admin/retention.ts';
import { adminConfig } from '../../functions/admin/schema.ts';
import { registry } from '../../functions/registry.ts';
import { buildEvent } from '../../shared/events/cloud-event.ts';
import { toBinaryHttp } from '../../shared/events/http-binding.ts';
import { createEmitter } from '../../shared/events/outbox.ts';
import { silentLogger } from '../../shared/logging.ts';
import { createMetrics } from '../../shared/metrics.ts';
import { startTestStack, type TestStack } from '../support/harness.ts';
import { seedRuns } from '../support/seed-runs.ts';

const DAY = 24 * 60 * 60 * 1000;

/** The request timeout of admin's Knative Service (its first `timeoutSeconds`; the probes' come after). */
async function adminRequestTimeoutMs(): Promise<number> {
  const seconds = /timeoutSeconds: (\d+)/.exec(await readFile('knative/admin.yaml', 'utf8'))?.[1];
  if (!seconds) throw new Error('knative/admin.yaml has no timeoutSeconds');
  return Number(seconds) * 1000;
}

describe('admin: channel reset and retention', () => {
  let stack: TestStack;
  let seq = 0;
  const newChannel = () => `CADM${++seq}`;
  const now = () => stack.clock.now;
  const daysAgo = (days: number) => new Date(now().getTime() - days * DAY);

  beforeAll(async () => {
    stack = await startTestStack({ functions: registry });
  });
  afterAll(async () => {
    await stack.close();
  });

  const resetEvent = (slackChannelId: string, requestedBySlackUserId: string, requestedAt = now()) =>
    buildEvent(
      {
        type: 'com.coffeebuddy.channel.reset_requested',
        subject: slackChannelId,
        partitionKey: slackChannelId,
        correlationId: slackChannelId,
        data: { slackChannelId, requestedBySlackUserId, requestedAt: requestedAt.toISOString() },
      },
      { id: randomUUID(), source: 'interaction', time: now() },
    );
  const deliver = async (event: ReturnType<typeof resetEvent>) => {
    const response = await stack.postEvent('admin', toBinaryHttp(event));
    expect(response.status).toBe(200);
    return ((await response.json()) as { status: string }).status;
  };
  const notices = (channel: string) => stack.slack.messages(channel).filter((m) => String(m.text).includes('was reset by'));

  /** Rows a channel owns, table by table (children found through the runs seeded for it), camelCased. */
  async function owned(slackChannelId: string, runIds: readonly string[]) {
    const [row] = await stack.db.sql<Record<string, number>[]>`
      select
        (select count(*)::int from runs r join channels c on c.id = r.channel_id where c.slack_channel_id = ${slackChannelId}) as runs,
        (select count(*)::int from orders where run_id in ${stack.db.sql(runIds)}) as orders,
        (select count(*)::int from reminders where run_id in ${stack.db.sql(runIds)}) as reminders,
        (select count(*)::int from run_volunteers where run_id in ${stack.db.sql(runIds)}) as run_volunteers,
        (select count(*)::int from run_declines where run_id in ${stack.db.sql(runIds)}) as run_declines,
        (select count(*)::int from slack_messages where run_id in ${stack.db.sql(runIds)}) as slack_messages,
        (select count(*)::int from slack_effects where scope in ${stack.db.sql(runIds)}) as slack_effects,
        (select count(*)::int from user_preferences p join channels c on c.id = p.channel_id where c.slack_channel_id = ${slackChannelId}) as user_preferences
    `;
    return row!;
  }
  const everything = (runs: number, preferences: number) => ({
    runs,
    orders: 2 * runs,
    reminders: runs,
    runVolunteers: runs,
    runDeclines: runs,
    slackMessages: runs,
    slackEffects: runs,
    userPreferences: preferences,
  });
  async function remember(slackChannelId: string, channelId: string) {
    await stack.db.sql`
      insert into user_preferences (user_id, channel_id, last_order)
      select id, ${channelId}, '{"drink":"Latte"}'::jsonb from users where slack_user_id in ('U0SEED1', 'U0SEED2')`;
    await stack.db.sql`
      insert into channel_admin_actions (channel_id, slack_channel_id, actor_slack_user_id, action, changes, created_at)
      values (${channelId}, ${slackChannelId}, 'UADMIN', 'retention', '{"dataRetentionDays":{"from":90,"to":30}}', ${now()})`;
    await stack.db.sql`update channels set data_retention_days = 30, admin_slack_user_ids = '{UADMIN}' where id = ${channelId}`;
  }

  describe('channel.reset_requested', () => {
    it("deletes exactly that channel's runs, orders, reminders, Slack records and remembered orders; keeps settings, the audit trail and other channels", async () => {
      const channel = newChannel();
      const other = newChannel();
      const mine = await seedRuns(stack.db.sql, { slackChannelId: channel, count: 1200, startedAt: daysAgo(1) }); // more than one batch of 1000
      const theirs = await seedRuns(stack.db.sql, { slackChannelId: other, count: 20, startedAt: daysAgo(1) });
      await remember(channel, mine.channelId);
      await remember(other, theirs.channelId);
      const requestedAt = now();
      // Finished after the request (before the event arrived): newer than what the admin erased.
      const after = await seedRuns(stack.db.sql, { slackChannelId: channel, count: 1, startedAt: new Date(requestedAt.getTime() + 120_000) });

      // The way the confirm button sends it: the outbox, then the bus to admin's event endpoint.
      const emit = createEmitter('interaction', { now });
      await stack.db.sql.begin((tx) =>
        emit(tx, {
          type: 'com.coffeebuddy.channel.reset_requested',
          subject: channel,
          partitionKey: channel,
          correlationId: channel,
          data: { slackChannelId: channel, requestedBySlackUserId: 'UADMIN', requestedAt: requestedAt.toISOString() },
        }),
      );
      await stack.runtime.relay!.flush();
      await stack.bus!.idle();

      await expect.poll(() => notices(channel).length, { timeout: 10_000 }).toBe(1);
      expect(notices(channel)[0]!.text).toContain("CoffeeBuddy's data for this channel was reset by <@UADMIN>");
      expect(await owned(channel, mine.runIds)).toEqual({ ...everything(0, 0), runs: 1 });
      expect(await owned(channel, after.runIds)).toMatchObject({ runs: 1, orders: 2 });
      expect(await owned(other, theirs.runIds)).toEqual(everything(20, 2));
      const [settings] = await stack.db.sql<{ dataRetentionDays: number; adminSlackUserIds: string[] }[]>`
        select data_retention_days, admin_slack_user_ids from channels where slack_channel_id = ${channel}`;
      expect(settings).toEqual({ dataRetentionDays: 30, adminSlackUserIds: ['UADMIN'] });
      const audit = await stack.db.sql`select 1 from channel_admin_actions where slack_channel_id in ${stack.db.sql([channel, other])}`;
      expect(audit).toHaveLength(2);
    });

    it('is dropped when a run is open at processing time: nothing deleted, nothing posted, not retried', async () => {
      const channel = newChannel();
      const finished = await seedRuns(stack.db.sql, { slackChannelId: channel, count: 5, startedAt: daysAgo(2) });
      await remember(channel, finished.channelId);
      const requestedAt = now();
      // Opened between the admin's confirmation and the event's delivery: it wins.
      const open = await seedRuns(stack.db.sql, { slackChannelId: channel, count: 1, status: 'open', startedAt: new Date(requestedAt.getTime() + 120_000) });
      const event = resetEvent(channel, 'UADMIN', requestedAt);
      expect(await deliver(event)).toBe('processed');
      await stack.runtime.effects.sweep();
      expect(await owned(channel, finished.runIds)).toEqual({ ...everything(5, 2), runs: 6 });
      expect(await owned(channel, open.runIds)).toMatchObject({ runs: 6, orders: 2 });
      expect(notices(channel)).toHaveLength(0);
      const enqueued = await stack.db.sql`select 1 from slack_effects where kind = 'admin.reset_notice' and scope = ${channel}`;
      expect(enqueued).toHaveLength(0);
      // Handled (dropped) once: a redelivery after the run ends does not reset later.
      await stack.db.sql`update runs set status = 'completed' where id = ${open.runIds[0]!}`;
      expect(await deliver(event)).toBe('duplicate');
      expect((await owned(channel, finished.runIds)).runs).toBe(6);
    });

    it('posts its notice once, however often the event is delivered, even when Slack answers the first post late', async () => {
      const channel = newChannel();
      await seedRuns(stack.db.sql, { slackChannelId: channel, count: 10, startedAt: daysAgo(3) });
      const event = resetEvent(channel, 'UOWNER');
      // Slack takes the post but answers after the effect's 2 s timeout: the outcome is unknown.
      stack.slack.failNext('chat.postMessage', { delayMs: 2_500 });
      const answers = await Promise.all([deliver(event), deliver(event), deliver(event)]);
      expect(answers.filter((status) => status === 'processed')).toHaveLength(1);
      await expect
        .poll(
          async () =>
            (
              await stack.db.sql`
        select 1 from slack_effects where kind = 'admin.reset_notice' and scope = ${channel} and done_at is not null`
            ).length,
          { timeout: 15_000 },
        )
        .toBe(1);
      expect(await deliver(event)).toBe('duplicate');
      // Long after, its dedupe row gone (retention), the event comes again (a replayed dead letter):
      // the reset deletes nothing new and the notice is found, not posted again.
      await stack.db.sql`delete from processed_events where consumer = 'admin' and event_id = ${event.id}`;
      expect(await deliver(event)).toBe('processed');
      await expect
        .poll(
          async () =>
            (
              await stack.db.sql`
        select 1 from slack_effects where kind = 'admin.reset_notice' and scope = ${channel} and done_at is not null`
            ).length,
          { timeout: 15_000 },
        )
        .toBe(2);
      expect(notices(channel)).toHaveLength(1);
      expect(stack.slack.messages(channel)).toHaveLength(1);
      // Posted once: the retry after the late answer looked the message up instead of posting.
      expect(stack.slack.callsTo('chat.postMessage').filter((call) => call.args.channel === channel)).toHaveLength(1);
      // The notice belongs to no run: its record is kept as long as a dedupe row (45 days), then expires.
      expect(
        await stack.db.sql`select run_id, expires_at - attempted_at as kept from slack_messages where channel = ${channel} and kind = 'reset_notice'`,
      ).toEqual([{ runId: null, kept: '45 days' }]);
    });
  });

  describe('retention (daily tick)', () => {
    const tick = async () => {
      // Answered within the request timeout Knative gives admin, or the PingSource's tick is cut off.
      const response = await fetch(`${stack.url}/ticks/retention`, {
        method: 'POST',
        headers: await stack.eventHeaders('admin'),
        signal: AbortSignal.timeout(await adminRequestTimeoutMs()),
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { done: number }).done;
    };
    /** Retention as a second instance runs it: its own deps on the same database. */
    const otherInstance = (): AdminDeps =>
      // The tick reads only the pool, the clock, its config, metrics and the logger.
      ({ sql: stack.db.sql, now, config: adminConfig.parse({}), metrics: createMetrics(), log: silentLogger }) as Partial<AdminDeps> as AdminDeps;

    it("deletes 10,000 runs past their channel's retention with everything they left, keeps young and unfinished runs, and honours each table's window", async () => {
      const busy = newChannel();
      const longKept = newChannel();
      const shortKept = newChannel();
      const old = await seedRuns(stack.db.sql, { slackChannelId: busy, count: 10_000, startedAt: daysAgo(91) });
      const young = await seedRuns(stack.db.sql, { slackChannelId: busy, count: 30, startedAt: daysAgo(89) });
      const stuckOpen = await seedRuns(stack.db.sql, { slackChannelId: busy, count: 1, status: 'open', startedAt: daysAgo(200) });
      const kept = await seedRuns(stack.db.sql, { slackChannelId: longKept, count: 20, startedAt: daysAgo(200), retentionDays: 365 });
      const expired = await seedRuns(stack.db.sql, { slackChannelId: shortKept, count: 20, startedAt: daysAgo(8), retentionDays: 7, status: 'canceled' });

      const sql = stack.db.sql;
      const outbox = (id: string, publishedDaysAgo: number | null, createdDaysAgo: number) => sql`
        insert into outbox (event_id, type, source, partition_key, data, created_at, published_at)
        values (${id}, 'com.coffeebuddy.run.started', 'test', 'C', '{}', ${daysAgo(createdDaysAgo)}, ${publishedDaysAgo === null ? null : daysAgo(publishedDaysAgo)})`;
      await outbox('ret-outbox-old', 7.5, 8);
      await outbox('ret-outbox-recent', 6.5, 7);
      await outbox('ret-outbox-unpublished', null, 30);
      await sql`
        insert into processed_events (consumer, event_id, processed_at)
        values ('test', 'ret-processed-old', ${daysAgo(46)}), ('test', 'ret-processed-recent', ${daysAgo(44)})`;
      await sql`
        insert into slack_effects (kind, key, scope, payload, next_attempt_at, created_at, done_at, parked_at)
        values
          ('test', 'ret-effect-done-old', 'S', '{}', ${daysAgo(8)}, ${daysAgo(8)}, ${daysAgo(8)}, null),
          ('test', 'ret-effect-done-recent', 'S', '{}', ${daysAgo(6)}, ${daysAgo(6)}, ${daysAgo(6)}, null),
          ('test', 'ret-effect-parked', 'S', '{}', ${daysAgo(60)}, ${daysAgo(60)}, null, ${daysAgo(59)}),
          ('test', 'ret-effect-pending', 'S', '{}', ${daysAgo(9)}, ${daysAgo(9)}, null, null)`;
      const deadLetter = (id: string, replayedDaysAgo: number | null) => sql`
        insert into dead_letter_events (consumer, event_id, type, source, attributes, error, attempts, created_at, replayed_at)
        values ('test', ${id}, 'com.coffeebuddy.run.started', 'test', '{}', 'boom', 6, ${daysAgo(100)}, ${replayedDaysAgo === null ? null : daysAgo(replayedDaysAgo)})`;
      await deadLetter('ret-dead-old', 31);
      await deadLetter('ret-dead-recent', 29);
      await deadLetter('ret-dead-unreplayed', null);
      await sql`
        insert into channel_admin_actions (slack_channel_id, actor_slack_user_id, action, created_at)
        values (${busy}, 'UADMIN', 'ret-audit-old', ${daysAgo(366)}), (${busy}, 'UADMIN', 'ret-audit-recent', ${daysAgo(364)})`;
      await sql`
        insert into slack_messages (post_key, kind, channel, ts, attempted_at, expires_at)
        values
          ('ret-post-expired', 'reset_notice', ${busy}, '1.1', ${daysAgo(46)}, ${daysAgo(1)}),
          ('ret-post-kept', 'reset_notice', ${busy}, '1.2', ${daysAgo(44)}, ${daysAgo(-1)})`;

      const done = await tick();

      expect(await owned(busy, old.runIds)).toEqual({ ...everything(0, 0), runs: 30 });
      // Kept runs keep everything but their done effects, which the effects' own 7-day window took.
      expect(await owned(busy, young.runIds)).toEqual({ ...everything(30, 0), slackEffects: 0 });
      // A run left open past the retention goes too: what people ordered in it is theirs.
      expect(await owned(busy, stuckOpen.runIds)).toEqual({ ...everything(0, 0), runs: 30 });
      expect(await owned(longKept, kept.runIds)).toEqual({ ...everything(20, 0), slackEffects: 0 });
      expect(await owned(shortKept, expired.runIds)).toEqual(everything(0, 0));

      const left = async (query: Promise<{ key: string }[]>) => (await query).map((row) => row.key).sort();
      expect(await left(sql<{ key: string }[]>`select event_id as key from outbox where event_id like 'ret-outbox-%'`)).toEqual([
        'ret-outbox-recent',
        'ret-outbox-unpublished',
      ]);
      expect(await left(sql<{ key: string }[]>`select event_id as key from processed_events where consumer = 'test'`)).toEqual(['ret-processed-recent']);
      expect(await left(sql<{ key: string }[]>`select key from slack_effects where key like 'ret-effect-%'`)).toEqual([
        'ret-effect-done-recent',
        'ret-effect-parked',
        'ret-effect-pending',
      ]);
      // Replayed a month ago, or never replayed in 90 days (PERSONAL_DATA_RETENTION_DAYS): gone.
      expect(await left(sql<{ key: string }[]>`select event_id as key from dead_letter_events where consumer = 'test'`)).toEqual(['ret-dead-recent']);
      expect(await left(sql<{ key: string }[]>`select action as key from channel_admin_actions where action like 'ret-audit-%'`)).toEqual(['ret-audit-recent']);
      // A post that belongs to no run: its record goes once it expires.
      expect(await left(sql<{ key: string }[]>`select post_key as key from slack_messages where post_key like 'ret-post-%'`)).toEqual(['ret-post-kept']);

      // 10,020 runs, each with 2 orders, a reminder, a volunteer, a decline, a message record and an
      // effect; the 50 kept runs' done effects; one row of each window.
      expect(done).toBeGreaterThanOrEqual(10_021 * 8 + 50 + 6);
      const metrics = await (await fetch(`${stack.url}/metrics`)).text();
      expect(metrics).toContain('coffeebuddy_retention_deleted_total{table="runs"} 10021');
      expect(metrics).toContain('coffeebuddy_retention_deleted_total{table="orders"} 20042');
      expect(metrics).toContain('coffeebuddy_retention_deleted_total{table="processed_events"} 1');
      // Run again: nothing left to do.
      expect(await tick()).toBe(0);
    });

    it('deletes personal data nothing needs: unused saved orders, ended away periods, people nothing refers to, old parked effects', async () => {
      const channel = newChannel();
      const sql = stack.db.sql;
      const [{ id: channelId } = { id: '' }] = await sql<{ id: string }[]>`
        insert into channels (slack_channel_id, slack_team_id, data_retention_days) values (${channel}, 'T1', 90) returning id`;
      const person = async (slackUserId: string, lastSeenDaysAgo: number) =>
        (
          await sql<{ id: string }[]>`
            insert into users (slack_user_id, slack_team_id, display_name, created_at, updated_at)
            values (${slackUserId}, 'T1', ${slackUserId.toLowerCase()}, ${daysAgo(lastSeenDaysAgo)}, ${daysAgo(lastSeenDaysAgo)}) returning id`
        )[0]!.id;
      const gone = await person('UPDGONE', 120);
      const stale = await person('UPDSTALE', 120);
      const regular = await person('UPDREGULAR', 120);
      const newcomer = await person('UPDNEW', 10);
      await sql`
        insert into user_preferences (user_id, channel_id, last_order, updated_at)
        values (${stale}, ${channelId}, '{"drink":"Latte"}', ${daysAgo(91)}), (${regular}, ${channelId}, '{"drink":"Mocha"}', ${daysAgo(3)})`;
      await sql`
        insert into away_periods (user_id, channel_id, away_until) values (${stale}, ${channelId}, ${daysAgo(1)}), (${regular}, ${channelId}, ${daysAgo(-5)})`;
      await sql`
        insert into slack_effects (kind, key, scope, payload, next_attempt_at, created_at, parked_at)
        values ('test', 'pd-parked-old', 'S', '{}', ${daysAgo(100)}, ${daysAgo(100)}, ${daysAgo(95)}), ('test', 'pd-parked-young', 'S', '{}', ${daysAgo(10)}, ${daysAgo(10)}, ${daysAgo(9)})`;

      await tick();
      // The stale person's saved order (unused 91 days) and ended away period went, then the person
      // (nothing refers to them any more); the one seen 10 days ago stays, as does the regular.
      expect(await sql`select slack_user_id from users where id in ${sql([gone, stale, regular, newcomer])} order by slack_user_id`).toEqual([
        { slackUserId: 'UPDNEW' },
        { slackUserId: 'UPDREGULAR' },
      ]);
      expect(await sql`select user_id from user_preferences where channel_id = ${channelId}`).toEqual([{ userId: regular }]);
      expect(await sql`select user_id from away_periods where channel_id = ${channelId}`).toEqual([{ userId: regular }]);
      expect(await sql`select key from slack_effects where key like 'pd-parked-%'`).toEqual([{ key: 'pd-parked-young' }]);
    });

    it('two ticks at once (two instances) delete each row once, and both finish', async () => {
      const channel = newChannel();
      const old = await seedRuns(stack.db.sql, { slackChannelId: channel, count: 5_000, startedAt: daysAgo(100) });
      const viaHttp = async () => (await stack.metrics.retentionDeletedTotal.get()).values.find((v) => v.labels.table === 'runs')?.value ?? 0;
      const before = await viaHttp();
      const [first, second] = await Promise.all([runRetentionTick(otherInstance()), runRetentionTick(otherInstance()), tick()]);
      expect(first.runs! + second.runs! + (await viaHttp()) - before).toBe(5_000);
      expect(await owned(channel, old.runIds)).toEqual(everything(0, 0));
      expect(await tick()).toBe(0);
    });
  });
});
