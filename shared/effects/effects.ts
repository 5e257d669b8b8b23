import type { Pool, Sql } from '../db/client.ts';
import type { Logger } from '../logging.ts';
import type { Metrics } from '../metrics.ts';
import type { SlackPort } from '../slack/port.ts';

/**
 * A Slack effect a state change makes due: written in the state change's transaction, carried out
 * after commit, retried until Slack takes it (see `worker.ts`).
 */
export interface EffectRequest {
  /** Which executor runs it. */
  kind: string;
  /** One pending effect per key: asking again while it is pending coalesces into it. */
  key: string;
  /** Effects of one scope (a run id) run one at a time, in the order they were asked for. */
  scope: string;
  payload: unknown;
}

/** What an executor may use: the pool (it runs after commit), the background Slack client and the configuration. */
export interface EffectDeps<C = unknown> {
  sql: Pool;
  slack: SlackPort;
  log: Logger;
  metrics: Metrics;
  now: () => Date;
  /** The process's configuration: an executor that reads a variable needs its function to declare it. */
  config: C;
}

/**
 * Carries out one effect. It must be safe to run again after a failure at any point: posts go
 * through `postOnce`, edits are idempotent. Throwing a retryable error schedules another attempt;
 * a non-retryable one parks the effect for an operator.
 */
export type EffectExecutor<C = unknown> = (payload: unknown, deps: EffectDeps<C>) => Promise<void>;

/** Writes an effect in the caller's transaction; returns its id for `runSoon`. */
export type EnqueueEffect = (tx: Sql, request: EffectRequest) => Promise<string>;

/** Ask for an effect inside `tx`, stamped with the app clock. */
export async function enqueueEffect(tx: Sql, request: EffectRequest, now: Date): Promise<string> {
  const [row] = await tx<{ id: string }[]>`${effectInsert(tx, request, now, null)}`;
  return String(row!.id);
}

/**
 * The insert that asks for an effect (returning its id), for a CTE of a hot path's one-statement
 * state change: made once per row of the CTE named `from` (never when it is empty), or once when
 * `from` is null.
 */
export function effectInsert(sql: Sql, request: EffectRequest, now: Date, from: string | null) {
  return sql`
    insert into slack_effects (kind, key, scope, payload, next_attempt_at, created_at)
    select ${request.kind}, ${request.key}, ${request.scope}, ${sql.json(request.payload as never)}, ${now}::timestamptz, ${now}::timestamptz
    ${from ? sql`from ${sql(from)}` : sql``}
    on conflict (key) where done_at is null and parked_at is null
    do update set generation = slack_effects.generation + 1, payload = excluded.payload
    returning id
  `;
}

/**
 * The insert of the first effect of a new scope (like a new run's first post: nothing queued
 * before or behind it, its key never asked for before) already leased to the asker until `leaseUntil` with its first attempt counted, for a CTE of the
 * asker's one statement: the asker then makes that attempt itself (`runLeased`) without a claim.
 * Made once per row of the CTE `from`; returns id and generation.
 */
export function leasedEffectInsert(sql: Sql, request: EffectRequest, now: Date, leaseUntil: Date, from: string) {
  return sql`
    insert into slack_effects (kind, key, scope, payload, next_attempt_at, created_at, lease_until, attempts)
    select ${request.kind}, ${request.key}, ${request.scope}, ${sql.json(request.payload as never)}, ${now}::timestamptz, ${now}::timestamptz, ${leaseUntil}::timestamptz, 1
    from ${sql(from)}
    returning id, generation
  `;
}

/**
 * The update that marks a leased effect done, for a CTE of the statement that records its
 * outcome; it matches only while the effect's generation is the one attempted (asked for again
 * meanwhile, it is left for the worker to run again).
 */
export function markLeasedDone(sql: Sql, effect: { id: string; generation: number }, now: Date) {
  return sql`
    update slack_effects set done_at = ${now}::timestamptz, lease_until = null, last_error = null
    where id = ${effect.id} and generation = ${effect.generation}
    returning id
  `;
}
