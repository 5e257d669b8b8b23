import type { Sql } from '../db/client.ts';
import type { RunStatus } from '../domain/run.ts';

export type HistoryRow = {
  id: string;
  slackChannelId: string;
  startedAt: Date;
  status: RunStatus;
  note: string;
  pickupAt: Date | null;
  timeZone: string;
  runnerSlackUserId: string | null;
  orders: number;
};

const historyColumns = (sql: Sql) => sql`
  r.id, c.slack_channel_id, r.started_at, r.status, r.note, r.pickup_at, r.time_zone, ru.slack_user_id as runner_slack_user_id,
  (select count(*)::int from orders o where o.run_id = r.id and o.status = 'active') as orders
`;

/** A page of the channel's runs, newest first: `limit` of them after skipping `offset`. */
export async function runHistory(sql: Sql, slackChannelId: string, limit: number, offset: number): Promise<HistoryRow[]> {
  return sql<HistoryRow[]>`
    select ${historyColumns(sql)}
    from runs r
    join channels c on c.id = r.channel_id
    left join users ru on ru.id = r.runner_id
    where c.slack_channel_id = ${slackChannelId}
    order by r.started_at desc, r.id
    limit ${limit} offset ${offset}
  `;
}

/** The user's last runs in any channel, newest first: those they started, ordered in (an order standing) or ran. */
export async function myRuns(sql: Sql, slackUserId: string, limit: number): Promise<HistoryRow[]> {
  return sql<HistoryRow[]>`
    with me as (select id from users where slack_user_id = ${slackUserId}),
    mine as (
      select r.id from runs r, me where r.initiator_id = me.id or r.runner_id = me.id
      union
      select o.run_id from orders o, me where o.user_id = me.id and o.status = 'active'
    )
    select ${historyColumns(sql)}
    from mine
    join runs r on r.id = mine.id
    join channels c on c.id = r.channel_id
    left join users ru on ru.id = r.runner_id
    order by r.started_at desc, r.id
    limit ${limit}
  `;
}

export type ServedRun = { id: string; runnerSlackUserId: string; orderers: string[] };

/** The channel's served runs (closed or completed with a runner), newest first, with who ordered in each. */
export async function servedRuns(sql: Sql, slackChannelId: string): Promise<ServedRun[]> {
  return sql<ServedRun[]>`
    select r.id, ru.slack_user_id as runner_slack_user_id,
      coalesce(array_agg(u.slack_user_id) filter (where u.slack_user_id is not null), '{}') as orderers
    from runs r
    join channels c on c.id = r.channel_id
    join users ru on ru.id = r.runner_id
    left join orders o on o.run_id = r.id and o.status = 'active'
    left join users u on u.id = o.user_id
    where c.slack_channel_id = ${slackChannelId} and r.status in ('closed', 'completed')
    group by r.id, ru.slack_user_id, r.closed_at
    order by r.closed_at desc
  `;
}

/** The ratings of the channel's runs: how many, their average (null when none), and how many runs were rated. */
export async function ratingSummary(sql: Sql, slackChannelId: string): Promise<{ count: number; average: number | null; runs: number }> {
  const [summary] = await sql<{ count: number; average: number | null; runs: number }[]>`
    select
      count(*)::int as count,
      avg(f.rating)::float8 as average,
      count(distinct f.run_id)::int as runs
    from run_feedback f
    join runs r on r.id = f.run_id
    join channels c on c.id = r.channel_id
    where c.slack_channel_id = ${slackChannelId}
  `;
  return summary!;
}
