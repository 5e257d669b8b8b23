import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { once } from 'node:events';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { buildEvent } from '../../shared/events/cloud-event.ts';
import { createKafkaClient, parseBrokers } from '../../shared/events/kafka-client.ts';
import { createKafkaDispatcher } from '../../scripts/local/kafka-dispatcher.ts';
import { ensureTopics } from '../../shared/events/kafka-topics.ts';
import { createKafkaTransport } from '../../shared/events/kafka-transport.ts';
import { topicName } from '../../shared/events/topics.ts';
import { silentLogger } from '../../shared/logging.ts';
import { createMetrics } from '../../shared/metrics.ts';
import { startTestStack, type TestStack } from '../support/harness.ts';
import { createProbeConsumer } from '../support/probe-consumer.ts';
import { readTopic } from '../support/topic-reader.ts';
import { slashCommandBody } from '../support/slack-requests.ts';

const brokers = inject('kafkaBrokers');
const uniquePrefix = () => `t${Math.random().toString(36).slice(2, 8)}.`;
const fastRetries = { retries: 3, backoffDelayMs: 20, timeoutMs: 2000 };

describe('events through a real Kafka broker', () => {
  let stack: TestStack;
  const probe = createProbeConsumer('reminder-due');

  beforeAll(async () => {
    stack = await startTestStack({
      functions: [...registry.filter((fn) => fn.name !== 'reminder-due'), probe.descriptor],
      kafka: { brokers, topicPrefix: uniquePrefix() },
      busPolicy: fastRetries,
      now: new Date('2026-11-23T08:00:00Z'),
    });
  });
  afterAll(async () => {
    await stack.close();
  });
  beforeEach(() => probe.reset());

  const startRun = async (channelId: string) => {
    const response = await stack.postSigned('/slack/commands', slashCommandBody({ trigger: stack.slack, text: '10:30 Lobby', channelId }));
    expect(response.status).toBe(200);
    const [row] = await stack.db.sql<{ eventId: string; type: string; source: string; subject: string }[]>`
      select o.event_id, o.type, o.source, o.subject
      from outbox o join runs r on r.id::text = o.subject join channels c on c.id = r.channel_id
      where c.slack_channel_id = ${channelId}`;
    return row!;
  };

  it('/coffee → run row and outbox → Kafka → the consumer, as the same CloudEvent', async () => {
    const row = await startRun('CK001');
    await expect.poll(() => probe.effects.length, { timeout: 15_000 }).toBe(1);
    const [delivered] = probe.received;
    expect(delivered).toMatchObject({ id: row.eventId, type: row.type, source: row.source, subject: row.subject });
    expect(delivered!.partitionkey).toBe('CK001');
    expect(delivered!.knativekafkapartition).toMatch(/^\d+$/);
    const [published] = await stack.db.sql<{ publishedAt: Date | null }[]>`select published_at from outbox where event_id = ${row.eventId}`;
    expect(published!.publishedAt).toBeInstanceOf(Date);
    const ready = await (await fetch(`${stack.url}/health/ready`)).json();
    expect(ready).toEqual({ status: 'ok', checks: { database: true, events: true } });
  });

  it('a consumer answering 503 twice then 200 receives the event three times; the effect happens once', async () => {
    probe.script.push('retry', 'retry');
    const row = await startRun('CK002');
    await expect.poll(() => probe.effects.length, { timeout: 15_000 }).toBe(1);
    expect(probe.received.map((event) => event.id)).toEqual([row.eventId, row.eventId, row.eventId]);
    // The probe records its effect inside the consumer's transaction, before the commit: wait for it.
    await expect.poll(async () => (await stack.db.sql`select 1 from processed_events where event_id = ${row.eventId}`).length, { timeout: 5_000 }).toBe(1);
  });

  it('a consumer answering 400 sends the event to the dead-letter topic with the error attached', async () => {
    const consumer = await readTopic(brokers, topicName('deadLetter', stack.topicPrefix!));
    try {
      probe.script.push('poison');
      const row = await startRun('CK003');
      await expect.poll(() => consumer.records.length, { timeout: 15_000 }).toBe(1);
      const headers = consumer.records[0]!.headers;
      expect(headers.ce_id).toBe(row.eventId);
      expect(headers.ce_type).toBe('com.coffeebuddy.run.created');
      expect(headers.ce_knativeerrorcode).toBe('400');
      expect(Buffer.from(headers.ce_knativeerrordata!, 'base64').toString()).toContain('cannot use this event');
      expect(probe.effects).toEqual([]);
    } finally {
      await consumer.stop();
    }
  });
});

