import { deleteOlderThan, deletePersonalData, deleteRuns, lockExpiredRuns, type WindowTable } from './queries.ts';
import type { AdminDeps } from './reset.ts';
import { DAY_MS } from './schema.ts';

/** Rows per batch: each batch is one short transaction, so no lock is held for long. */
const batch = 1000;

/**
 * A tick starts no new batch after this long: well inside Knative's 60 s request timeout, so the
 * PingSource's tick is answered. What is left goes on the next day (a first run on years of data
 * catches up over a few ticks).
 */
const budgetMs = 40_000;

/** Finished effects are kept a week for inspection; parked ones stay for an operator. */
const doneEffectsDays = 7;
/** Dead letters an operator replayed are kept a month for the record. */
const replayedDeadLettersDays = 30;

/**
 * The daily retention tick: runs older than their channel's `data_retention_days` (by start) with
 * their orders, reminders, Slack message records and effects; then published outbox rows, dedupe
 * rows, finished effects, replayed dead letters, audit rows past their windows and message records
 * of posts that belong to no run past their expiry; then personal
 * data nothing needs any more (unused saved orders, ended away periods, people nothing refers to,
 * unreplayed dead letters and parked effects past `PERSONAL_DATA_RETENTION_DAYS`).
 * "Now" is `deps.now()`. Batched, `skip locked`: a repeated or overlapping tick (two instances,
 * a late PingSource) deletes each row once and never waits on the other. Returns rows deleted by
 * table; counts `coffeebuddy_retention_deleted_total{table}`.
 */
export async function runRetentionTick(deps: AdminDeps): Promise<Record<string, number>> {
  const now = deps.now();
  const stopAt = now.getTime() + budgetMs;
  const inBudget = () => deps.now().getTime() < stopAt;
  const deleted: Record<string, number> = {};
  const count = (table: string, rows: number) => {
    deleted[table] = (deleted[table] ?? 0) + rows;
    if (rows > 0) deps.metrics.retentionDeletedTotal.inc({ table }, rows);
  };

  // Runs first: what people ordered is the data a channel's retention setting promises to drop.
  let complete = await drain(inBudget, async () => {
    const removed = await deps.sql.begin(async (tx) => deleteRuns(tx, await lockExpiredRuns(tx, now, batch)));
    for (const [table, rows] of Object.entries(removed)) count(table, rows);
    return removed.runs;
  });
  const daysAgo = (days: number) => new Date(now.getTime() - days * DAY_MS);
  const windows: [WindowTable, Date][] = [
    ['channel_admin_actions', daysAgo(deps.config.AUDIT_RETENTION_DAYS)],
    ['processed_events', daysAgo(deps.config.PROCESSED_EVENTS_RETENTION_DAYS)],
    ['outbox', daysAgo(deps.config.OUTBOX_RETENTION_DAYS)],
    ['slack_effects', daysAgo(doneEffectsDays)],
    ['dead_letter_events', daysAgo(replayedDeadLettersDays)],
    ['slack_messages', now],
  ];
  for (const [table, before] of windows) {
    const done = await drain(inBudget, async () => {
      const rows = await deleteOlderThan(deps.sql, table, before, batch);
      count(table, rows);
      return rows;
    });
    complete &&= done;
  }
  const personalBefore = daysAgo(deps.config.PERSONAL_DATA_RETENTION_DAYS);
  const personal = await drain(inBudget, async () => {
    const removed = await deletePersonalData(deps.sql, now, personalBefore, batch);
    for (const [table, rows] of Object.entries(removed)) count(table, rows);
    return Math.max(...Object.values(removed));
  });
  complete &&= personal;
  if (!complete) deps.log.warn('retention stopped at its time budget; the next tick goes on', { budgetMs, ...deleted });
  return deleted;
}

/** Run `step` (one batch; returns rows deleted) until a batch comes back short; false when the budget ran out first. */
async function drain(inBudget: () => boolean, step: () => Promise<number>): Promise<boolean> {
  while (inBudget()) {
    if ((await step()) < batch) return true;
  }
  return false;
}
