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

/** What an executor may use: the pool (it runs after commit) and the background Slack client. */
export interface EffectDeps {
  sql: Pool;
  slack: SlackPort;
  log: Logger;
  metrics: Metrics;
  now: () => Date;
}

/**
 * Carries out one effect. It must be safe to run again after a failure at any point: posts go
 * through `postOnce`, edits are idempotent. Throwing a retryable error schedules another attempt;
 * a non-retryable one parks the effect for an operator.
 */
export type EffectExecutor = (payload: unknown, deps: EffectDeps) => Promise<void>;

/** Writes an effect in the caller's transaction; returns its id for `runSoon`. */
export type EnqueueEffect = (tx: Sql, request: EffectRequest) => Promise<string>;

/** Ask for an effect inside `tx`, stamped with the app clock. */
export async function enqueueEffect(tx: Sql, request: EffectRequest, now: Date): Promise<string> {
  const [row] = await tx<{ id: string }[]>`
    insert into slack_effects (kind, key, scope, payload, next_attempt_at, created_at)
    values (${request.kind}, ${request.key}, ${request.scope}, ${tx.json(request.payload as never)}, ${now}, ${now})
    on conflict (key) where done_at is null and parked_at is null
    do update set generation = slack_effects.generation + 1, payload = excluded.payload
    returning id
  `;
  return String(row!.id);
}
