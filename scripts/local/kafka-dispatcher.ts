import { CloudEvent, Kafka as KafkaBinding, type CloudEventV1 } from 'cloudevents';
import type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { createProducer, headerRecord } from '../../shared/events/kafka-client.ts';
import type { Logger } from '../../shared/logging.ts';
import type { Metrics } from '../../shared/metrics.ts';
import type { CoffeeEvent } from '../../shared/events/cloud-event.ts';
import { defaultRetryPolicy, deliverToConsumer, type DeliveryOutcome, type RetryPolicy, type SinkTokenProvider } from '../../shared/events/delivery.ts';
import { topicName } from '../../shared/events/topics.ts';

/** One KafkaSource: a consumer group reading topics and POSTing every record to a sink. */
export interface DispatcherSource {
  /** Names the consumer group (prefixed), logs and metrics. */
  consumer: string;
  topics: readonly string[];
  url: string;
  /** Whose audience the sink's token is for, when not `consumer`'s (a function's second source). */
  tokenFor?: string;
  /**
   * Where an undeliverable record goes: the dead-letter topic (default), or nowhere, as for a
   * KafkaSource without a dead-letter sink (logged and dropped; it stays on its topic).
   */
  giveUpTo?: 'dead-letter-topic' | 'nothing';
}

