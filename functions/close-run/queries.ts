import type { Sql } from '../../shared/db/client.ts';

/** Close an open run (orders freeze); returns its start and close times, or undefined if it was not open. */
export async function closeOpenRun(sql: Sql, runId: string): Promise<{ startedAt: Date; closedAt: Date } | undefined> {
  const [row] = await sql<{ startedAt: Date; closedAt: Date }[]>`
    update runs set status = 'closed', closed_at = now(), updated_at = now()
    where id = ${runId} and status = 'open'
    returning started_at, closed_at
  `;
  return row;
}

export async function setSummaryTs(sql: Sql, runId: string, ts: string): Promise<void> {
  await sql`update runs set summary_ts = ${ts}, updated_at = now() where id = ${runId}`;
}

export async function setRunnerDm(sql: Sql, runId: string, dm: { channel: string; ts: string } | null): Promise<void> {
  await sql`
    update runs set runner_dm_channel = ${dm?.channel ?? null}, runner_dm_ts = ${dm?.ts ?? null}, updated_at = now()
    where id = ${runId}
  `;
}
