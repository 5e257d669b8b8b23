import { randomUUID } from 'node:crypto';
import type { PendingQuery, Row } from 'postgres';
import { CloudEvent } from 'cloudevents';
import type { Pool, Sql } from '../db/client.ts';
import type { Logger } from '../logging.ts';
import type { Metrics } from '../metrics.ts';
import type { EventType } from './catalog.ts';
import { buildEvent, type CoffeeEvent, type EventDraft } from './cloud-event.ts';
import type { EventTransport } from './transport.ts';
import { coalesced } from '../coalesce.ts';
import { currentTraceparent } from '../tracing.ts';

/**
 * An event's outbox row, built (and its data validated) before the statement that writes it. A hot
 * path that does its whole state change in one statement inserts this row from a CTE of that
 * statement, so the event still commits with the change, in one round trip.
 */
export interface PreparedOutboxRow<T extends EventType = EventType> {
  event: CoffeeEvent<T>;
  eventId: string;
  type: T;
  source: string;
  subject: string | null;
  partitionKey: string;
  data: unknown;
  extensions: { correlationid: string; traceparent?: string };
  createdAt: string;
}

/** Writes an event to the outbox inside the caller's transaction; returns the built event. */
export interface Emit {
  <T extends EventType>(tx: Sql, draft: EventDraft<T>): Promise<CoffeeEvent<T>>;
  /** Build the event and its outbox row without writing it: the caller's own statement inserts it. */
  prepare<T extends EventType>(draft: EventDraft<T>): PreparedOutboxRow<T>;
}

/** An `Emit` for events produced by `source` (the function's name). */
export function createEmitter(source: string, options: { now: () => Date; newId?: () => string }): Emit {
  const newId = options.newId ?? randomUUID;
  const prepare = <T extends EventType>(draft: EventDraft<T>): PreparedOutboxRow<T> => {
    const time = options.now();
    const traceparent = currentTraceparent();
    const event = buildEvent(draft, { id: newId(), source, time, traceparent });
    return {
      event,
      eventId: event.id,
      type: draft.type,
      source: event.source,
      subject: event.subject ?? null,
      partitionKey: draft.partitionKey,
      data: event.data,
      extensions: { correlationid: draft.correlationId, ...(traceparent ? { traceparent } : {}) },
      createdAt: event.time ?? time.toISOString(),
    };
  };
  const emit = async <T extends EventType>(tx: Sql, draft: EventDraft<T>): Promise<CoffeeEvent<T>> => {
    const row = prepare(draft);
    await tx`${outboxInsert(tx, row, null)}`;
    return row.event;
  };
  return Object.assign(emit, { prepare });
}

/**
 * The insert of a prepared outbox row, for a CTE of the caller's one statement: made once per row
 * of the CTE named `from` (never when it is empty), or once when `from` is null. `computed` replaces
 * the type or data with SQL over `from`'s row, for what only that statement knows (an upsert's
 * outcome); the prepared values stay the validated shape.
 */
export function outboxInsert(sql: Sql, row: PreparedOutboxRow, from: string | null, computed: { type?: PendingQuery<Row[]>; data?: PendingQuery<Row[]> } = {}) {
  return sql`
    insert into outbox (event_id, type, source, subject, partition_key, data, extensions, created_at)
    select
      ${row.eventId}, ${computed.type ?? sql`${row.type}`}, ${row.source}, ${row.subject}, ${row.partitionKey},
      ${computed.data ?? sql`${sql.json(row.data as never)}::jsonb`}, ${sql.json(row.extensions)}::jsonb, ${row.createdAt}::timestamptz
    ${from ? sql`from ${sql(from)}` : sql``}
  `;
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
  now: () => Date;
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
      await tx`update outbox set published_at = ${options.now()}, attempts = attempts + 1, last_error = null where id in ${tx(ids)}`;
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
