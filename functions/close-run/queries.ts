import type { Pool, Sql } from '../../shared/db/client.ts';

/** Close an open run (orders freeze); returns its start and close times, or undefined if it was not open. */
export async function closeOpenRun(sql: Sql, runId: string): Promise<{ startedAt: Date; closedAt: Date } | undefined> {
  const [row] = await sql<{ startedAt: Date; closedAt: Date }[]>`
    update runs set status = 'closed', closed_at = now(), updated_at = now()
    where id = ${runId} and status = 'open'
    returning started_at, closed_at
  `;
  return row;
}

/** A message posted for a run: the channel summary, a runner's DM, the cancel notice. */
export type PostedKind = 'summary' | `runner_dm:${string}` | 'canceled_notice';
export interface Posted {
  channel: string;
  ts: string;
}

/** What has been posted for a run already. */
export async function findPosted(sql: Sql, runId: string): Promise<Map<string, Posted>> {
  const rows = await sql<{ kind: string; channel: string; ts: string }[]>`
    select kind, channel, ts from slack_messages where run_id = ${runId}`;
  return new Map(rows.map((row) => [row.kind, { channel: row.channel, ts: row.ts }]));
}

/**
 * Record a posted message at once, on its own connection and commit (the pool, not the consumer's
 * transaction): if a later step fails and the event is retried, the retry edits this message
 * instead of posting it again.
 */
export async function rememberPosted(pool: Pool, runId: string, kind: PostedKind, posted: Posted): Promise<void> {
  await pool`
    insert into slack_messages (run_id, kind, channel, ts)
    values (${runId}, ${kind}, ${posted.channel}, ${posted.ts})
    on conflict (run_id, kind) do nothing
  `;
}
