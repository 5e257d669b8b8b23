/**
 * Stand-ins for the Knative event sources the manifests declare, each doing what its YAML says:
 * a KafkaSource reads its topics in its consumer group and POSTs every record to its sink in
 * binary mode, with its delivery's retries, backoff and timeout, then parks what the sink would
 * not take on its dead-letter sink's topic; a PingSource posts its data on its schedule (a minute
 * made a second). Both send the OIDC token Knative would send: the sink's audience, and the
 * source's own identity as subject, from the rehearsal's issuer.
 */
import { randomUUID } from 'node:crypto';
import { CloudEvent } from 'cloudevents';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { sourceSubject } from '../../scripts/manifests/identities.ts';
import type { LocalIssuer } from '../../scripts/local/local-issuer.ts';
import type { CoffeeEvent } from '../../shared/events/cloud-event.ts';
import { createProducer } from '../../shared/events/kafka-client.ts';
import { deadLetterMessage, toDeliveredEvent } from '../../scripts/local/kafka-dispatcher.ts';
import { deliverWithRetry, type DeliveryOutcome } from '../../shared/events/delivery.ts';
import { isoDurationMs, type KafkaSourceSpec, type PingSourceSpec, type Sink } from './cluster.ts';

/** One POST a source made to its sink, as the sink answered it. */
export interface Delivery {
  source: string;
  sinkUrl: string;
  eventId: string;
  eventType: string;
  status: number | null;
  /** The `status` field of a function's JSON answer (`processed`, `duplicate`, `ignored`). */
  outcome: string | null;
}

export interface SourceContext {
  issuer: LocalIssuer;
  /** Where a sink's ref resolves (a KService name → its URL). */
  resolve(ref: NonNullable<Sink['ref']>): string;
  deliveries: Delivery[];
}

function sinkUrl(sink: Sink, context: SourceContext): string {
  if (!sink.ref) throw new Error('only sinks with a ref are rehearsed');
  return new URL(sink.uri ?? '/', context.resolve(sink.ref)).toString();
}

/** A fetch that records what the sink answered, for the rehearsal's checks. */
function recordingFetch(source: string, event: { id: string; type: string }, context: SourceContext): typeof fetch {
  return async (url, init) => {
    const response = await fetch(url, init);
    const body = await response
      .clone()
      .json()
      .catch(() => null);
    context.deliveries.push({
      source,
      sinkUrl: String(url),
      eventId: event.id,
      eventType: event.type,
      status: response.status,
      outcome: (body as { status?: string } | null)?.status ?? null,
    });
    return response;
  };
}

/** A token for `sink`'s audience with the source's identity as subject, fresh per attempt (Knative caches; so may we not). */
function tokenFor(source: { apiVersion: string; kind: string; name: string; namespace: string }, sink: Sink, context: SourceContext) {
  if (!sink.audience) throw new Error(`${source.kind} ${source.name}: its sink has no audience, so Knative would send no token`);
  const subject = sourceSubject(source.namespace, source);
  return () => context.issuer.mint({ audience: sink.audience!, subject });
}

export interface RunningSource {
  name: string;
  stop(): Promise<void>;
}

