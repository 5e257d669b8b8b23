import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { startTestStack, type TestStack } from '../support/harness.ts';
import { restartBroker, startBroker, stopBroker, type Broker } from '../support/kafka-broker.ts';
import { createProbeConsumer } from '../support/probe-consumer.ts';
import { slashCommandBody } from '../support/slack-requests.ts';

describe('a Kafka outage delays events but loses none', () => {
  // This test stops its broker, so it has one of its own.
  let broker: Broker;
  let stack: TestStack;
  const probe = createProbeConsumer('reminder-due');

  beforeAll(async () => {
    broker = await startBroker();
    stack = await startTestStack({
      functions: [...registry.filter((fn) => fn.name !== 'reminder-due'), probe.descriptor],
      kafka: { brokers: broker.brokers, topicPrefix: 'outage.' },
      busPolicy: { retries: 3, backoffDelayMs: 50, timeoutMs: 2000 },
      now: new Date('2026-11-23T08:00:00Z'),
      // This test drives the sweeps itself.
      sweepMs: 0,
    });
  }, 240_000);
  afterAll(async () => {
    await stack?.close();
    if (broker) await stopBroker(broker);
  });

  it('starts the run while the broker is down and delivers its event exactly once when it is back', async () => {
    await stopBroker(broker, { keep: true });

    const response = await stack.postSigned('/slack/commands', slashCommandBody({ trigger: stack.slack, text: '10:30 Lobby', channelId: 'COUT1' }));
    expect(response.status).toBe(200);
    expect(stack.slack.callsTo('chat.postMessage')).toHaveLength(1);
    const [row] = await stack.db.sql<{ eventId: string; publishedAt: Date | null }[]>`
      select event_id, published_at from outbox where type = 'com.coffeebuddy.run.created'`;
    expect(row!.publishedAt).toBeNull();
    // Still ready: Slack's requests keep being served while events wait in the outbox.
    const ready = await fetch(`${stack.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ checks: { database: true, events: false } });

    await stack.runtime.relay!.flush();
    const [stillPending] = await stack.db.sql<{ publishedAt: Date | null; attempts: number }[]>`
      select published_at, attempts from outbox where event_id = ${row!.eventId}`;
    expect(stillPending!.publishedAt).toBeNull();
    expect(stillPending!.attempts).toBeGreaterThanOrEqual(1);

    await restartBroker(broker);
    // What production's PingSource (and npm start's timer) does: sweep until the row goes out.
    await expect
      .poll(
        async () => {
          await stack.runtime.relay!.flush();
          return probe.effects.length;
        },
        { timeout: 90_000, interval: 1000 },
      )
      .toBe(1);
    expect(probe.effects).toEqual([row!.eventId]);

    // More sweeps publish nothing again, so nothing more can reach the consumer.
    expect(await stack.runtime.relay!.flush()).toBe(0);
    expect(probe.effects).toEqual([row!.eventId]);
    expect(await stack.db.sql`select 1 from processed_events where event_id = ${row!.eventId}`).toHaveLength(1);
  }, 180_000);
});