export interface KafkaDispatcher {
  /** Resolves once every consumer has joined its group and been assigned partitions. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A KafkaSource stand-in for `npm start` with `KAFKA_BROKERS` and for the tests (production uses
 * real KafkaSources). It follows knative eventing-kafka-broker's dispatcher: every record is
 * delivered as a binary-mode CloudEvent (records written as binary CloudEvents keep their
 * attributes; others are wrapped as `dev.knative.kafka.event` with id `partition:P/offset:O`),
 * with `knativekafkapartition` / `knativekafkaoffset` and the key as `partitionkey`; ordered per
 * partition; retried per the delivery contract; undeliverable records go to the dead-letter topic
 * with the error attached; offsets are committed only after the sink answered.
 */
export function createKafkaDispatcher(options: {
  kafka: Kafka;
  sources: readonly DispatcherSource[];
  topicPrefix?: string;
  groupPrefix?: string;
  policy?: RetryPolicy;
  log: Logger;
  metrics: Metrics;
  fromBeginning?: boolean;
  /** Bearer tokens for the sinks, as a KafkaSource with OIDC sends them. */
  token?: SinkTokenProvider;
}): KafkaDispatcher {
  const policy = options.policy ?? defaultRetryPolicy;
  const consumers: Consumer[] = [];
  let dlqProducer: Producer | null = null;
  const deadLetterTopic = topicName('deadLetter', options.topicPrefix);

  async function handle(source: DispatcherSource, topic: string, partition: number, message: KafkaMessage): Promise<void> {
    const event = toDeliveredEvent(topic, partition, message);
    const log = options.log.child({ consumer: source.consumer, eventId: event.id, eventType: event.type, partition, offset: message.offset });
    const token = options.token;
    const outcome = await deliverToConsumer({
      consumer: source.consumer,
      url: source.url,
      event: event as CoffeeEvent,
      policy,
      log,
      metrics: options.metrics,
      ...(token ? { token: () => token(source.tokenFor ?? source.consumer) } : {}),
    });
    if (outcome.kind === 'delivered') return;
    if (source.giveUpTo === 'nothing') {
      log.error('record dropped after the retries; it stays on its topic', { topic });
      return;
    }
    await dlqProducer!.send({
      topic: deadLetterTopic,
      acks: -1,
      messages: [deadLetterMessage({ event, outcome, sinkUrl: source.url, key: message.key })],
    });
  }

  return {
    async start() {
      dlqProducer = createProducer(options.kafka);
      await dlqProducer.connect();
      const joined: Promise<void>[] = [];
      for (const source of options.sources) {
        const consumer = options.kafka.consumer({
          groupId: `${options.groupPrefix ?? 'coffeebuddy-'}${source.consumer}`,
          allowAutoTopicCreation: false,
          // A local run killed without leaving its groups (kill -9, a crash) is forgotten after
          // this; kafkajs's 30 s default stalled the next start for a minute. 6 s is the broker's
          // minimum (group.min.session.timeout.ms); heartbeats every second keep a live one in.
          sessionTimeout: 6_000,
          heartbeatInterval: 1_000,
          rebalanceTimeout: 10_000,
          // A fetch waits at most this for records: it bounds how long stopping takes (kafkajs's
          // 5 s default held every shutdown for 5 s).
          maxWaitTimeInMs: 1_000,
        });
        consumers.push(consumer);
        joined.push(
          new Promise<void>((resolve) => {
            consumer.on(consumer.events.GROUP_JOIN, () => resolve());
          }),
        );
        await consumer.connect();
        await consumer.subscribe({ topics: [...source.topics], fromBeginning: options.fromBeginning ?? false });
        await consumer.run({
          // One record in flight per partition (KafkaSource `ordered`); the offset is committed
          // only after eachMessage resolves, i.e. after the sink answered or the record was parked.
          partitionsConsumedConcurrently: 1,
          eachMessage: ({ topic, partition, message }) => handle(source, topic, partition, message),
        });
      }
      await Promise.all(joined);
    },
    async stop() {
      await Promise.all(consumers.map((consumer) => consumer.disconnect().catch(() => undefined)));
      consumers.length = 0;
      await dlqProducer?.disconnect().catch(() => undefined);
      dlqProducer = null;
    },
  };
}

/** A Kafka record as a KafkaSource delivers it to its sink: a binary CloudEvent as written, or wrapped. */
export function toDeliveredEvent(topic: string, partition: number, message: KafkaMessage): CloudEventV1<unknown> {
  const headers = headerRecord(message.headers ?? {});
  const key = message.key?.toString('utf8');
  const extensions = {
    knativekafkapartition: String(partition),
    knativekafkaoffset: String(message.offset),
    ...(key ? { key, partitionkey: key } : {}),
  };
  const value = message.value?.toString('utf8') ?? '';
  const kafkaMessage = { headers, key: key ?? '', value, body: value, timestamp: message.timestamp };
  if (KafkaBinding.isEvent(kafkaMessage)) {
    const decoded = KafkaBinding.toEvent(kafkaMessage) as CloudEventV1<unknown>;
    const data = typeof decoded.data === 'string' ? tryJson(decoded.data) : decoded.data;
    return new CloudEvent({ ...decoded, data, ...extensions }, false);
  }
  return new CloudEvent(
    {
      id: `partition:${partition}/offset:${message.offset}`,
      type: 'dev.knative.kafka.event',
      source: `/apis/v1/namespaces/local/kafkasources/coffeebuddy#${topic}`,
      subject: `partition:${partition}#${message.offset}`,
      data: message.value?.toString('utf8') ?? null,
      ...extensions,
    },
    false,
  );
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The record a KafkaSource's dead-letter sink (a KafkaSink in binary content mode) writes for an
 * event its sink would not take: the event with Knative's failure extensions (`knativeerrorcode`,
 * `knativeerrordest`, `knativeerrordata`, the sink's answer in base64) and the original key.
 */
export function deadLetterMessage(args: {
  event: CloudEventV1<unknown>;
  outcome: Extract<DeliveryOutcome, { kind: 'dead_letter' }>;
  sinkUrl: string;
  key: Buffer | string | null;
}): { key: Buffer | string | null; value: string; headers: Record<string, string> } {
  const letter = new CloudEvent(
    {
      ...args.event,
      knativeerrorcode: String(args.outcome.statusCode ?? 0),
      knativeerrordest: args.sinkUrl,
      knativeerrordata: Buffer.from(args.outcome.error).toString('base64'),
    },
    false,
  );
  const record = KafkaBinding.binary(letter);
  return {
    key: args.key,
    value: typeof record.value === 'string' ? record.value : JSON.stringify(record.value ?? null),
    headers: headerRecord(record.headers),
  };
}
