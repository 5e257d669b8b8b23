import type { Pool, Sql } from '../db/client.ts';
import type { CoffeeEvent } from './cloud-event.ts';

/** Handles one event inside the consumer's transaction; everything it writes commits with the dedupe row. */
export type EventHandler<D> = (event: CoffeeEvent, tx: Sql, deps: D) => Promise<void>;

/**
 * Run `handle` at most once per (consumer, event id): the `processed_events` row is written in the
 * same transaction as the handler's effects, so a redelivered event changes nothing.
 */
export async function consumeOnce<D>(args: {
  sql: Pool;
  consumer: string;
  event: CoffeeEvent;
  deps: D;
  handle: EventHandler<D>;
}): Promise<'processed' | 'duplicate'> {
  return args.sql.begin(async (tx) => {
    const inserted = await tx`
      insert into processed_events (consumer, event_id)
      values (${args.consumer}, ${args.event.id})
      on conflict do nothing
      returning event_id
    `;
    if (inserted.length === 0) return 'duplicate' as const;
    await args.handle(args.event, tx, args.deps);
    return 'processed' as const;
  });
}