describe('the KafkaSource-equivalent dispatcher, seen from a raw HTTP sink', () => {
  let sink: Server;
  let sinkUrl: string;
  const requests: { headers: IncomingHttpHeaders; body: string }[] = [];
  const statuses: number[] = [];

  beforeAll(async () => {
    sink = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        requests.push({ headers: req.headers, body });
        res.writeHead(statuses.shift() ?? 200).end();
      });
    });
    sink.listen(0, '127.0.0.1');
    await once(sink, 'listening');
    sinkUrl = `http://127.0.0.1:${(sink.address() as { port: number }).port}/events/reminder-due`;
  });
  afterAll(() => {
    sink.close();
  });

  it('POSTs binary-mode CloudEvents with the record’s attributes, partition, offset and key, in order per channel', async () => {
    const prefix = uniquePrefix();
    const kafka = createKafkaClient({ brokers: parseBrokers(brokers), clientId: 'dispatch-test', log: silentLogger });
    await ensureTopics(kafka, { prefix, replicationFactor: 1 });
    const dispatcher = createKafkaDispatcher({
      kafka,
      topicPrefix: prefix,
      groupPrefix: prefix,
      sources: [{ consumer: 'reminder-due', topics: [topicName('run', prefix)], url: sinkUrl }],
      policy: fastRetries,
      log: silentLogger,
      metrics: createMetrics(),
      fromBeginning: true,
      // What a KafkaSource with OIDC sends: a token for the sink's audience, asked per attempt.
      token: async (consumer) => `token-for-${consumer}`,
    });
    const transport = createKafkaTransport({ kafka, topicPrefix: prefix, log: silentLogger });
    await dispatcher.start();
    try {
      statuses.push(503);
      const events = [1, 2, 3].map((n) =>
        buildEvent(
          {
            type: 'com.coffeebuddy.run.failed',
            subject: `00000000-0000-4000-8000-00000000000${n}`,
            partitionKey: 'C-ORDER',
            correlationId: `00000000-0000-4000-8000-00000000000${n}`,
            data: { runId: `00000000-0000-4000-8000-00000000000${n}`, slackChannelId: 'C-ORDER', reason: `r${n}` },
          },
          { id: `evt-${prefix}${n}`, source: 'slash-command', time: new Date() },
        ),
      );
      await transport.send(events);
      await expect.poll(() => requests.length, { timeout: 15_000 }).toBe(4);
      const first = requests[0]!;
      expect(first.headers).toMatchObject({
        'ce-specversion': '1.0',
        'ce-id': `evt-${prefix}1`,
        'ce-type': 'com.coffeebuddy.run.failed',
        'ce-source': 'slash-command',
        'ce-subject': '00000000-0000-4000-8000-000000000001',
        'ce-partitionkey': 'C-ORDER',
        'ce-knativekafkaoffset': '0',
        'content-type': 'application/json',
        authorization: 'Bearer token-for-reminder-due',
      });
      expect(JSON.parse(first.body)).toMatchObject({ reason: 'r1' });
      // The 503 was retried before the next record of the partition was sent.
      expect(requests.map((r) => r.headers['ce-id'])).toEqual([1, 1, 2, 3].map((n) => `evt-${prefix}${n}`));
    } finally {
      await transport.close();
      await dispatcher.stop();
    }
  });
});
