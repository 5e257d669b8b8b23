import type { Pool, Sql } from '../db/client.ts';
import type { CoffeeEvent } from './cloud-event.ts';

/** Handles one event inside the consumer's transaction; everything it writes commits with the dedupe row. */
export type EventHandler<D> = (event: CoffeeEvent, tx: Sql, deps: D) => Promise<void>;

/**
 * Effects outside the database (Slack posts), run after the transaction commits — on every
 * delivery, duplicates included, so a retry finishes what a failed attempt started. They must be
 * idempotent: each records what it posted the moment Slack accepts it, and edits on a rerun.
 */
export type AfterCommit<D> = (event: CoffeeEvent, deps: D) => Promise<void>;

/** What a function does with an event type: a transactional handler, effects after commit, or both. */
export type EventConsumer<D> = EventHandler<D> | { transaction?: EventHandler<D>; afterCommit?: AfterCommit<D> };

/**
 * Run the transactional part at most once per (consumer, event id): the `processed_events` row is
 * written in the same transaction as the handler's changes, so a redelivered event changes nothing.
 * Then run the after-commit effects until they have once completed: a delivery that failed
 * half-way is finished by the next one, and one after that changes nothing.
 */
export async function consumeOnce<D>(args: {
  sql: Pool;
  consumer: string;
  event: CoffeeEvent;
  deps: D;
  handle: EventConsumer<D>;
}): Promise<'processed' | 'duplicate'> {
  const { transaction, afterCommit } = typeof args.handle === 'function' ? { transaction: args.handle, afterCommit: undefined } : args.handle;
  const { result, effectsDone } = await args.sql.begin(async (tx) => {
    const inserted = await tx`
      insert into processed_events (consumer, event_id)
      values (${args.consumer}, ${args.event.id})
      on conflict do nothing
      returning event_id
    `;
    if (inserted.length === 0) {
      const [row] = await tx<{ effectsDoneAt: Date | null }[]>`
        select effects_done_at from processed_events where consumer = ${args.consumer} and event_id = ${args.event.id}`;
      return { result: 'duplicate' as const, effectsDone: row?.effectsDoneAt != null };
    }
    await transaction?.(args.event, tx, args.deps);
    return { result: 'processed' as const, effectsDone: false };
  });
  if (afterCommit && !effectsDone) await runEffectsOnce(args.sql, args.consumer, args.event, () => afterCommit(args.event, args.deps));
  return result;
}

/**
 * Run an event's effects unless they already completed, holding a session advisory lock on
 * (consumer, event id) so two deliveries of the same event at once (a retry after a timeout while
 * the first attempt still runs, or a replayed dead letter) cannot both post.
 */
async function runEffectsOnce(sql: Pool, consumer: string, event: CoffeeEvent, effects: () => Promise<void>): Promise<void> {
  const key = `${consumer}:${event.id}`;
  const connection = await sql.reserve();
  try {
    await connection`select pg_advisory_lock(hashtextextended(${key}, 0))`;
    const [row] = await connection<{ effectsDoneAt: Date | null }[]>`
      select effects_done_at from processed_events where consumer = ${consumer} and event_id = ${event.id}`;
    if (row?.effectsDoneAt) return;
    await effects();
    await connection`update processed_events set effects_done_at = now() where consumer = ${consumer} and event_id = ${event.id}`;
  } finally {
    await connection`select pg_advisory_unlock(hashtextextended(${key}, 0))`.catch(() => undefined);
    connection.release();
  }
}
