import { randomUUID } from 'node:crypto';
import { CloudEvent } from 'cloudevents';
import type { Pool, Sql } from '../db/client.ts';
import type { Logger } from '../logging.ts';
import type { Metrics } from '../metrics.ts';
import type { EventType } from './catalog.ts';
import { buildEvent, type CoffeeEvent, type EventDraft } from './cloud-event.ts';
import type { EventTransport } from './transport.ts';
import { coalesced } from '../coalesce.ts';

/** Writes an event to the outbox inside the caller's transaction; returns the built event. */
export type Emit = <T extends EventType>(tx: Sql, draft: EventDraft<T>) => Promise<CoffeeEvent<T>>;

/** An `Emit` for events produced by `source` (the function's name). */
export function createEmitter(source: string, options: { now: () => Date; newId?: () => string }): Emit {
  const newId = options.newId ?? randomUUID;
  return async (tx, draft) => {
    const event = buildEvent(draft, { id: newId(), source, time: options.now() });
    await tx`
      insert into outbox (event_id, type, source, subject, partition_key, data, extensions, created_at)
      values (
        ${event.id},
        ${event.type},
        ${event.source},
        ${event.subject ?? null},
        ${draft.partitionKey},
        ${tx.json(event.data as never)},
        ${tx.json({ correlationid: draft.correlationId })},
        ${event.time ?? options.now().toISOString()}
      )
    `;
    return event;
  };
}

interface OutboxRow {
  id: string;
  eventId: string;
  type: string;
  source: string;
  subject: string | null;
  partitionKey: string;
  data: unknown;
  extensions: Record<string, string>;
  createdAt: Date;
}

/** Publishes committed outbox rows through a transport; rows are marked only once it acknowledges. */
export interface OutboxRelay {
  /** Publish everything pending now; resolves with the number published. */
  flush(): Promise<number>;
  /** Start a flush without waiting (after a request commits); concurrent kicks coalesce. */
  kick(): void;
  /** Sweep on a timer for rows an outage left behind. */
  startSweep(intervalMs: number): void;
  /** Stop the sweep and wait for an in-flight flush. */
  stop(): Promise<void>;
}

/**
 * Create the relay. Rows are locked `for update skip locked`, so several instances (or a sweep
 * and a request) never publish the same row twice; a failed send leaves the row pending.
 */
export function createOutboxRelay(options: {
  sql: Pool;
  transport: EventTransport;
  log: Logger;
  metrics: Metrics;
  batchSize?: number;
}): OutboxRelay {
  const batchSize = options.batchSize ?? 100;
  let timer: NodeJS.Timeout | undefined;

  async function publishBatch(): Promise<number> {
    return options.sql.begin(async (tx) => {
      const rows = await tx<OutboxRow[]>`
        select id, event_id, type, source, subject, partition_key, data, extensions, created_at
        from outbox
        where published_at is null
        order by seq
        limit ${batchSize}
        for update skip locked
      `;
      if (rows.length === 0) return 0;
      const events = rows.map(toCloudEvent);
      try {
        await options.transport.send(events);
      } catch (error) {
        for (const event of events) options.metrics.eventsPublishFailedTotal.inc({ type: event.type });
        const ids = rows.map((row) => row.id);
        await tx`
          update outbox
          set attempts = attempts + 1, last_error = ${String((error as Error).message ?? error).slice(0, 500)}
          where id in ${tx(ids)}
        `;
        options.log.warn('outbox publish failed; events stay pending', { count: rows.length, error });
        return 0;
      }
      const ids = rows.map((row) => row.id);
      await tx`update outbox set published_at = now(), attempts = attempts + 1, last_error = null where id in ${tx(ids)}`;
      for (const event of events) options.metrics.eventsPublishedTotal.inc({ type: event.type });
      return rows.length;
    });
  }

  async function drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const published = await publishBatch();
      total += published;
      if (published < batchSize) return total;
    }
  }

  const flush = coalesced(drain);

  return {
    flush,
    kick() {
      flush().catch((error: unknown) => options.log.error('outbox flush failed', { error }));
    },
    startSweep(intervalMs) {
      timer = setInterval(() => this.kick(), intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await flush.current()?.catch(() => undefined);
    },
  };
}

function toCloudEvent(row: OutboxRow): CoffeeEvent {
  return new CloudEvent({
    id: row.eventId,
    type: row.type,
    source: row.source,
    subject: row.subject ?? undefined,
    time: new Date(row.createdAt).toISOString(),
    datacontenttype: 'application/json',
    data: row.data,
    partitionkey: row.partitionKey,
    ...row.extensions,
  }) as CoffeeEvent;
}
