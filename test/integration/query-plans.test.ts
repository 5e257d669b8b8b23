import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockAssignmentContext, servedHistory, withAttendance } from '../../functions/fairness-assign/queries.ts';
import { findActiveOrder, findLastOrder, findRunInChannel, findUsuals, recordOrderStatement } from '../../functions/interaction/queries.ts';
import { findOpenRun, findStarter, startRunStatement } from '../../shared/coffee-command/queries.ts';
import { createDb, type Pool } from '../../shared/db/client.ts';
import { syncRunMessage } from '../../shared/domain/run-message-effect.ts';
import { findRunView, listActiveOrders } from '../../shared/domain/run-queries.ts';
import { findPosted } from '../../shared/effects/slack-posts.ts';
import { createEmitter } from '../../shared/events/outbox.ts';
import { seedOtherChannels, seedRuns } from '../support/seed-runs.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-db.ts';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** The tables whose scans grow with use: a hot statement must reach them through an index. */
const hot = ['runs', 'orders'];

/** Every index a plan reads. */
function indexes(node: PlanNode): string[] {
  return [...(node['Index Name'] ? [node['Index Name']] : []), ...(node.Plans ?? []).flatMap(indexes)];
}

/** Every table a plan reads with a sequential scan. */
function seqScans(node: PlanNode): string[] {
  const own = node['Node Type'] === 'Seq Scan' && node['Relation Name'] ? [node['Relation Name']] : [];
  return [...own, ...(node.Plans ?? []).flatMap(seqScans)];
}

/** `/coffee`'s start statement for a new run in `slackChannelId`, by the seeded user. */
function startRun(sql: Pool, slackChannelId: string, now: Date) {
  const emit = createEmitter('slash-command', { now: () => now });
  const newRun = '00000000-0000-4000-8000-000000000001';
  return startRunStatement(sql, {
    runId: newRun,
    channel: { slackChannelId, slackTeamId: 'T0SEED', name: null },
    user: { slackUserId: 'U0SEED1', slackTeamId: 'T0SEED', displayName: null, timeZone: null, checkedAt: null },
    run: { pickupAt: null, closesAt: null, note: '', timeZone: 'UTC', startedAt: now },
    event: emit.prepare({
      type: 'com.coffeebuddy.run.created',
      subject: newRun,
      partitionKey: slackChannelId,
      correlationId: newRun,
      data: {
        runId: newRun,
        slackTeamId: 'T0SEED',
        slackChannelId,
        initiatorSlackUserId: 'U0SEED1',
        pickupAt: null,
        closesAt: null,
        note: '',
        timeZone: 'UTC',
        startedAt: now.toISOString(),
      },
    }),
    effect: syncRunMessage(newRun),
    leaseUntil: now,
  });
}

/** An order's statement on `run`, by the seeded user. */
function placeOrder(sql: Pool, run: { runId: string; channelId: string; slackChannelId: string }, now: Date) {
  const emit = createEmitter('interaction', { now: () => now });
  const orderId = '00000000-0000-4000-8000-000000000002';
  const order = { kind: 'structured' as const, drink: 'Latte' as const, size: 'Small' as const, customizations: '' };
  return recordOrderStatement(sql, {
    runId: run.runId,
    channelId: run.channelId,
    slackUserId: 'U0SEED1',
    slackTeamId: 'T0SEED',
    orderId,
    order,
    event: emit.prepare({
      type: 'com.coffeebuddy.order.placed',
      subject: run.runId,
      partitionKey: run.slackChannelId,
      correlationId: run.runId,
      data: { runId: run.runId, orderId, slackChannelId: run.slackChannelId, slackUserId: 'U0SEED1', order },
    }),
    effect: syncRunMessage(run.runId),
    now,
  });
}

/**
 * The text and parameters of every query `work` sends through a pool of its own; postgres.js's
 * own lookup of the server's types, on the first connection, is left out.
 */
async function captureQueries(url: string, work: (sql: Pool) => Promise<unknown>): Promise<{ query: string; parameters: unknown[] }[]> {
  const captured: { query: string; parameters: unknown[] }[] = [];
  const capture = createDb(url, { max: 1 });
  (capture.options as { debug?: unknown }).debug = (_connection: number, query: string, parameters: unknown[]) => {
    captured.push({ query, parameters });
  };
  try {
    await work(capture);
  } finally {
    await capture.end({ timeout: 5 });
  }
  return captured.filter(({ query }) => !query.includes('pg_catalog.pg_type'));
}