/** Start one KafkaSource; resolves once its consumer has joined its group. */
export async function startKafkaSource(
  spec: KafkaSourceSpec,
  options: { kafka: Kafka; topicPrefix: string; deadLetterTopic: string | null; context: SourceContext },
): Promise<RunningSource> {
  if (spec.delivery.backoffPolicy !== 'exponential') throw new Error(`${spec.name}: only exponential backoff is rehearsed`);
  if (spec.ordering !== 'ordered') throw new Error(`${spec.name}: only ordered delivery is rehearsed`);
  const url = sinkUrl(spec.sink, options.context);
  const token = tokenFor({ apiVersion: 'sources.knative.dev/v1', kind: 'KafkaSource', name: spec.name, namespace: spec.namespace }, spec.sink, options.context);
  const policy = { retries: spec.delivery.retry, backoffDelayMs: isoDurationMs(spec.delivery.backoffDelay), timeoutMs: isoDurationMs(spec.delivery.timeout) };
  let producer: Producer | null = null;
  if (options.deadLetterTopic) {
    producer = createProducer(options.kafka);
    await producer.connect();
  }
  const consumer: Consumer = options.kafka.consumer({
    groupId: `${options.topicPrefix}${spec.consumerGroup}`,
    allowAutoTopicCreation: false,
    sessionTimeout: 6_000,
    heartbeatInterval: 1_000,
    maxWaitTimeInMs: 500,
  });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.connect();
  await consumer.subscribe({ topics: spec.topics.map((topic) => `${options.topicPrefix}${topic}`), fromBeginning: spec.initialOffset === 'earliest' });
  await consumer.run({
    // `ordering: ordered`: one record in flight per partition; the offset commits after the sink answered or the record was parked.
    partitionsConsumedConcurrently: 1,
    eachMessage: async ({ topic, partition, message }) => {
      const event = toDeliveredEvent(topic, partition, message);
      const outcome: DeliveryOutcome = await deliverWithRetry({
        event: event as CoffeeEvent,
        url,
        policy,
        token,
        fetch: recordingFetch(spec.name, event, options.context),
      });
      if (outcome.kind === 'delivered') return;
      if (!producer || !options.deadLetterTopic) return;
      await producer.send({
        topic: options.deadLetterTopic,
        acks: -1,
        messages: [deadLetterMessage({ event, outcome, sinkUrl: url, key: message.key })],
      });
    },
  });
  await joined;
  return {
    name: spec.name,
    async stop() {
      await consumer.disconnect().catch(() => undefined);
      await producer?.disconnect().catch(() => undefined);
    },
  };
}

/** How often a cron schedule fires, if it is every N minutes (`* * * * *`, `*\/5 * * * *`); null for anything rarer. */
export function everyMinutes(schedule: string): number | null {
  const [minute, ...rest] = schedule.trim().split(/\s+/);
  if (rest.join(' ') !== '* * * *') return null;
  if (minute === '*') return 1;
  const step = /^\*\/(\d+)$/.exec(minute ?? '');
  return step ? Number(step[1]) : null;
}

export interface RunningPingSource extends RunningSource {
  /** Post one tick now (a daily schedule is only ever fired this way in the rehearsal). */
  fire(): Promise<DeliveryOutcome>;
}

/** Start one PingSource, its minutes made `msPerMinute` long. */
export function startPingSource(spec: PingSourceSpec, options: { context: SourceContext; msPerMinute: number }): RunningPingSource {
  const url = sinkUrl(spec.sink, options.context);
  const token = tokenFor({ apiVersion: 'sources.knative.dev/v1', kind: 'PingSource', name: spec.name, namespace: spec.namespace }, spec.sink, options.context);
  const fire = () => {
    const event = new CloudEvent({
      id: randomUUID(),
      type: 'dev.knative.sources.ping',
      source: `/apis/v1/namespaces/${spec.namespace}/pingsources/${spec.name}`,
      datacontenttype: spec.contentType,
      data: spec.contentType === 'application/json' ? JSON.parse(spec.data) : spec.data,
    });
    return deliverWithRetry({
      event: event as unknown as CoffeeEvent,
      url,
      policy: { retries: 3, backoffDelayMs: 200, timeoutMs: 10_000 },
      token,
      fetch: recordingFetch(spec.name, event, options.context),
    });
  };
  const minutes = everyMinutes(spec.schedule);
  let inFlight: Promise<unknown> = Promise.resolve();
  // One tick at a time, as a late tick is not overtaken by the next.
  const timer = minutes === null ? null : setInterval(() => (inFlight = inFlight.then(fire)), minutes * options.msPerMinute);
  return {
    name: spec.name,
    fire,
    async stop() {
      if (timer) clearInterval(timer);
      await inFlight;
    },
  };
}
