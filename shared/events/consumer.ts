import type { Pool, Sql } from '../db/client.ts';
import type { EffectRequest, EnqueueEffect } from '../effects/effects.ts';
import type { CoffeeEvent } from './cloud-event.ts';

/** Handles one event inside the consumer's transaction; everything it writes commits with the dedupe row. */
export type EventHandler<D> = (event: CoffeeEvent, tx: Sql, deps: D) => Promise<void>;

/**
 * An event's effects outside the database (Slack posts). They are recorded as a durable effect in
 * the consumer's transaction and carried out after commit by the effect worker, which retries them
 * until Slack takes them — so they may run more than once and must be idempotent (posts go
 * through `postOnce`, edits render the present).
 */
export type EventEffect<D> = (event: CoffeeEvent, deps: D) => Promise<void>;

/** What a function does with an event type: a transactional handler, a durable effect, or both. */
export type EventConsumer<D> = EventHandler<D> | { transaction?: EventHandler<D>; effect?: EventEffect<D> };

/** The effect kind under which `consumer` carries out its effect for events of `type`. */
export function eventEffectKind(consumer: string, type: string): string {
  return `${consumer}:${type}`;
}

/** The effect request for an event's effect: one per (consumer, event), in the run's order. */
export function eventEffect(consumer: string, event: CoffeeEvent): EffectRequest {
  const scope = typeof event.correlationid === 'string' && event.correlationid ? event.correlationid : (event.subject ?? event.id);
  return { kind: eventEffectKind(consumer, event.type), key: `event:${consumer}:${event.id}`, scope, payload: event.toJSON() };
}

/**
 * Handle an event at most once per (consumer, event id): the `processed_events` row, the
 * handler's changes and the event's effect are written in one transaction, so a redelivered
 * event changes nothing and an effect is never lost or doubled.
 */
export async function consumeOnce<D>(args: {
  sql: Pool;
  consumer: string;
  event: CoffeeEvent;
  deps: D;
  handle: EventConsumer<D>;
  enqueue: EnqueueEffect;
}): Promise<{ result: 'processed' | 'duplicate' }> {
  const { transaction, effect } = typeof args.handle === 'function' ? { transaction: args.handle, effect: undefined } : args.handle;
  return args.sql.begin(async (tx) => {
    const inserted = await tx`
      insert into processed_events (consumer, event_id)
      values (${args.consumer}, ${args.event.id})
      on conflict do nothing
      returning event_id
    `;
    if (inserted.length === 0) return { result: 'duplicate' as const };
    if (effect) await args.enqueue(tx, eventEffect(args.consumer, args.event));
    await transaction?.(args.event, tx, args.deps);
    return { result: 'processed' as const };
  });
}
