/**
 * The state a race starts from, written straight into the database: what `/coffee`, the order
 * modal and the fairness rule would have left there by then. Each run gets a channel of its own,
 * since a channel has at most one open run.
 */
import { randomBytes } from 'node:crypto';
import type { Sql } from '../../shared/db/client.ts';

export interface SeededRun {
  runId: string;
  slackChannelId: string;
}

/**
 * A run in a new channel, with an order (a Latte) from each of `orderedBy`. The first of them
 * started it. `runner` makes it a closed run with that runner; `threadTs` records its run message.
 */
export async function seedRun(
  sql: Sql,
  run: { orderedBy: readonly [string, ...string[]]; runner?: string; pickupAt?: Date; closesAt?: Date; threadTs?: string },
): Promise<SeededRun> {
  const slackChannelId = `C2I${randomBytes(4).toString('hex').toUpperCase()}`;
  const users = await sql<{ id: string; slackUserId: string }[]>`
    insert into users (slack_user_id, slack_team_id)
    select unnest(${sql.array([...run.orderedBy])}::text[]), 'T2I'
    on conflict (slack_user_id) do update set slack_team_id = excluded.slack_team_id
    returning id, slack_user_id
  `;
  const userId = (slackUserId: string) => users.find((user) => user.slackUserId === slackUserId)!.id;
  const [row] = await sql<{ id: string }[]>`
    with channel as (
      insert into channels (slack_channel_id, slack_team_id) values (${slackChannelId}, 'T2I') returning id
    )
    insert into runs (channel_id, initiator_id, runner_id, status, pickup_at, closes_at, time_zone, message_channel, message_ts, closed_at)
    select
      channel.id, ${userId(run.orderedBy[0])}, ${run.runner ? userId(run.runner) : null}, ${run.runner ? 'closed' : 'open'},
      ${run.pickupAt ?? null}, ${run.closesAt ?? null}, 'UTC',
      ${run.threadTs ? slackChannelId : null}, ${run.threadTs ?? null}, ${run.runner ? new Date() : null}
    from channel
    returning id
  `;
  const runId = row!.id;
  await sql`
    insert into orders (run_id, user_id, drink, size)
    select ${runId}, unnest(${sql.array(run.orderedBy.map(userId))}::uuid[]), 'Latte', 'Small'
  `;
  return { runId, slackChannelId };
}

/** A pending runner reminder, due at `dueAt`; returns its id. */
export async function seedRunnerReminder(sql: Sql, args: { runId: string; runner: string; dueAt: Date }): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    insert into reminders (run_id, kind, recipient_slack_user_id, due_at)
    values (${args.runId}, 'runner', ${args.runner}, ${args.dueAt})
    returning id
  `;
  return row!.id;
}
