import { copyFile, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, migrationsDir } from './migrate.ts';
import { isUniqueViolation } from './client.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-db.ts';

describe('migrations on a real Postgres', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('applies every migration once and is a no-op the second time', async () => {
    expect(await migrate(db.sql)).toEqual([]);
    const rows = await db.sql<{ name: string }[]>`select name from schema_migrations`;
    expect(rows.map((r) => r.name)).toContain('0001_initial.sql');
  });

  it('allows only one active order per user per run', async () => {
    const [user] = await db.sql<{ id: string }[]>`
      insert into users (slack_user_id, slack_team_id) values ('U1', 'T1') returning id`;
    const [channel] = await db.sql<{ id: string }[]>`
      insert into channels (slack_channel_id, slack_team_id) values ('C1', 'T1') returning id`;
    const [run] = await db.sql<{ id: string }[]>`
      insert into runs (channel_id, initiator_id, time_zone)
      values (${channel!.id}, ${user!.id}, 'UTC') returning id`;
    await db.sql`insert into orders (run_id, user_id, drink, size) values (${run!.id}, ${user!.id}, 'Latte', 'Small')`;
    const second = db.sql`insert into orders (run_id, user_id, drink, size) values (${run!.id}, ${user!.id}, 'Mocha', 'Large')`;
    const error = await second.catch((e: unknown) => e);
    expect(isUniqueViolation(error, 'orders_one_active_per_user_per_run')).toBe(true);
    await db.sql`update orders set status = 'withdrawn' where run_id = ${run!.id}`;
    await db.sql`insert into orders (run_id, user_id, drink, size) values (${run!.id}, ${user!.id}, 'Mocha', 'Large')`;
    const active = await db.sql`select 1 from orders where run_id = ${run!.id} and status = 'active'`;
    expect(active.length).toBe(1);
  });

  it('allows only one open run per channel', async () => {
    const [user] = await db.sql<{ id: string }[]>`
      insert into users (slack_user_id, slack_team_id) values ('U2', 'T1') returning id`;
    const [channel] = await db.sql<{ id: string }[]>`
      insert into channels (slack_channel_id, slack_team_id) values ('C2', 'T1') returning id`;
    await db.sql`insert into runs (channel_id, initiator_id, time_zone) values (${channel!.id}, ${user!.id}, 'UTC')`;
    const error = await db.sql`
      insert into runs (channel_id, initiator_id, time_zone) values (${channel!.id}, ${user!.id}, 'UTC')`.catch((e: unknown) => e);
    expect(isUniqueViolation(error, 'runs_one_open_per_channel')).toBe(true);
  });

  it('parks one consumer’s failure with an event once; 0014 keeps the oldest of rows parked twice before', async () => {
    // As before 0014: no key, so the same failure could be parked twice.
    await db.sql`drop index dead_letter_events_one_parked`;
    const park = async (consumer: string, at: string, replayedAt: string | null = null) => {
      const [row] = await db.sql<{ id: string }[]>`
        insert into dead_letter_events (consumer, event_id, type, source, attributes, error, attempts, created_at, replayed_at)
        values (${consumer}, 'e1', 'com.coffeebuddy.run.created', 'slash-command', '{}', 'boom', 1, ${at}, ${replayedAt})
        returning id`;
      return row!.id;
    };
    const oldest = await park('close-run', '2026-01-02T00:00:00Z');
    await park('close-run', '2026-01-03T00:00:00Z');
    const replayed = await park('close-run', '2026-01-01T00:00:00Z', '2026-01-01T01:00:00Z');
    const otherConsumer = await park('fairness-assign', '2026-01-03T00:00:00Z');
    await db.sql.unsafe(await readFile(join(migrationsDir, '0014_dead_letter_key.sql'), 'utf8'));
    const left = await db.sql<{ id: string }[]>`select id from dead_letter_events where event_id = 'e1'`;
    expect(left.map((row) => row.id).sort()).toEqual([oldest, replayed, otherConsumer].sort());
    const again = await park('close-run', '2026-01-04T00:00:00Z').catch((e: unknown) => e);
    expect(isUniqueViolation(again, 'dead_letter_events_one_parked')).toBe(true);
  });

  it('0018 turns the 👍 / 👎 answers into ratings of 5 and 1 and allows only 1–5', async () => {
    const before = await createTestDatabase({ migrated: false });
    const dir = await mkdtemp(join(tmpdir(), 'migrations-'));
    try {
      for (const name of (await readdir(migrationsDir)).filter((file) => file < '0018')) await copyFile(join(migrationsDir, name), join(dir, name));
      await migrate(before.sql, dir);
      const [user] = await before.sql<{ id: string }[]>`insert into users (slack_user_id, slack_team_id) values ('U1', 'T1') returning id`;
      const [other] = await before.sql<{ id: string }[]>`insert into users (slack_user_id, slack_team_id) values ('U2', 'T1') returning id`;
      const [channel] = await before.sql<{ id: string }[]>`insert into channels (slack_channel_id, slack_team_id) values ('C1', 'T1') returning id`;
      const [run] = await before.sql<{ id: string }[]>`
        insert into runs (channel_id, initiator_id, time_zone) values (${channel!.id}, ${user!.id}, 'UTC') returning id`;
      await before.sql`
        insert into run_feedback (run_id, user_id, answer, answered_at)
        values (${run!.id}, ${user!.id}, 'up', now()), (${run!.id}, ${other!.id}, 'down', now())`;
      expect(await migrate(before.sql)).toContain('0018_run_ratings.sql');
      const rows = await before.sql<{ userId: string; rating: number }[]>`select user_id, rating from run_feedback order by rating`;
      expect(rows).toEqual([
        { userId: other!.id, rating: 1 },
        { userId: user!.id, rating: 5 },
      ]);
      const error = await before.sql`update run_feedback set rating = 6`.catch((e: unknown) => e);
      expect((error as { constraint_name?: string }).constraint_name).toBe('run_feedback_rating_range');
    } finally {
      await rm(dir, { recursive: true, force: true });
      await before.drop();
    }
  });

  it('0021 lets channels at the old default window of 5 follow FAIRNESS_WINDOW_RUNS, keeping a 5 an admin chose', async () => {
    const before = await createTestDatabase({ migrated: false });
    const dir = await mkdtemp(join(tmpdir(), 'migrations-'));
    try {
      for (const name of (await readdir(migrationsDir)).filter((file) => file < '0021')) await copyFile(join(migrationsDir, name), join(dir, name));
      await migrate(before.sql, dir);
      const channel = async (slackChannelId: string, window?: number) => {
        const [row] = await before.sql<{ id: string }[]>`
          insert into channels (slack_channel_id, slack_team_id) values (${slackChannelId}, 'T1') returning id`;
        if (window !== undefined) await before.sql`update channels set fairness_window_runs = ${window} where id = ${row!.id}`;
        return row!.id;
      };
      const logged = (channelId: string, slackChannelId: string, action: string, changes: Record<string, unknown>) =>
        before.sql`
          insert into channel_admin_actions (channel_id, slack_channel_id, actor_slack_user_id, action, changes)
          values (${channelId}, ${slackChannelId}, 'UADMIN', ${action}, ${before.sql.json(changes as never)})`;
      // Never set: the schema's 5.
      await channel('CNEVER');
      // Set to 8 and left there.
      await logged(await channel('CEIGHT', 8), 'CEIGHT', 'window', { fairnessWindowRuns: { from: 5, to: 8 } });
      // Set to 8, then back to 5 on purpose.
      const chosen = await channel('CCHOSE');
      await logged(chosen, 'CCHOSE', 'window', { fairnessWindowRuns: { from: 5, to: 8 } });
      await logged(chosen, 'CCHOSE', 'settings', { enabled: { from: true, to: false }, fairnessWindowRuns: { from: 8, to: 5 } });
      // Other settings changed, and someone refused a window change: the 5 is still the default's.
      const other = await channel('COTHER');
      await logged(other, 'COTHER', 'retention', { dataRetentionDays: { from: 90, to: 30 } });
      await logged(other, 'COTHER', 'refused:window', {});

      expect(await migrate(before.sql)).toContain('0021_fairness_window_default.sql');
      const rows = await before.sql<{ slackChannelId: string; fairnessWindowRuns: number | null }[]>`
        select slack_channel_id, fairness_window_runs from channels order by slack_channel_id`;
      expect(rows).toEqual([
        { slackChannelId: 'CCHOSE', fairnessWindowRuns: 5 },
        { slackChannelId: 'CEIGHT', fairnessWindowRuns: 8 },
        { slackChannelId: 'CNEVER', fairnessWindowRuns: null },
        { slackChannelId: 'COTHER', fairnessWindowRuns: null },
      ]);
      // A channel seen from now on follows the deployment too; the range admins choose from still holds.
      await channel('CNEW');
      expect((await before.sql`select fairness_window_runs from channels where slack_channel_id = 'CNEW'`)[0]).toEqual({ fairnessWindowRuns: null });
      const error = await before.sql`update channels set fairness_window_runs = 0 where slack_channel_id = 'CNEW'`.catch((e: unknown) => e);
      expect((error as { constraint_name?: string }).constraint_name).toBe('channels_fairness_window_runs_check');
    } finally {
      await rm(dir, { recursive: true, force: true });
      await before.drop();
    }
  });
  it("0022 keys message records by post key: a run's keep their run, a reset notice's gets the expiry its made-up run id never had", async () => {
    const before = await createTestDatabase({ migrated: false });
    const dir = await mkdtemp(join(tmpdir(), 'migrations-'));
    try {
      for (const name of (await readdir(migrationsDir)).filter((file) => file < '0022')) await copyFile(join(migrationsDir, name), join(dir, name));
      await migrate(before.sql, dir);
      const runId = '11111111-1111-4111-8111-111111111111';
      const noticeId = '22222222-2222-5222-8222-222222222222';
      const attempted = new Date('2026-11-01T09:00:00Z');
      await before.sql`
        insert into slack_messages (run_id, kind, channel, ts, attempted_at) values
          (${runId}, 'run_message', 'C1', '1.1', ${attempted}),
          (${runId}, 'runner_dm:U2', 'D2', null, ${attempted}),
          (${noticeId}, 'reset_notice', 'C1', '1.2', ${attempted})`;

      expect(await migrate(before.sql)).toEqual(['0022_post_keys.sql']);
      const rows = await before.sql<{ postKey: string; runId: string | null; kind: string; ts: string | null; expiresAt: Date | null }[]>`
        select post_key, run_id, kind, ts, expires_at from slack_messages order by post_key`;
      expect(rows).toEqual([
        { postKey: `reset_notice:${noticeId}`, runId: null, kind: 'reset_notice', ts: '1.2', expiresAt: new Date('2026-12-16T09:00:00Z') },
        { postKey: `run:${runId}:run_message`, runId, kind: 'run_message', ts: '1.1', expiresAt: null },
        { postKey: `run:${runId}:runner_dm:U2`, runId, kind: 'runner_dm:U2', ts: null, expiresAt: null },
      ]);
      // The key is the record's identity: a second record under it is refused.
      const error = await before.sql`
        insert into slack_messages (post_key, run_id, kind, channel) values (${`run:${runId}:run_message`}, ${runId}, 'run_message', 'C1')`.catch(
        (e: unknown) => e,
      );
      expect(isUniqueViolation(error, 'slack_messages_pkey')).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await before.drop();
    }
  });
});
