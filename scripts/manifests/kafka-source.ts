/**
 * One KafkaSource (sources.knative.dev/v1) per consuming function, the KafkaSink
 * (eventing.knative.dev/v1alpha1) that takes what they give up on, and the KafkaSource that brings
 * the dead-letter topic to the function that parks dead letters. Topics come from the event types
 * the function consumes; delivery mirrors the contract the code implements and tests
 * (shared/events/delivery.ts), so production retries exactly as the local bus does.
 */
import { deadLetterRetryPolicy, defaultRetryPolicy, type RetryPolicy } from '../../shared/events/delivery.ts';
import { topicDeclarations, topicName } from '../../shared/events/topics.ts';
import { deadLetterPath, deadLetterSourceName, eventPath, type AnyFunction } from '../../shared/function.ts';
import type { Destination, Metadata } from './knative-types.ts';
import { audienceFor, consumerGroupFor, functionLabels, partOf, topicsFor } from './names.ts';
import type { KafkaOptions, ManifestOptions } from './options.ts';

/** The KafkaSource fields used here (the v1 CRD's schema is the authority; the test checks against it). */
export interface KafkaSource {
  apiVersion: 'sources.knative.dev/v1';
  kind: 'KafkaSource';
  metadata: Metadata;
  spec: {
    bootstrapServers: string[];
    topics: string[];
    consumerGroup: string;
    initialOffset: 'earliest' | 'latest';
    ordering: 'ordered' | 'unordered';
    net?: KafkaNet;
    delivery: {
      retry: number;
      backoffPolicy: 'exponential' | 'linear';
      backoffDelay: string;
      timeout: string;
      deadLetterSink?: Destination;
    };
    sink: Destination;
  };
}

type SecretKeyRef = { secretKeyRef: { name: string; key: string } };
interface KafkaNet {
  sasl?: { enable: true; user: SecretKeyRef; password: SecretKeyRef; type: SecretKeyRef };
  tls?: { enable: true; caCert: SecretKeyRef };
}

/** eventing.knative.dev/v1alpha1 KafkaSink, as generated. */
export interface KafkaSink {
  apiVersion: 'eventing.knative.dev/v1alpha1';
  kind: 'KafkaSink';
  metadata: Metadata;
  spec: {
    topic: string;
    bootstrapServers: string[];
    numPartitions: number;
    replicationFactor: number;
    contentMode: 'binary' | 'structured';
    auth?: { secret: { ref: { name: string } } };
  };
}

/** Name of the dead-letter KafkaSink. */
export const deadLetterSinkName = 'coffeebuddy-dead-letter';

/** Milliseconds as an ISO-8601 duration, the form KafkaSource's `backoffDelay` and `timeout` take (200 → `PT0.2S`). */
export function isoDuration(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0) throw new Error(`not a duration in ms: ${ms}`);
  return `PT${ms / 1000}S`;
}

/**
 * `delivery` from the code's retry policy, giving up to the dead-letter KafkaSink, or to nothing
 * (the dead-letter topic's own source: see `deadLetterRetryPolicy`). When `delivery` is set
 * KafkaSource defaults nothing, so every field is explicit (DESIGN "Platform facts"). Backoff
 * doubles like `deliverWithRetry`.
 */
export function deliveryFor(policy: RetryPolicy, giveUpTo: 'dead-letter-sink' | 'nothing' = 'dead-letter-sink'): KafkaSource['spec']['delivery'] {
  return {
    retry: policy.retries,
    backoffPolicy: 'exponential',
    backoffDelay: isoDuration(policy.backoffDelayMs),
    timeout: isoDuration(policy.timeoutMs),
    ...(giveUpTo === 'dead-letter-sink'
      ? { deadLetterSink: { ref: { apiVersion: 'eventing.knative.dev/v1alpha1', kind: 'KafkaSink', name: deadLetterSinkName } } }
      : {}),
  };
}

/**
 * SASL and TLS as secretKeyRefs into the one Kafka Secret, whose keys follow the format the
 * Knative Kafka docs give for KafkaSink (`user`, `password`, `sasl.mechanism`, `ca.crt`), so one
 * Secret serves the sources and the sink.
 */
