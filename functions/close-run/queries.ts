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
