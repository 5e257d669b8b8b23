import type { Pool } from '../db/client.ts';
import { toAppError } from '../errors.ts';
import type { Logger } from '../logging.ts';
import type { Metrics } from '../metrics.ts';
import { SlackCallError } from '../slack/port.ts';
import type { EffectDeps, EffectExecutor } from './effects.ts';
import { coalesced } from '../coalesce.ts';

/** How effects are retried. */
export interface EffectPolicy {
  /** First retry delay; doubled each attempt up to `maxDelayMs`, with ±20 % jitter. */
  baseDelayMs: number;
  /**
   * Longest wait between attempts. Kept short (30 s) so that after an outage of any length the
   * effect lands within a minute of Slack coming back.
   */
  maxDelayMs: number;
  /** After this long undelivered an effect is parked for an operator (at least an hour). */
  maxAgeMs: number;
  /** How long a claim lasts; longer than any Slack call an effect makes. */
  leaseMs: number;
}

export const defaultEffectPolicy: EffectPolicy = {
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxAgeMs: 24 * 60 * 60 * 1000,
  leaseMs: 60_000,
};

export interface EffectWorker {
  /**
   * Run these effects now if they are next in their scope, waiting at most `budgetMs` for them
   * (they go on in the background after that). Failures are recorded, never thrown.
   */
  runSoon(ids: readonly string[], budgetMs: number): Promise<void>;
  /**
   * Make the first attempt at an effect its asker wrote already leased (see `leasedEffectInsert`),
   * with `perform` doing what the executor would from what the asker holds, and record the
   * outcome like any attempt's. Waits at most `budgetMs` (the attempt goes on after that) and
   * says where the effect stands then.
   */
  runLeased(effect: LeasedEffect, perform: () => Promise<LeasedOutcome>, budgetMs: number): Promise<EffectState>;
  /** Until when an effect written by its asker is leased to it. */
  leaseUntil(now: Date): Date;
  /** Run everything due; resolves with how many effects completed. */
  sweep(): Promise<number>;
  /** Start a sweep without waiting; concurrent kicks coalesce. */
  kick(): void;
  /**
   * Wait for every attempt, wake-up and sweep in flight, then sweep until nothing is due on the
   * app clock; resolves with how many attempts that took (0: nothing was running or due). Retries
   * not yet due stay scheduled. For tests that need the stack settled rather than timed.
   */
  settle(): Promise<number>;
  startSweep(intervalMs: number): void;
  /** Stop sweeping and retrying, and wait for effects in flight. */
  stop(): Promise<void>;
}

/** Where an effect stands. */
export type EffectState = 'done' | 'pending' | 'parked';

/**
 * What a leased effect's own attempt did: `recorded-done` when it marked the effect done in its
 * last statement (`markLeasedDone`, saving a round trip), `performed` when the worker should.
 */
export type LeasedOutcome = 'recorded-done' | 'performed';

/** An effect written leased to its asker, as the insert returned it. */
export interface LeasedEffect {
  id: string;
  kind: string;
  payload: unknown;
  generation: number;
  createdAt: Date;
}

interface Claimed {
  id: string;
  kind: string;
  payload: unknown;
  generation: number;
  attempts: number;
  createdAt: Date;
}

/**
 * Carries out the effects whose kinds `executors` knows. A claim is a lease written in its own
 * short statement (never a lock held across a Slack call), so no connection is held while waiting
 * for another and instances never run the same effect at once. Only the oldest pending effect of a
 * scope can be claimed, so one run's posts keep their order. Failed effects are retried with
 * exponential backoff (rate limits after Slack's `Retry-After`) until `maxAgeMs`, then parked:
 * the worker whose attempt failed wakes up when the effect is due again and claims it (one timer,
 * for the earliest), so a retry waits for its backoff, not for the next sweep. The sweep remains
 * for effects whose worker is gone (a crash, a scale-down) and for what a claim could not start.
 */
