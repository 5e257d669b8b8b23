import { randomUUID } from 'node:crypto';
import { CloudEvent, Kafka as KafkaBinding, type CloudEventV1 } from 'cloudevents';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { buildEvent } from '../../shared/events/cloud-event.ts';
import { listParked, replayParked } from '../../shared/events/dead-letters.ts';
import { toBinaryHttp } from '../../shared/events/http-binding.ts';
import { createKafkaClient, createProducer, headerRecord, parseBrokers } from '../../shared/events/kafka-client.ts';
import { topicName } from '../../shared/events/topics.ts';
import { deadLetterPath, deadLetterSourceName } from '../../shared/function.ts';
import { silentLogger } from '../../shared/logging.ts';
import { startTestStack, type TestStack } from '../support/harness.ts';
import { createProbeConsumer } from '../support/probe-consumer.ts';
import { topicsFor } from '../../scripts/manifests/names.ts';

const brokers = inject('kafkaBrokers');
const morning = new Date('2026-11-23T08:00:00Z');
const fastRetries = { retries: 3, backoffDelayMs: 20, timeoutMs: 2000 };
const admin = registry.find((fn) => fn.recordsDeadLetters)!;

/**
 * Issue 18: in a cluster, what the KafkaSources give up on lands on the dead-letter topic; admin's
 * KafkaSource on that topic parks it in `dead_letter_events`, so `npm run dead-letters` lists and
 * replays it as it does locally. Here the local KafkaSource stand-in plays that source.
 */
