import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../logging.ts';
import { createMetrics } from '../metrics.ts';
import { SlackCallError } from '../slack/port.ts';
import { FakeSlack } from '../../test/support/fakes.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-db.ts';
import { enqueueEffect, type EffectExecutor } from './effects.ts';
import { createEffectWorker, type EffectWorker } from './worker.ts';

const policy = { baseDelayMs: 100, maxDelayMs: 100, maxAgeMs: 60 * 60 * 1000, leaseMs: 10_000 };
const rateLimited = () => new SlackCallError('chat.postMessage', 'rate_limited', { retryAfterSeconds: 1 });
/** A wake-up after a rate limit: Retry-After's 1 s, with room for a busy machine. */
const wakeUpTimeoutMs = 5_000;

describe("the effect worker's retry wake-up, on a real Postgres", () => {
  let db: TestDatabase;
  const workers: EffectWorker[] = [];
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
  });
  afterAll(async () => {
    await db.drop();
  });

  /** A worker as one instance would run it (no sweep timer), with its own clock. */
  function worker(executor: EffectExecutor, now: () => Date = () => new Date()): EffectWorker {
    const log = silentLogger;
    const metrics = createMetrics();
    const created = createEffectWorker({
      sql: db.sql,
      executors: { test: executor },
      deps: { sql: db.sql, slack: new FakeSlack(), log, metrics, now, config: {} },
      log,
      metrics,
      now,
      policy,
    });
    workers.push(created);
    return created;
  }

  async function ask(key: string): Promise<string> {
    return enqueueEffect(db.sql, { kind: 'test', key, scope: key, payload: { key } }, new Date());
  }

  async function effect(id: string) {
    const [row] = await db.sql<{ done: boolean; attempts: number }[]>`
      select done_at is not null as done, attempts from slack_effects where id = ${id}`;
    return row;
  }

  it('retries at the due time without any sweep, once per failure', async () => {
    let calls = 0;
    const id = await ask('alone');
    const only = worker(async () => {
      calls += 1;
      if (calls < 3) throw new SlackCallError('chat.postMessage', 'uncertain');
    });
    await only.runSoon([id], 5_000);
    await expect.poll(() => effect(id), { timeout: 10_000 }).toEqual({ done: true, attempts: 3 });
    expect(calls).toBe(3);
  });

  it('a retry another instance claims first (its clock ahead) runs once: the wake-up finds it leased', async () => {
    let released: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      released = resolve;
    });
    let entered: () => void = () => undefined;
    const claimedByOther = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let failing = 0;
    let succeeding = 0;
    const id = await ask('raced');
    // The failer's clock readings: once idle, the next one is its wake-up.
    let failerClockReads = 0;
    const failer = worker(
      async () => {
        failing += 1;
        if (failing === 1) throw rateLimited();
      },
      () => {
        failerClockReads += 1;
        return new Date();
      },
    );
    const other = worker(
      async () => {
        succeeding += 1;
        entered();
        await gate;
      },
      () => new Date(Date.now() + 2_000),
    );
    await failer.runSoon([id], 5_000);
    expect(await effect(id)).toEqual({ done: false, attempts: 1 });
    void other.sweep();
    await claimedByOther;
    // The failer's wake-up (Retry-After 1 s) comes while the other instance still holds the lease;
    // settle() waits for the claim it started, and a sweep, both finding the effect leased.
    const readsWhileIdle = failerClockReads;
    await expect.poll(() => failerClockReads, { timeout: wakeUpTimeoutMs }).toBeGreaterThan(readsWhileIdle);
    expect(await failer.settle()).toBe(0);
    released();
    await expect.poll(() => effect(id), { timeout: 10_000 }).toEqual({ done: true, attempts: 2 });
    expect({ failing, succeeding }).toEqual({ failing: 1, succeeding: 1 });
  });

  it('an earlier retry moves the one timer forward; a later one does not hold it back', async () => {
    const order: string[] = [];
    const failed = new Set<string>();
    const late = await ask('late');
    const early = await ask('early');
    const both = worker(async (payload) => {
      const { key } = payload as { key: string };
      if (!failed.has(key)) {
        failed.add(key);
        throw key === 'late' ? rateLimited() : new SlackCallError('chat.postMessage', 'uncertain');
      }
      order.push(key);
    });
    await both.runSoon([late], 5_000);
    await both.runSoon([early], 5_000);
    await expect.poll(() => order, { timeout: 10_000 }).toEqual(['early', 'late']);
    expect([await effect(early), await effect(late)]).toEqual([
      { done: true, attempts: 2 },
      { done: true, attempts: 2 },
    ]);
  });

  it('stop clears the wake-up: a stopped worker makes no further attempt', async () => {
    let calls = 0;
    const id = await ask('stopped');
    const stopping = worker(async () => {
      calls += 1;
      throw new SlackCallError('chat.postMessage', 'uncertain');
    });
    await stopping.runSoon([id], 5_000);
    await stopping.stop();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(calls).toBe(1);
    expect(await effect(id)).toEqual({ done: false, attempts: 1 });
  });
});