/**
 * The hot and per-run queries, as the code sends them, explained (`explain analyze`, so writes run,
 * inside a transaction rolled back) on a database holding 100,000 runs, 10,000 of them in one
 * channel: none may read `runs` or `orders` sequentially.
 */
describe('query plans with 100,000 runs', () => {
  let db: TestDatabase;
  const busy = 'CPLANBUSY';
  let runId: string;
  let channelId: string;
  const now = new Date('2026-11-24T09:00:00Z');

  beforeAll(async () => {
    db = await createTestDatabase();
    const seeded = await seedRuns(db.sql, { slackChannelId: busy, count: 10_000, startedAt: now });
    channelId = seeded.channelId;
    runId = seeded.runIds[0]!;
    // 90,000 more runs in 900 other channels, each with two orders.
    await db.sql.begin(async (tx) => {
      await tx`set local statement_timeout = 0`;
      await seedOtherChannels(tx, { channels: 900, runsPerChannel: 100, startedAt: now });
    });
    await db.sql`analyze`;
  }, 60_000);

  afterAll(async () => {
    await db?.drop();
  });

  /** Run `work` through a pool of its own and explain every statement it sent. */
  async function plansOf(work: (sql: Pool) => Promise<unknown>): Promise<{ query: string; scans: string[]; indexes: string[] }[]> {
    const statements = await captureQueries(db.url, work);
    const plans = [];
    for (const { query, parameters } of statements) {
      const explained = await db.sql
        .begin(async (tx) => {
          const [row] = (await tx.unsafe(`explain (analyze, format json) ${query}`, parameters as postgres.ParameterOrJSON<never>[])) as unknown as {
            'QUERY PLAN': { Plan: PlanNode }[];
          }[];
          throw Object.assign(new Error('rollback'), { plan: row!['QUERY PLAN'][0]!.Plan });
        })
        .catch((error: { plan?: PlanNode }) => {
          if (!error.plan) throw error;
          return error.plan;
        });
      plans.push({ query: query.replace(/\s+/g, ' ').trim().slice(0, 80), scans: seqScans(explained), indexes: indexes(explained) });
    }
    return plans;
  }

  const expectIndexed = (plans: { query: string; scans: string[]; indexes: string[] }[]) => {
    expect(plans.length).toBeGreaterThan(0);
    for (const plan of plans) expect({ query: plan.query, scans: plan.scans.filter((table) => hot.includes(table)) }).toEqual({ query: plan.query, scans: [] });
    return plans;
  };

  it('fairness: the served history, attendance and the assignment context', async () => {
    // The channel's served runs from their own index (migration 0013), not all of its runs.
    const [served] = expectIndexed(await plansOf((sql) => servedHistory(sql, busy, runId)));
    expect(served!.indexes).toContain('runs_channel_served');
    const history = await servedHistory(db.sql, busy, runId);
    expect(history).toHaveLength(500);
    expectIndexed(await plansOf((sql) => withAttendance(sql, history, 50)));
    expectIndexed(await plansOf((sql) => lockAssignmentContext(sql, runId, now, 5)));
  });

  it('/coffee: the starter lookup, the start statement and the open-run check', async () => {
    expectIndexed(await plansOf((sql) => findStarter(sql, busy, 'U0SEED1')));
    expectIndexed(await plansOf((sql) => findOpenRun(sql, channelId)));
    expectIndexed(await plansOf((sql) => startRun(sql, busy, now)));
  });

  it('ordering: the run lookup, the modal prefill and usuals, the order statement and the run message', async () => {
    expectIndexed(await plansOf((sql) => findRunInChannel(sql, runId, busy)));
    expectIndexed(await plansOf((sql) => findActiveOrder(sql, runId, 'U0SEED1')));
    expectIndexed(await plansOf((sql) => findLastOrder(sql, 'U0SEED1', channelId)));
    const [usuals] = expectIndexed(await plansOf((sql) => findUsuals(sql, 'USEED1', channelId)));
    // A person's orders by their user id: orders_user (active ones) or orders_by_user (all, for retention).
    expect(usuals!.indexes.filter((name) => name === 'orders_user' || name === 'orders_by_user')).not.toEqual([]);
    expectIndexed(await plansOf((sql) => placeOrder(sql, { runId, channelId, slackChannelId: busy }, now)));
    expectIndexed(await plansOf((sql) => findRunView(sql, runId)));
    expectIndexed(await plansOf((sql) => listActiveOrders(sql, runId)));
    expectIndexed(await plansOf((sql) => findPosted(sql, runId)));
  });
});

