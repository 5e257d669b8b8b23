import type { Sql } from '../../shared/db/client.ts';

/** A run's reminder DMs that were posted, with whom each was for. */
export async function postedReminders(sql: Sql, runId: string): Promise<{ channel: string; ts: string; recipientSlackUserId: string | null }[]> {
  return sql<{ channel: string; ts: string; recipientSlackUserId: string | null }[]>`
    select m.channel, m.ts, r.recipient_slack_user_id
    from slack_messages m join reminders r on m.kind = 'reminder:' || r.id::text
    where m.run_id = ${runId} and r.run_id = ${runId} and m.ts is not null
  `;
}

/** Close an open run (orders freeze); returns its start and close times, or undefined if it was not open. */
export async function closeOpenRun(sql: Sql, runId: string, now: Date): Promise<{ startedAt: Date; closedAt: Date } | undefined> {
  const [row] = await sql<{ startedAt: Date; closedAt: Date }[]>`
    update runs set status = 'closed', closed_at = ${now}, updated_at = ${now}
    where id = ${runId} and status = 'open'
    returning started_at, closed_at
  `;
  return row;
}
