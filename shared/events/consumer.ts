import type { Pool, Sql } from '../db/client.ts';
import type { EffectRequest, EnqueueEffect } from '../effects/effects.ts';
import type { CoffeeEvent } from './cloud-event.ts';
import type { EventType } from './catalog.ts';

/** A transactional handler's deps: everything but the pool, so it cannot query outside its transaction. */
export type TxDeps<D> = Omit<D, 'sql'>;

/** Handles one event inside the consumer's transaction; everything it writes commits with the dedupe row. */
export type EventHandler<D, T extends EventType = EventType> = (event: CoffeeEvent<T>, tx: Sql, deps: TxDeps<D>) => Promise<void>;

/**
 * An event's effects outside the database (Slack posts). They are recorded as a durable effect in
 * the consumer's transaction and carried out after commit by the effect worker, which retries them
 * until Slack takes them — so they may run more than once and must be idempotent (posts go
 * through `postOnce`, edits render the present).
 */
export type EventEffect<D, T extends EventType = EventType> = (event: CoffeeEvent<T>, deps: D) => Promise<void>;

/** What a function does with an event type: a transactional handler, a durable effect, or both. */
export type EventConsumer<D, T extends EventType = EventType> = EventHandler<D, T> | { transaction?: EventHandler<D, T>; effect?: EventEffect<D, T> };

/** A function's consumers: each event type's consumer receives that type's data, typed, with no casts. */
export type EventConsumers<D> = { [T in EventType]?: EventConsumer<D, T> };

/**
 * The consumer of `type`, for an event whose type the delivery has already validated: the one place
 * the per-type handler is seen as a handler of any event.
 */
export function consumerOf<D>(consumers: EventConsumers<D>, type: EventType): EventConsumer<D> | undefined {
  return consumers[type] as EventConsumer<D> | undefined;
}

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
export async function consumeOnce<D extends { sql: Pool; now: () => Date }>(args: {
  consumer: string;
  event: CoffeeEvent;
  deps: D;
  handle: EventConsumer<D>;
  enqueue: EnqueueEffect;
}): Promise<{ result: 'processed' | 'duplicate' }> {
  const { transaction, effect } = typeof args.handle === 'function' ? { transaction: args.handle, effect: undefined } : args.handle;
  const { sql, ...txDeps } = args.deps;
  return sql.begin(async (tx) => {
    const inserted = await tx`
      insert into processed_events (consumer, event_id, processed_at)
      values (${args.consumer}, ${args.event.id}, ${txDeps.now()})
      on conflict do nothing
      returning event_id
    `;
    if (inserted.length === 0) return { result: 'duplicate' as const };
    if (effect) await args.enqueue(tx, eventEffect(args.consumer, args.event));
    await transaction?.(args.event, tx, txDeps);
    return { result: 'processed' as const };
  });
}
