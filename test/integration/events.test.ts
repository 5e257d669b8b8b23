import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import type { CoffeeEvent } from '../../shared/events/cloud-event.ts';
import { createEmitter, createOutboxRelay } from '../../shared/events/outbox.ts';
import type { EventTransport } from '../../shared/events/transport.ts';
import { silentLogger } from '../../shared/logging.ts';
import { createMetrics } from '../../shared/metrics.ts';
import { startTestStack, type TestStack } from '../support/harness.ts';
import { createProbeConsumer } from '../support/probe-consumer.ts';
import { slashCommandBody } from '../support/slack-requests.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-db.ts';

const runCreated = (runId: string) => ({
  type: 'com.coffeebuddy.run.created' as const,
  subject: runId,
  partitionKey: 'C1',
  correlationId: runId,
  data: {
    runId,
    slackTeamId: 'T1',
    slackChannelId: 'C1',
    initiatorSlackUserId: 'U1',
    pickupAt: null,
    closesAt: null,
    note: '',
    timeZone: 'UTC',
    startedAt: new Date().toISOString(),
  },
});

describe('transactional outbox on a real Postgres', () => {
  let db: TestDatabase;
  const emit = createEmitter('test', { now: () => new Date() });
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('writes nothing when the state change rolls back', async () => {
    const runId = crypto.randomUUID();
    await db.sql
      .begin(async (tx) => {
        await emit(tx, runCreated(runId));
        throw new Error('state change failed');
      })
      .catch(() => undefined);
    expect(await db.sql`select 1 from outbox where subject = ${runId}`).toHaveLength(0);
  });

  it('publishes committed rows once the transport accepts them, and keeps them pending while it fails', async () => {
    const runId = crypto.randomUUID();
    await db.sql.begin((tx) => emit(tx, runCreated(runId)));
    const sent: CoffeeEvent[] = [];
    let failing = true;
    const transport: EventTransport = {
      async send(events) {
        if (failing) throw new Error('broker down');
        sent.push(...events);
      },
      ready: async () => !failing,
      close: async () => undefined,
    };
    const relay = createOutboxRelay({ sql: db.sql, transport, log: silentLogger, metrics: createMetrics(), now: () => new Date() });

    expect(await relay.flush()).toBe(0);
    const [pending] = await db.sql<{ publishedAt: Date | null; attempts: number; lastError: string }[]>`
      select published_at, attempts, last_error from outbox where subject = ${runId}`;
    expect(pending).toMatchObject({ publishedAt: null, attempts: 1, lastError: 'broker down' });

    failing = false;
    expect(await relay.flush()).toBeGreaterThanOrEqual(1);
    expect(await relay.flush()).toBe(0);
    const mine = sent.filter((event) => event.subject === runId);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ type: 'com.coffeebuddy.run.created', source: 'test', correlationid: runId, partitionkey: 'C1' });
    const [published] = await db.sql<{ publishedAt: Date | null }[]>`select published_at from outbox where subject = ${runId}`;
    expect(published!.publishedAt).toBeInstanceOf(Date);
  });
});

describe('in-process bus: the KafkaSource delivery contract over binary-mode HTTP', () => {
  let stack: TestStack;
  const probe = createProbeConsumer('reminder-due');
  const { received, effects, script } = probe;

  beforeAll(async () => {
    stack = await startTestStack({
      functions: [...registry.filter((fn) => fn.name !== 'reminder-due'), probe.descriptor],
      users: { U0001: { tz: 'Europe/Berlin' } },
      busPolicy: { retries: 3, backoffDelayMs: 20, timeoutMs: 2000 },
      now: new Date('2026-11-23T08:00:00Z'),
    });
  });
  afterAll(async () => {
    await stack.close();
  });
  beforeEach(() => probe.reset());

  const startRun = async (channelId: string) => {
    const response = await stack.postSigned('/slack/commands', slashCommandBody({ trigger: stack.slack, text: '10:30', channelId }));
    expect(response.status).toBe(200);
    await stack.runtime.relay!.flush();
    await stack.bus!.idle();
    const [row] = await stack.db.sql<{ eventId: string }[]>`
      select o.event_id from outbox o join runs r on r.id::text = o.subject join channels c on c.id = r.channel_id
      where c.slack_channel_id = ${channelId} and o.type = 'com.coffeebuddy.run.created'`;
    return row!.eventId;
  };

  it('delivers /coffee’s run.created to its consumer as a binary-mode CloudEvent', async () => {
    const eventId = await startRun('C0100');
    expect(received.map((e) => [e.id, e.datacontenttype])).toEqual([[eventId, 'application/json']]);
    expect(effects).toEqual([eventId]);
  });

  it('retries a consumer answering 503 and applies the effect once', async () => {
    script.push('retry', 'retry');
    const eventId = await startRun('C0101');
    expect(received.map((r) => r.id)).toEqual([eventId, eventId, eventId]);
    expect(effects).toEqual([eventId]);
    const processed = await stack.db.sql`select 1 from processed_events where consumer = 'reminder-due' and event_id = ${eventId}`;
    expect(processed).toHaveLength(1);
  });

  it('dead-letters a poison event (400) at once, where an operator can see it', async () => {
    script.push('poison');
    const eventId = await startRun('C0102');
    expect(received.map((r) => r.id)).toEqual([eventId]);
    expect(effects).toEqual([]);
    const [letter] = await stack.db.sql<{ consumer: string; statusCode: number; attempts: number; error: string }[]>`
      select consumer, status_code, attempts, error from dead_letter_events where event_id = ${eventId}`;
    expect(letter).toMatchObject({ consumer: 'reminder-due', statusCode: 400, attempts: 1 });
    expect(letter!.error).toContain('cannot use this event');
  });

  it('dead-letters after the retries run out', async () => {
    script.push('retry', 'retry', 'retry', 'retry');
    const eventId = await startRun('C0103');
    expect(received).toHaveLength(4);
    const [letter] = await stack.db.sql<{ statusCode: number; attempts: number }[]>`
      select status_code, attempts from dead_letter_events where event_id = ${eventId}`;
    expect(letter).toMatchObject({ statusCode: 503, attempts: 4 });
  });

  it('answers a redelivered event 200 without applying it again', async () => {
    const eventId = await startRun('C0104');
    const [row] = await stack.db.sql<{ id: string }[]>`select id from outbox where event_id = ${eventId}`;
    const deliveredOk = async () =>
      (await stack.metrics.eventsDeliveredTotal.get()).values.find((v) => v.labels.consumer === 'reminder-due' && v.labels.outcome === 'ok')?.value ?? 0;
    const before = await deliveredOk();
    await stack.db.sql`update outbox set published_at = null where id = ${row!.id}`;
    await stack.runtime.relay!.flush();
    await stack.bus!.idle();
    // Delivered again and answered 2xx, but the handler never ran a second time.
    expect(await deliveredOk()).toBe(before + 1);
    expect(received.map((r) => r.id)).toEqual([eventId]);
    expect(effects).toEqual([eventId]);
    expect(await stack.db.sql`select 1 from dead_letter_events where event_id = ${eventId}`).toHaveLength(0);
  });

  it('refuses a request that is not one of our CloudEvents with 400', async () => {
    const response = await stack.postEvent('reminder-due', {
      headers: { 'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-id': '1', 'ce-type': 'com.example.other', 'ce-source': 'x' },
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'validation' });
  });
});
