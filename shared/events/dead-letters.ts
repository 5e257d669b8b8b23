import type { Pool, Sql } from '../db/client.ts';
import { isUniqueViolation } from '../db/client.ts';
import type { DeadLetter } from './in-process-bus.ts';

/** Park an undeliverable event in `dead_letter_events`, where an operator can inspect and replay it. */
export async function storeDeadLetter(sql: Sql, letter: DeadLetter): Promise<void> {
  const { event } = letter;
  const { data, ...attributes } = event.toJSON() as Record<string, unknown>;
  await sql`
    insert into dead_letter_events (
      consumer, event_id, type, source, subject, attributes, data, status_code, error, attempts
    ) values (
      ${letter.consumer},
      ${event.id},
      ${event.type},
      ${event.source},
      ${event.subject ?? null},
      ${sql.json(attributes as never)},
      ${data === undefined ? null : sql.json(data as never)},
      ${letter.statusCode},
      ${letter.error.slice(0, 1000)},
      ${letter.attempts}
    )
  `;
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
  error: string;
  attempts: number;
  at: Date;
}

/** Everything parked and not yet replayed, oldest first. */
export async function listParked(sql: Sql): Promise<ParkedItem[]> {
  return sql<ParkedItem[]>`
    select 'event' as kind, id::text as id, type as what, consumer as "where", error, attempts, created_at as at
    from dead_letter_events where replayed_at is null
    union all
    select 'effect', id::text, kind, scope, coalesce(last_error, ''), attempts, parked_at
    from slack_effects where parked_at is not null and done_at is null
    order by at
  `;
}

export type ReplayOutcome = 'replayed' | 'not_found' | 'superseded';

/**
 * Replay one parked item. An event is published again under its own id (through the outbox, so
 * it reaches its consumer by the normal path; consumers that already took it dedupe it); an
 * effect is made due again with a fresh retry budget. Each is marked so a second replay (even a
 * concurrent one) does nothing.
 */
export async function replayParked(sql: Pool, id: string, now: Date): Promise<ReplayOutcome> {
  return /^\d+$/.test(id) ? replayEffect(sql, id, now) : replayEvent(sql, id, now);
}

async function replayEvent(sql: Pool, id: string, now: Date): Promise<ReplayOutcome> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return 'not_found';
  return sql.begin(async (tx) => {
    const [letter] = await tx<{ eventId: string; type: string; source: string; subject: string | null; attributes: Record<string, unknown>; data: unknown }[]>`
      update dead_letter_events set replayed_at = ${now}
      where id = ${id} and replayed_at is null
      returning event_id, type, source, subject, attributes, data
    `;
    if (!letter) return 'not_found' as const;
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