function net(kafka: KafkaOptions): KafkaNet | undefined {
  const ref = (key: string): SecretKeyRef => ({ secretKeyRef: { name: kafka.secretName, key } });
  const result: KafkaNet = {
    ...(kafka.sasl ? { sasl: { enable: true, user: ref('user'), password: ref('password'), type: ref('sasl.mechanism') } } : {}),
    ...(kafka.tls ? { tls: { enable: true, caCert: ref('ca.crt') } } : {}),
  };
  return Object.keys(result).length > 0 ? result : undefined;
}

/** The function's KafkaSource, or null when it consumes nothing. */
export function kafkaSource(fn: AnyFunction, options: ManifestOptions): KafkaSource | null {
  const topics = topicsFor(fn, options.kafka.topicPrefix);
  if (topics.length === 0) return null;
  const security = net(options.kafka);
  return {
    apiVersion: 'sources.knative.dev/v1',
    kind: 'KafkaSource',
    metadata: { name: fn.name, namespace: options.namespace, labels: { ...functionLabels(fn), 'app.kubernetes.io/component': 'event-source' } },
    spec: {
      bootstrapServers: options.kafka.bootstrapServers,
      topics,
      consumerGroup: consumerGroupFor(fn),
      // A new consumer group starts at the oldest retained record, not at "now" (the default),
      // so events published before the source first became ready are not skipped.
      initialOffset: 'earliest',
      // One event in flight per partition: records are keyed by channel, so a channel's events
      // arrive in the order they happened.
      ordering: 'ordered',
      ...(security ? { net: security } : {}),
      delivery: deliveryFor(defaultRetryPolicy),
      sink: {
        ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: fn.name },
        uri: eventPath(fn.name),
        // Knative requests an OIDC token for this audience; the function accepts only it.
        audience: audienceFor(fn),
      },
    },
  };
}

/**
 * The KafkaSource of the dead-letter topic, delivering every dead letter to `POST
 * /events/dead-letters` of the function that parks them (`recordsDeadLetters`), or null for the
 * others. It has no dead-letter sink of its own, so it cannot loop; it retries long instead.
 */
export function deadLetterSource(fn: AnyFunction, options: ManifestOptions): KafkaSource | null {
  if (!fn.recordsDeadLetters) return null;
  const security = net(options.kafka);
  const name = deadLetterSourceName(fn);
  return {
    apiVersion: 'sources.knative.dev/v1',
    kind: 'KafkaSource',
    metadata: { name, namespace: options.namespace, labels: { ...functionLabels(fn), 'app.kubernetes.io/component': 'dead-letter-source' } },
    spec: {
      bootstrapServers: options.kafka.bootstrapServers,
      topics: [topicName('deadLetter', options.kafka.topicPrefix)],
      consumerGroup: `coffeebuddy-${name}`,
      // Dead letters written before the source first became ready are parked too.
      initialOffset: 'earliest',
      // One partition, one dead letter at a time: while the database is away they wait in order
      // instead of retrying all at once.
      ordering: 'ordered',
      ...(security ? { net: security } : {}),
      delivery: deliveryFor(deadLetterRetryPolicy, 'nothing'),
      sink: {
        ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: fn.name },
        uri: deadLetterPath,
        // The function's own audience, as for its events: the route accepts only it.
        audience: audienceFor(fn),
      },
    },
  };
}

/** The KafkaSink that dead-lettered events are written to (the dead-letter topic of topics.ts). */
export function deadLetterSink(options: ManifestOptions): KafkaSink {
  const declaration = topicDeclarations.find((topic) => topic.key === 'deadLetter')!;
  const { kafka } = options;
  return {
    apiVersion: 'eventing.knative.dev/v1alpha1',
    kind: 'KafkaSink',
    metadata: { name: deadLetterSinkName, namespace: options.namespace, labels: { ...partOf, 'app.kubernetes.io/component': 'dead-letter' } },
    spec: {
      topic: topicName('deadLetter', kafka.topicPrefix),
      bootstrapServers: kafka.bootstrapServers,
      // Used only if the sink has to create the topic (the setup job creates it first).
      numPartitions: declaration.partitions,
      replicationFactor: kafka.replicationFactor,
      // Binary: the event's attributes stay Kafka headers, as in the other topics.
      contentMode: 'binary',
      ...(kafka.sasl || kafka.tls ? { auth: { secret: { ref: { name: kafka.secretName } } } } : {}),
    },
  };
}
