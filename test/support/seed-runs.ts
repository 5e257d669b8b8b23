import type { Sql } from '../../shared/db/client.ts';
import type { RunStatus } from '../../shared/domain/run.ts';

/** What {@link seedRuns} wrote, to find it again. */
export interface SeededRuns {
  channelId: string;
  runIds: string[];
}

/**
 * Seed a channel with `count` runs in one `insert … select generate_series` statement, each with
 * what a real run leaves behind: two orders, a runner reminder, its run message record and a done
 * Slack effect, a volunteer and a decline. Run `n` (1-based) started `n` minutes before `startedAt`.
 * The channel is created if missing (then with `retentionDays`, if given). Works on this release's
 * schema and on the previous one's, whose message records had no post key (the upgrade test seeds
 * before migrating).
 */
export async function seedRuns(
  sql: Sql,
  args: { slackChannelId: string; count: number; startedAt: Date; status?: RunStatus; retentionDays?: number },
): Promise<SeededRuns> {
  const [channel] = await sql<{ id: string }[]>`
    insert into channels (slack_channel_id, slack_team_id, data_retention_days)
    values (${args.slackChannelId}, 'T0SEED', ${args.retentionDays ?? 90})
    on conflict (slack_channel_id) do update set slack_team_id = excluded.slack_team_id
    returning id
  `;
  const users = await sql<{ id: string }[]>`
    insert into users (slack_user_id, slack_team_id)
    values ('U0SEED1', 'T0SEED'), ('U0SEED2', 'T0SEED')
    on conflict (slack_user_id) do update set slack_team_id = excluded.slack_team_id
    returning id
  `;
  const [first, second] = [users[0]!.id, users[1]!.id];
  const status = args.status ?? 'completed';
  const [{ keyed } = { keyed: true }] = await sql<{ keyed: boolean }[]>`
    select exists (select 1 from information_schema.columns where table_name = 'slack_messages' and column_name = 'post_key') as keyed`;
  const runMessageRecord = keyed
    ? sql`
      insert into slack_messages (post_key, run_id, kind, channel, ts, attempted_at, created_at)
      select 'run:' || id || ':run_message', id, 'run_message', ${args.slackChannelId}, extract(epoch from started_at)::text, started_at, started_at from new_runs`
    : sql`
      insert into slack_messages (run_id, kind, channel, ts, attempted_at, created_at)
      select id, 'run_message', ${args.slackChannelId}, extract(epoch from started_at)::text, started_at, started_at from new_runs`;
  const rows = await sql<{ id: string }[]>`
    with new_runs as (
      insert into runs (channel_id, initiator_id, runner_id, status, time_zone, started_at, closed_at, created_at, updated_at)
      select ${channel!.id}, ${first}, ${second}, ${status}, 'UTC', s.at, s.at + interval '10 minutes', s.at, s.at
      from generate_series(1, ${args.count}) as n
      cross join lateral (select ${args.startedAt}::timestamptz - n * interval '1 minute' as at) as s
      returning id, started_at
    ),
    new_orders as (
      insert into orders (run_id, user_id, drink, size, created_at, updated_at)
      select r.id, u.id, 'Latte', 'Small', r.started_at, r.started_at
      from new_runs r cross join (values (${first}::uuid), (${second}::uuid)) as u (id)
    ),
    new_reminders as (
      insert into reminders (run_id, kind, recipient_slack_user_id, due_at, sent_at, created_at)
      select id, 'runner', 'U0SEED2', started_at, started_at, started_at from new_runs
    ),
    new_volunteers as (
      insert into run_volunteers (run_id, user_id, created_at) select id, ${second}, started_at from new_runs
    ),
    new_declines as (
      insert into run_declines (run_id, user_id, created_at) select id, ${first}, started_at from new_runs
    ),
    new_messages as (${runMessageRecord}),
    new_effects as (
      insert into slack_effects (kind, key, scope, payload, next_attempt_at, created_at, done_at)
      select 'seed', 'seed:' || id, id::text, '{}'::jsonb, started_at, started_at, started_at from new_runs
    )
    select id from new_runs
  `;
  return { channelId: channel!.id, runIds: rows.map((row) => row.id) };
}

/**
 * Seed `channels` more channels with `runsPerChannel` completed runs each (one an hour before
 * `startedAt`, going back), each run with two orders by the channel's own two people: history at
 * scale around a channel under test, in one statement.
 */
export async function seedOtherChannels(sql: Sql, args: { channels: number; runsPerChannel: number; startedAt: Date }): Promise<void> {
  await sql`
    with chs as (
      insert into channels (slack_channel_id, slack_team_id)
      select 'CSEED' || n, 'T0SEED' from generate_series(1, ${args.channels}) as n
      returning id
    ),
    people as (
      insert into users (slack_user_id, slack_team_id)
      select 'USEED' || n, 'T0SEED' from generate_series(1, ${args.channels * 2}) as n
      returning id
    ),
    numbered as (select id, row_number() over () as n from people),
    new_runs as (
      insert into runs (channel_id, initiator_id, runner_id, status, time_zone, started_at, closed_at)
      select c.id, a.id, b.id, 'completed', 'UTC', ${args.startedAt}::timestamptz - k * interval '1 hour', ${args.startedAt}::timestamptz - k * interval '1 hour' + interval '10 minutes'
      from (select id, row_number() over () as n from chs) as c
      join numbered a on a.n = c.n * 2 - 1
      join numbered b on b.n = c.n * 2
      cross join generate_series(1, ${args.runsPerChannel}) as k
      returning id, initiator_id, runner_id, started_at
    )
    insert into orders (run_id, user_id, drink, size, created_at, updated_at)
    select r.id, u.id, 'Latte', 'Small', r.started_at, r.started_at
    from new_runs r cross join lateral (values (r.initiator_id), (r.runner_id)) as u (id)
  `;
}