/**
 * postgres.js prepares every statement once per connection, and Postgres then caches a generic
 * plan for it: one made on a new install, while the tables are empty and never analyzed, is kept
 * for the connection's life as they fill. Each hot statement's generic plan on such a database
 * must still find `runs` and `orders` rows through an index condition, never by reading a whole
 * table or index (as `/coffee`'s open-run check once did: every open run, on every start).
 */
describe('generic plans made on an empty database', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  /** Every scan of `runs` or `orders` in a plan that has no index condition, as "<node> on <table>". */
  function unboundedScans(node: PlanNode & { 'Index Cond'?: string }): string[] {
    const scan = node['Relation Name'] && hot.includes(node['Relation Name']) && node['Node Type'] !== 'ModifyTable' && !node['Index Cond'];
    return [...(scan ? [`${node['Node Type']} on ${node['Relation Name']}`] : []), ...(node.Plans ?? []).flatMap(unboundedScans)];
  }

  const literal = (value: unknown) => {
    if (value === null || value === undefined) return 'null';
    const text = value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value);
    return `'${text.replaceAll("'", "''")}'`;
  };
  async function genericPlans(work: (sql: Pool) => Promise<unknown>) {
    const statements = await captureQueries(db.url, work);
    return db.sql.reserve().then(async (connection) => {
      try {
        await connection`set plan_cache_mode = force_generic_plan`;
        const plans = [];
        for (const [i, { query, parameters }] of statements.entries()) {
          // The parameter types Postgres read from the statement as the code sends it.
          const { types } = await connection.unsafe(query, parameters as postgres.ParameterOrJSON<never>[]).describe();
          const typeNames = await connection<{ name: string }[]>`select unnest(${types}::oid[])::regtype::text as name`;
          await connection.unsafe(`prepare hot_${i}${typeNames.length ? `(${typeNames.map((t) => t.name).join(', ')})` : ''} as ${query}`);
          // EXPLAIN takes no parameters: the values go in as literals of the prepared types.
          const literals = parameters.map((value, n) => `${literal(value)}::${typeNames[n]!.name}`).join(', ');
          const [row] = (await connection.unsafe(`explain (format json) execute hot_${i}${literals ? `(${literals})` : ''}`)) as unknown as {
            'QUERY PLAN': { Plan: PlanNode }[];
          }[];
          plans.push({ query: query.replace(/\s+/g, ' ').trim().slice(0, 80), unbounded: unboundedScans(row!['QUERY PLAN'][0]!.Plan) });
        }
        return plans;
      } finally {
        await connection`deallocate all`;
        connection.release();
      }
    });
  }

  it('/coffee, ordering, the run message and fairness search runs and orders by index', async () => {
    const now = new Date('2026-11-24T09:00:00Z');
    const run = { runId: '00000000-0000-4000-8000-0000000000aa', channelId: '00000000-0000-4000-8000-0000000000bb', slackChannelId: 'CPLANNEW' };
    const work: ((sql: Pool) => Promise<unknown>)[] = [
      (sql) => findStarter(sql, run.slackChannelId, 'U0SEED1'),
      (sql) => startRun(sql, run.slackChannelId, now),
      (sql) => findOpenRun(sql, run.channelId),
      (sql) => findRunInChannel(sql, run.runId, run.slackChannelId),
      (sql) => findActiveOrder(sql, run.runId, 'U0SEED1'),
      (sql) => findLastOrder(sql, 'U0SEED1', run.channelId),
      (sql) => findUsuals(sql, 'U0SEED1', run.channelId),
      (sql) => placeOrder(sql, run, now),
      (sql) => findRunView(sql, run.runId),
      (sql) => listActiveOrders(sql, run.runId),
      (sql) => findPosted(sql, run.runId),
      (sql) => servedHistory(sql, run.slackChannelId, run.runId),
      (sql) => lockAssignmentContext(sql, run.runId, now, 5),
    ];
    const plans = [];
    for (const statements of work) plans.push(...(await genericPlans(statements)));
    expect(plans.length).toBeGreaterThanOrEqual(work.length);
    for (const plan of plans) expect(plan).toEqual({ query: plan.query, unbounded: [] });
  });
});
