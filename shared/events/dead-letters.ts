import type { Pool, Sql } from '../db/client.ts';
import { isUniqueViolation } from '../db/client.ts';
import type { Metrics } from '../metrics.ts';
import { eventCatalog } from './catalog.ts';
import { noteStuckRun, type StuckRun } from './stuck-runs.ts';
import type { DeadLetter, ParkedEvent } from './undelivered.ts';
import { isUuid } from '../uuid.ts';

/**
 * Park an undeliverable event in `dead_letter_events`, where an operator can inspect and replay it.
 * Idempotent: while one consumer's failure with an event (its source and id) is parked, the same
 * again is a `duplicate` and changes nothing (the `dead_letter_events_one_parked` index). A letter
 * that leaves a run stuck (its close or runner assignment) asks, in the same transaction, for the
 * run's thread to be told; `stuckRun` names a run it newly stopped.
 */
export async function parkEvent(sql: Pool, parked: ParkedEvent, now: Date): Promise<{ result: 'parked' | 'duplicate'; stuckRun: StuckRun | null }> {
  return sql.begin(async (tx) => {
    if (!(await insertParked(tx, parked))) return { result: 'duplicate' as const, stuckRun: null };
    return { result: 'parked' as const, stuckRun: await noteStuckRun(tx, parked, now) };
  });
}

async function insertParked(sql: Sql, parked: ParkedEvent): Promise<boolean> {
  const rows = await sql`
    insert into dead_letter_events (
      consumer, event_id, type, source, subject, attributes, data, status_code, error, attempts
    ) values (
      ${parked.consumer},
      ${parked.eventId},
      ${parked.type},
      ${parked.source},
      ${parked.subject},
      ${sql.json(parked.attributes as never)},
      ${parked.data === null || parked.data === undefined ? null : sql.json(parked.data as never)},
      ${parked.statusCode},
      ${parked.error.slice(0, 1000)},
      ${parked.attempts}
    )
    on conflict (consumer, source, event_id) where replayed_at is null do nothing
    returning id
  `;
  return rows.length === 1;
}

/** Park what the in-process bus could not deliver; a run it leaves stuck counts as failed. */
export async function storeDeadLetter(sql: Pool, letter: DeadLetter, deps: { metrics: Metrics; now: () => Date }): Promise<void> {
  const { event } = letter;
  const { data, ...attributes } = event.toJSON() as Record<string, unknown>;
  const { stuckRun } = await parkEvent(
    sql,
    {
      consumer: letter.consumer,
      eventId: event.id,
      type: event.type,
      source: event.source,
      subject: event.subject ?? null,
      attributes,
      data: data ?? null,
      statusCode: letter.statusCode,
      error: letter.error,
      attempts: letter.attempts,
    },
    deps.now(),
  );
  if (stuckRun) deps.metrics.runsTotal.inc({ status: 'failed' });
}

/**
 * Something that gave up and waits for an operator: an event no consumer could take (`event`,
 * id a uuid) or a Slack effect that Slack refused or that stayed undeliverable (`effect`, id a
 * number).
 */
export interface ParkedItem {
  kind: 'event' | 'effect';
  id: string;
  /** The event type, or the effect kind. */
  what: string;
  /** The consumer, or the effect's scope (the run id). */
  where: string;
  /** What the consumer's sink answered (null: no answer, or an effect). */
  statusCode: number | null;
  error: string;
  attempts: number;
  at: Date;
}

/** Everything parked and not yet replayed, oldest first. */
export async function listParked(sql: Sql): Promise<ParkedItem[]> {
  return sql<ParkedItem[]>`
    select 'event' as kind, id::text as id, type as what, consumer as "where", status_code, error, attempts, created_at as at
    from dead_letter_events where replayed_at is null
    union all
    select 'effect', id::text, kind, scope, null, coalesce(last_error, ''), attempts, parked_at
    from slack_effects where parked_at is not null and done_at is null
    order by at
  `;
}

export type ReplayOutcome = 'replayed' | 'not_found' | 'superseded' | 'not_replayable';

/**
 * Replay one parked item. An event is published again under its own id (through the outbox, so
 * it reaches its consumer by the normal path; consumers that already took it dedupe it); an
 * effect is made due again with a fresh retry budget. Each is marked so a second replay (even a
 * concurrent one) does nothing. An event that is not one of ours (a raw record KafkaSource wrapped,
 * an unknown type) has no topic or consumer to go back to: it stays parked, `not_replayable`.
 */
export async function replayParked(sql: Pool, id: string, now: Date): Promise<ReplayOutcome> {
  return /^\d+$/.test(id) ? replayEffect(sql, id, now) : replayEvent(sql, id, now);
}

async function replayEvent(sql: Pool, id: string, now: Date): Promise<ReplayOutcome> {
  if (!isUuid(id)) return 'not_found';
  return sql.begin(async (tx) => {
    const [letter] = await tx<{ eventId: string; type: string; source: string; subject: string | null; attributes: Record<string, unknown>; data: unknown }[]>`
      update dead_letter_events set replayed_at = ${now}
      where id = ${id} and replayed_at is null and type in ${tx(Object.keys(eventCatalog))}
      returning event_id, type, source, subject, attributes, data
    `;
    if (!letter) {
      const [parked] = await tx`select 1 from dead_letter_events where id = ${id} and replayed_at is null`;
      return parked ? ('not_replayable' as const) : ('not_found' as const);
    }
    const { partitionkey, correlationid, traceparent } = letter.attributes;
    const extensions = {
      ...(typeof correlationid === 'string' ? { correlationid } : {}),
      ...(typeof traceparent === 'string' ? { traceparent } : {}),
    };
    // The outbox keeps published rows; replaying makes the row pending again (or recreates it).
    await tx`
      insert into outbox (event_id, type, source, subject, partition_key, data, extensions, created_at)
      values (
        ${letter.eventId}, ${letter.type}, ${letter.source}, ${letter.subject},
        ${typeof partitionkey === 'string' ? partitionkey : (letter.subject ?? letter.eventId)},
        ${tx.json((letter.data ?? null) as never)}, ${tx.json(extensions)}, ${now}
      )
      on conflict (event_id) do update set published_at = null, last_error = null
    `;
    return 'replayed' as const;
  });
}

async function replayEffect(sql: Pool, id: string, now: Date): Promise<ReplayOutcome> {
  try {
    const rows = await sql`
      update slack_effects
      set parked_at = null, attempts = 0, last_error = null, next_attempt_at = ${now}, created_at = ${now}, lease_until = null
      where id = ${id} and parked_at is not null and done_at is null
      returning id
    `;
    return rows.length === 1 ? 'replayed' : 'not_found';
  } catch (error) {
    // A newer effect for the same thing is pending already: it renders the present, so the
    // parked one is obsolete.
    if (!isUniqueViolation(error, 'slack_effects_one_pending_per_key')) throw error;
    await sql`update slack_effects set done_at = ${now} where id = ${id} and parked_at is not null`;
    return 'superseded';
  }
}