export function createEffectWorker(options: {
  sql: Pool;
  executors: Readonly<Record<string, EffectExecutor>>;
  deps: EffectDeps;
  log: Logger;
  metrics: Metrics;
  now: () => Date;
  policy?: EffectPolicy;
  /** How many effects of different scopes run at once. */
  concurrency?: number;
}): EffectWorker {
  const policy = options.policy ?? defaultEffectPolicy;
  const concurrency = options.concurrency ?? 4;
  const inFlight = new Set<Promise<unknown>>();
  // What this process is claiming and running now, so `runSoon` can wait for an effect it asked
  // for that a concurrent sweep claimed first, instead of answering as if Slack were slow.
  const claiming = new Set<Promise<unknown>>();
  const executing = new Map<string, Promise<boolean>>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  // Effects this worker's attempts failed, by id, with when each is due again (app clock, ms).
  const retries = new Map<string, number>();
  let wake: { at: number; timer: NodeJS.Timeout } | undefined;
  // Attempts started, so `settle` can tell a sweep that ran something from one that found nothing.
  let attemptsStarted = 0;

  async function claim(ids: readonly string[] | null, limit: number): Promise<Claimed[]> {
    const kinds = Object.keys(options.executors);
    if (kinds.length === 0) return [];
    const now = options.now();
    const leaseUntil = new Date(now.getTime() + policy.leaseMs);
    const sql = options.sql;
    return sql<Claimed[]>`
      with candidates as (
        select e.id
        from slack_effects e
        where e.done_at is null
          and e.parked_at is null
          and e.kind in ${sql(kinds)}
          and e.next_attempt_at <= ${now}
          and (e.lease_until is null or e.lease_until < ${now})
          and e.id = (
            select min(o.id) from slack_effects o
            where o.scope = e.scope and o.done_at is null and o.parked_at is null
          )
          ${ids ? sql`and e.id in ${sql(ids.map(String))}` : sql``}
        order by e.id
        limit ${limit}
        for update skip locked
      )
      update slack_effects s
      set lease_until = ${leaseUntil}, attempts = s.attempts + 1
      from candidates c
      where s.id = c.id
      returning s.id, s.kind, s.payload, s.generation, s.attempts, s.created_at
    `;
  }

  /** Run one claimed effect and record the outcome; true when it completed. */
  function execute(effect: Claimed): Promise<boolean> {
    return attempt(effect).then((state) => state === 'done');
  }

  function attempt(effect: Claimed, perform?: () => Promise<LeasedOutcome>): Promise<EffectState> {
    const id = String(effect.id);
    // Claimed here (by a sweep, say) before its wake-up: that retry is this attempt.
    retries.delete(id);
    attemptsStarted++;
    const running = executeClaimed(effect, perform).finally(() => executing.delete(id));
    executing.set(
      id,
      running.then((state) => state === 'done'),
    );
    return running;
  }

  async function executeClaimed(effect: Claimed, perform?: () => Promise<LeasedOutcome>): Promise<EffectState> {
    const log = options.log.child({ effect: effect.kind, effectId: String(effect.id) });
    const executor = options.executors[effect.kind]!;
    const sql = options.sql;
    try {
      if (perform) {
        if ((await perform()) === 'recorded-done') {
          options.metrics.slackEffectsTotal.inc({ kind: effect.kind, outcome: 'done' });
          return 'done';
        }
      } else {
        await executor(effect.payload, { ...options.deps, log });
      }
    } catch (error) {
      return recordFailure(effect, error, log);
    }
    const [done] = await sql`
      update slack_effects set done_at = ${options.now()}, lease_until = null, last_error = null
      where id = ${effect.id} and generation = ${effect.generation}
      returning id
    `;
    if (!done) {
      // Asked for again while running: what was rendered may be stale, so it runs once more, now.
      const now = options.now();
      await sql`update slack_effects set lease_until = null, attempts = 0, next_attempt_at = ${now} where id = ${effect.id}`;
      retryAt(String(effect.id), now);
      options.metrics.slackEffectsTotal.inc({ kind: effect.kind, outcome: 'rerun' });
      return 'pending';
    }
    options.metrics.slackEffectsTotal.inc({ kind: effect.kind, outcome: 'done' });
    return 'done';
  }

  async function recordFailure(effect: Claimed, error: unknown, log: Logger): Promise<EffectState> {
    const appError = toAppError(error);
    const now = options.now();
    const tooOld = now.getTime() - new Date(effect.createdAt).getTime() >= policy.maxAgeMs;
    const reason = appError.message.slice(0, 500);
    if (!appError.retryable || tooOld) {
      await options.sql`
        update slack_effects set parked_at = ${now}, lease_until = null, last_error = ${reason}
        where id = ${effect.id}
      `;
      options.metrics.slackEffectsTotal.inc({ kind: effect.kind, outcome: 'parked' });
      // Slack refusing (not in the channel, archived…) is the workspace's doing, a warning; giving
      // up after a day of failures, or a bug, needs an operator.
      const refused = appError.code === 'upstream' && !tooOld;
      log[refused ? 'warn' : 'error']('slack effect parked; an operator can replay it with npm run dead-letters', {
        reason,
        attempts: effect.attempts,
        ...(appError.code === 'internal' ? { error } : {}),
      });
      return 'parked';
    }
    const delay = retryDelayMs(effect.attempts, error, policy);
    const nextAttemptAt = new Date(now.getTime() + delay);
    await options.sql`
      update slack_effects
      set lease_until = null, last_error = ${reason}, next_attempt_at = ${nextAttemptAt}
      where id = ${effect.id}
    `;
    retryAt(String(effect.id), nextAttemptAt);
    options.metrics.slackEffectsTotal.inc({ kind: effect.kind, outcome: 'retry' });
    log.warn('slack effect failed; will retry', { reason, attempts: effect.attempts, retryInMs: delay });
    return 'pending';
  }

  /** Run claimed effects, then look for what they unblocked (the next effect of each scope). */
  async function runClaimed(claimed: Claimed[]): Promise<number> {
    const results = await Promise.all(claimed.map((effect) => execute(effect)));
    const completed = results.filter(Boolean).length;
    if (claimed.length > 0) kick();
    return completed;
  }

  function track<T>(promise: Promise<T>): Promise<T> {
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise)).catch(() => undefined);
    return promise;
  }

  async function drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const pending = claim(null, concurrency);
      claiming.add(pending);
      const claimed = await pending.finally(() => claiming.delete(pending));
      if (claimed.length === 0) return total;
      total += await track(Promise.all(claimed.map((effect) => execute(effect)))).then((r) => r.filter(Boolean).length);
    }
  }

  const sweep = coalesced(drain, () => !stopped);

  /** Wake up when this effect is due again; the one timer is moved only to an earlier time. */
  function retryAt(id: string, at: Date): void {
    if (stopped) return;
    retries.set(id, at.getTime());
    armWake();
  }

  function armWake(): void {
    let earliest = Number.POSITIVE_INFINITY;
    for (const at of retries.values()) earliest = Math.min(earliest, at);
    if (earliest === Number.POSITIVE_INFINITY) return;
    if (wake && wake.at <= earliest) return;
    clearTimeout(wake?.timer);
    const timeout = setTimeout(wakeUp, Math.max(0, earliest - options.now().getTime()));
    // A pending retry must not keep a process alive that is otherwise done.
    timeout.unref();
    wake = { at: earliest, timer: timeout };
  }

  /**
   * Claim the effects due by now, as a sweep would but only these: the claim's lease is what
   * keeps a sweep or another instance racing this from running one twice. At most `concurrency`
   * are claimed; a full batch kicks a sweep after it (`runClaimed`), which takes the rest.
   */
  function wakeUp(): void {
    wake = undefined;
    if (stopped) return;
    const now = options.now().getTime();
    const due = [...retries].filter(([, at]) => at <= now).map(([id]) => id);
    for (const id of due) retries.delete(id);
    armWake();
    if (due.length === 0) return;
    track(claim(due, concurrency).then(runClaimed)).catch((error: unknown) =>
      options.log.warn('effects due for a retry could not be started; the sweep retries them', { error }),
    );
  }

  function kick(): void {
    if (stopped) return;
    sweep().catch((error: unknown) => options.log.warn('effects sweep failed; the next sweep retries', { error }));
  }

  return {
    async runSoon(ids, budgetMs) {
      if (ids.length === 0 || stopped) return;
      const work = track(
        claim(ids, ids.length)
          .then(async (claimed) => {
            if (claimed.length === 0) kick();
            const mine = claimed.length === 0 ? 0 : runClaimed(claimed);
            // Those a sweep of this process claimed meanwhile: wait for them as for our own.
            await Promise.allSettled([...claiming]);
            const taken = new Set(claimed.map((effect) => String(effect.id)));
            const theirs = ids
              .map(String)
              .filter((id) => !taken.has(id))
              .map((id) => executing.get(id));
            await Promise.allSettled(theirs);
            return mine;
          })
          .catch((error: unknown) => {
            options.log.warn('effects could not be started now; the sweep retries them', { error });
            return 0;
          }),
      );
      let timer: NodeJS.Timeout | undefined;
      const budget = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, budgetMs);
      });
      await Promise.race([work, budget]);
      clearTimeout(timer);
    },
    async runLeased(effect, perform, budgetMs) {
      if (stopped) return 'pending';
      const work = track(
        // A leased effect is the first of a new scope: nothing waits behind it, and a retry or a
        // rerun it needs has its wake-up.
        attempt({ ...effect, attempts: 1 }, perform).catch((error: unknown): EffectState => {
          options.log.warn('effect attempt could not be recorded; the sweep retries it', { error });
          return 'pending';
        }),
      );
      let timer: NodeJS.Timeout | undefined;
      const budget = new Promise<EffectState>((resolve) => {
        timer = setTimeout(() => resolve('pending'), budgetMs);
      });
      const state = await Promise.race([work, budget]);
      clearTimeout(timer);
      return state;
    },
    leaseUntil: (now) => new Date(now.getTime() + policy.leaseMs),
    sweep,
    kick,
    async settle() {
      const before = attemptsStarted;
      for (;;) {
        const current = sweep.current();
        if (inFlight.size > 0 || current) {
          await Promise.allSettled([...inFlight, current]);
          continue;
        }
        const mark = attemptsStarted;
        await sweep();
        // A sweep that started nothing, with nothing started beside it, leaves nothing due.
        if (attemptsStarted === mark && inFlight.size === 0 && !sweep.current()) return attemptsStarted - before;
      }
    },
    startSweep(intervalMs) {
      timer = setInterval(kick, intervalMs);
      timer.unref();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearTimeout(wake?.timer);
      wake = undefined;
      retries.clear();
      await Promise.allSettled([...inFlight, sweep.current()]);
    },
  };
}

/** Exponential backoff with jitter; a rate limit waits at least what Slack asked. */
export function retryDelayMs(attempts: number, error: unknown, policy: EffectPolicy): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  const jittered = exponential * (0.8 + Math.random() * 0.4);
  const retryAfterMs = error instanceof SlackCallError && error.retryAfterSeconds ? error.retryAfterSeconds * 1000 : 0;
  return Math.round(Math.max(jittered, retryAfterMs));
}