describe('dead letters from the dead-letter topic, parked by admin', () => {
  let stack: TestStack;
  let producer: Producer;
  const probe = createProbeConsumer('reminder-due');
  const functions = [...registry.filter((fn) => fn.name !== 'reminder-due'), probe.descriptor];

  beforeAll(async () => {
    stack = await startTestStack({
      functions,
      kafka: { brokers, topicPrefix: `t${Math.random().toString(36).slice(2, 8)}.` },
      busPolicy: fastRetries,
      now: morning,
    });
    producer = createProducer(createKafkaClient({ brokers: parseBrokers(brokers), clientId: 'dead-letter-test', log: silentLogger }));
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
    await stack.close();
  });

  const deadLetterTopic = () => topicName('deadLetter', stack.topicPrefix!);
  /** Dead letters admin's source delivered and admin answered 2xx. */
  const parkedDeliveries = async () =>
    (await stack.metrics.eventsDeliveredTotal.get()).values.find((v) => v.labels.consumer === deadLetterSourceName(admin) && v.labels.outcome === 'ok')
      ?.value ?? 0;

  const runCreated = (channel: string) => {
    const runId = randomUUID();
    return buildEvent(
      {
        type: 'com.coffeebuddy.run.created',
        subject: runId,
        partitionKey: channel,
        correlationId: runId,
        data: {
          runId,
          slackTeamId: 'T1',
          slackChannelId: channel,
          initiatorSlackUserId: 'U001',
          pickupAt: null,
          closesAt: null,
          note: '',
          timeZone: 'UTC',
          startedAt: morning.toISOString(),
        },
      },
      { id: randomUUID(), source: 'slash-command', time: morning },
    );
  };

  /** The event a KafkaSource gave up on, with the extensions Knative attaches (what the KafkaSink writes). */
  const deadLettered = (event: CloudEventV1<unknown>, failure: { code: string; dest: string; body: string }) =>
    new CloudEvent(
      {
        ...event,
        knativekafkapartition: '2',
        knativekafkaoffset: '41',
        knativeerrorcode: failure.code,
        knativeerrordest: failure.dest,
        knativeerrordata: Buffer.from(failure.body).toString('base64'),
      },
      false,
    );

  /** Write it to the dead-letter topic as the KafkaSink does in binary content mode. */
  const writeAsKafkaSink = (letter: CloudEventV1<unknown>) => writeRecord(producer, deadLetterTopic(), binaryRecord(letter));

  it('parks a dead letter written as the KafkaSink writes it once, however often it comes, with why it failed', async () => {
    const event = runCreated('CDL001');
    const body = '{"error":"internal","message":"The event cannot be processed"}';
    const letter = deadLettered(event, { code: '422', dest: 'http://reminder-due.coffeebuddy.svc.cluster.local/events/reminder-due', body });
    const before = await parkedDeliveries();
    // At least once: the same dead letter twice.
    await writeAsKafkaSink(letter);
    await writeAsKafkaSink(letter);
    await expect.poll(parkedDeliveries, { timeout: 15_000 }).toBe(before + 2);

    const rows = await stack.db.sql<
      { consumer: string; statusCode: number; error: string; attempts: number; attributes: Record<string, unknown>; data: unknown }[]
    >`
      select consumer, status_code, error, attempts, attributes, data from dead_letter_events where event_id = ${event.id}`;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ consumer: 'reminder-due', statusCode: 422, error: body, attempts: 1, data: event.data });
    expect(rows[0]!.attributes).toMatchObject({ id: event.id, partitionkey: 'CDL001', correlationid: event.correlationid });
    expect(Object.keys(rows[0]!.attributes).filter((name) => name.startsWith('knativeerror'))).toEqual([]);

    const parked = (await listParked(stack.db.sql)).filter((item) => item.what === event.type && item.where === 'reminder-due');
    expect(parked).toEqual([expect.objectContaining({ kind: 'event', statusCode: 422, error: body, attempts: 1 })]);

    // Replayed, it reaches its consumer again under its own id, and leaves the listing.
    expect(await replayParked(stack.db.sql, parked[0]!.id, new Date())).toBe('replayed');
    await expect.poll(() => probe.effects, { timeout: 15_000 }).toContain(event.id);
    expect(probe.received.find((received) => received.id === event.id)?.data).toEqual(event.data);
    expect((await listParked(stack.db.sql)).map((item) => item.id)).not.toContain(parked[0]!.id);
    expect(await replayParked(stack.db.sql, parked[0]!.id, new Date())).toBe('not_found');
  });

  it('parks a consumer’s refusal end to end: the stand-in dead-letters it to the topic, admin parks it', async () => {
    const event = runCreated('CDL002');
    probe.script.push('poison');
    await writeRecord(producer, topicName('run', stack.topicPrefix!), binaryRecord(event));
    await expect
      .poll(async () => stack.db.sql`select consumer, status_code, error from dead_letter_events where event_id = ${event.id}`, { timeout: 15_000 })
      .toEqual([{ consumer: 'reminder-due', statusCode: 400, error: expect.stringContaining('cannot use this event') }]);
  });

  it('parks records that are not CloudEvents at all, and keeps them listed since they cannot be replayed', async () => {
    // A raw record on the run topic: every consumer of the topic gets it wrapped as
    // dev.knative.kafka.event, refuses it (400), and each refusal is parked.
    const runTopic = topicName('run', stack.topicPrefix!);
    await writeRecord(producer, runTopic, { key: 'CDL003', value: 'not a cloud event' });
    const readers = functions.filter((fn) => topicsFor(fn, stack.topicPrefix!).includes(runTopic)).map((fn) => fn.name);
    expect(readers.sort()).toEqual(['close-run', 'fairness-assign', 'reminder-due']);
    const wrapped = () => stack.db.sql<{ id: string; consumer: string; statusCode: number; data: unknown }[]>`
      select id, consumer, status_code, data from dead_letter_events
      where type = 'dev.knative.kafka.event' and source like ${`%#${runTopic}`} order by consumer`;
    await expect.poll(async () => (await wrapped()).map((row) => row.consumer), { timeout: 15_000 }).toEqual(readers.sort());
    for (const row of await wrapped()) expect(row).toMatchObject({ statusCode: 400, data: 'not a cloud event' });

    // A raw record straight on the dead-letter topic: admin's source wraps it too; no failure to tell.
    await writeRecord(producer, deadLetterTopic(), { key: null, value: 'stray\u0000bytes' });
    const strays = () => stack.db.sql<{ id: string; consumer: string; statusCode: number | null; data: unknown }[]>`
      select id, consumer, status_code, data from dead_letter_events where source like ${`%#${deadLetterTopic()}`}`;
    await expect.poll(async () => (await strays()).length, { timeout: 15_000 }).toBe(1);
    const [stray] = await strays();
    expect(stray).toMatchObject({ consumer: 'unknown', statusCode: null, data: 'stray\ufffdbytes' });

    const ids = [...(await wrapped()).map((row) => row.id), stray!.id];
    for (const id of ids) expect(await replayParked(stack.db.sql, id, new Date())).toBe('not_replayable');
    expect((await listParked(stack.db.sql)).map((item) => item.id)).toEqual(expect.arrayContaining(ids));
  });

  describe('POST /events/dead-letters', () => {
    const post = (headers: Record<string, string>, body: string) => fetch(`${stack.url}${deadLetterPath}`, { method: 'POST', headers, body });
    const letterRequest = () => {
      const event = runCreated('CDL004');
      return {
        event,
        ...toBinaryHttp(
          deadLettered(event, { code: '503', dest: 'http://close-run.coffeebuddy.svc.cluster.local/events/close-run', body: 'upstream connect error' }),
        ),
      };
    };

    it('refuses a request without a token, or with a token for another audience (401), and parks nothing', async () => {
      const { event, headers, body } = letterRequest();
      const bare = await post(headers, body);
      expect(bare.status).toBe(401);
      expect(bare.headers.get('www-authenticate')).toBe('Bearer');
      const elsewhere = await post({ ...headers, authorization: `Bearer ${await stack.issuer!.token('coffeebuddy-close-run')}` }, body);
      expect(elsewhere.status).toBe(401);
      expect(await elsewhere.json()).toMatchObject({ error: 'unauthorized', message: expect.stringContaining('another audience') });
      expect(await stack.db.sql`select 1 from dead_letter_events where event_id = ${event.id}`).toHaveLength(0);
    });

    it('parks a signed delivery once, as a KafkaSource redelivering it would see', async () => {
      const { event, headers, body } = letterRequest();
      const token = await stack.eventHeaders(admin.name);
      // What CoffeeBuddyEventsDeadLettered counts: once per dead letter, not per delivery.
      const counted = async () => (await stack.metrics.eventsDeadLetteredTotal.get()).values.find((value) => value.labels.consumer === 'close-run')?.value ?? 0;
      const before = await counted();
      const first = await post({ ...headers, ...token }, body);
      expect(first.status).toBe(200);
      expect(await first.json()).toEqual({ status: 'parked' });
      const again = await post({ ...headers, ...token }, body);
      expect(await again.json()).toEqual({ status: 'duplicate' });
      expect((await counted()) - before).toBe(1);
      const rows = await stack.db.sql`select consumer, status_code, error, attempts from dead_letter_events where event_id = ${event.id}`;
      // 503 is retried: the default policy's attempts.
      expect(rows).toEqual([{ consumer: 'close-run', statusCode: 503, error: 'upstream connect error', attempts: 6 }]);
    });

    it('parks a body that is no CloudEvent, once', async () => {
      const token = await stack.eventHeaders(admin.name);
      const body = `no headers, no envelope ${randomUUID()}`;
      const first = await post({ 'content-type': 'text/plain', ...token }, body);
      expect(await first.json()).toEqual({ status: 'parked' });
      expect(await (await post({ 'content-type': 'text/plain', ...token }, body)).json()).toEqual({ status: 'duplicate' });
      const rows = await stack.db.sql`select consumer, type, source, data from dead_letter_events where data = ${stack.db.sql.json(body)}`;
      expect(rows).toEqual([{ consumer: 'unknown', type: 'unknown', source: 'unknown', data: body }]);
    });
  });
});

/** A binary-mode Kafka record of the event (`ce_*` headers, JSON value), keyed by its partition key. */
function binaryRecord(event: CloudEventV1<unknown>): { key: string; value: string; headers: Record<string, string> } {
  const record = KafkaBinding.binary(event);
  return {
    key: String(event.partitionkey),
    value: typeof record.value === 'string' ? record.value : JSON.stringify(record.value ?? null),
    headers: headerRecord(record.headers),
  };
}

async function writeRecord(producer: Producer, topic: string, record: { key: string | null; value: string; headers?: Record<string, string> }) {
  await producer.send({ topic, acks: -1, messages: [record] });
}
