import { Kafka as KafkaBinding } from 'cloudevents';
import type { Kafka, Producer } from 'kafkajs';
import { createProducer, headerRecord } from './kafka-client.ts';
import type { Logger } from '../logging.ts';
import type { CoffeeEvent } from './cloud-event.ts';
import type { EventType } from './catalog.ts';
import { topicKeyFor, topicName } from './topics.ts';
import type { EventTransport } from './transport.ts';

/**
 * Publishes events as binary-mode CloudEvent records (`ce_*` headers, JSON value; CloudEvents
 * Kafka protocol binding §3.2), keyed by the event's partition key (the channel id) so one
 * channel's events stay in order. One idempotent producer per process, `acks: -1`, connected on
 * first use and closed on shutdown; `send` resolves only when every record is acknowledged.
 */
export function createKafkaTransport(options: { kafka: Kafka; topicPrefix?: string; log: Logger }): EventTransport {
  let producer: Producer | null = null;
  let connecting: Promise<Producer> | null = null;
  let connected = false;

  function connect(): Promise<Producer> {
    if (connected && producer) return Promise.resolve(producer);
    connecting ??= (async () => {
      const next = createProducer(options.kafka);
      next.on(next.events.DISCONNECT, () => {
        connected = false;
      });
      try {
        await next.connect();
      } catch (error) {
        await next.disconnect().catch(() => undefined);
        throw error;
      }
      producer = next;
      connected = true;
      return next;
    })().finally(() => {
      connecting = null;
    });
    return connecting;
  }

  return {
    async send(events: CoffeeEvent[]) {
      if (events.length === 0) return;
      const byTopic = new Map<string, { key: string | null; value: string; headers: Record<string, string> }[]>();
      for (const event of events) {
        const topic = topicName(topicKeyFor(event.type as EventType), options.topicPrefix);
        const message = KafkaBinding.binary(event);
        const headers = headerRecord(message.headers);
        // kafkajs needs the value as a string or Buffer; the binding leaves JSON data as an object.
        const value = typeof message.value === 'string' ? message.value : JSON.stringify(message.value);
        const key = message.key === undefined || message.key === null ? null : String(message.key);
        const list = byTopic.get(topic) ?? [];
        list.push({ key, value, headers });
        byTopic.set(topic, list);
      }
      const active = await connect();
      await active.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    },
    async ready() {
      // A probe must answer quickly: a broker still being dialled counts as not ready yet.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), 1000);
      });
      const attempt = connect().then(
        () => true,
        () => false,
      );
      const result = await Promise.race([attempt, timeout]);
      clearTimeout(timer);
      return result;
    },
    async close() {
      const current = producer;
      producer = null;
      connected = false;
      await current?.disconnect().catch((error: unknown) => options.log.warn('kafka producer close failed', { error }));
    },
  };
}
