import type { Sql } from '../../shared/db/client.ts';
import type { RunStatus } from '../../shared/domain/run.ts';

export type HistoryRow = { startedAt: Date; status: RunStatus; runnerSlackUserId: string | null; orders: number };

/** A page of the channel's runs, newest first: `limit` of them after skipping `offset`. */
export async function runHistory(sql: Sql, slackChannelId: string, limit: number, offset: number): Promise<HistoryRow[]> {
  return sql<HistoryRow[]>`
    select r.started_at, r.status, ru.slack_user_id as runner_slack_user_id,
      (select count(*)::int from orders o where o.run_id = r.id and o.status = 'active') as orders
    from runs r
    join channels c on c.id = r.channel_id
    left join users ru on ru.id = r.runner_id
    where c.slack_channel_id = ${slackChannelId}
    order by r.started_at desc, r.id
    limit ${limit} offset ${offset}
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
