import type { Logger } from '../../shared/logging.ts';
import type { Metrics } from '../../shared/metrics.ts';
import type { CoffeeEvent } from '../../shared/events/cloud-event.ts';
import { defaultRetryPolicy, deliverToConsumer, type RetryPolicy, type SinkTokenProvider } from '../../shared/events/delivery.ts';
import type { EventTransport } from '../../shared/events/transport.ts';
import type { DeadLetter } from '../../shared/events/undelivered.ts';

/** A consuming function as KafkaSource sees it: a consumer group, the types it wants, a sink URL. */
export interface Subscription {
  consumer: string;
  types: readonly string[];
  url: string;
}

export interface InProcessBus extends EventTransport {
  /**
   * Resolves when every accepted event has been delivered or dead-lettered: true when there were
   * deliveries to wait for, false when it was idle already.
   */
  idle(): Promise<boolean>;
}

/**
 * The embedded event bus for `npm start`: the same contract as KafkaSource (binary-mode HTTP to each
 * consumer's sink, ordered per consumer and partition key, retries, dead letters), without a broker.
 * Events live in memory once accepted; the outbox row is already marked published by then, so a
 * crash of the dev process can lose in-flight deliveries. Production uses Kafka.
 */
export function createInProcessBus(options: {
  subscriptions: () => readonly Subscription[];
  deadLetter: (letter: DeadLetter) => Promise<void>;
  log: Logger;
  metrics: Metrics;
  policy?: RetryPolicy;
  /** Bearer tokens for the sinks, as a KafkaSource with OIDC sends them. */
  token?: SinkTokenProvider;
  fetch?: typeof fetch;
}): InProcessBus {
  const policy = options.policy ?? defaultRetryPolicy;
  // One promise chain per (consumer, partition key): KafkaSource's `ordered` delivery.
  const lanes = new Map<string, Promise<void>>();
  let closed = false;

  async function deliver(subscription: Subscription, event: CoffeeEvent): Promise<void> {
    const outcome = await deliverToConsumer({
      consumer: subscription.consumer,
      url: subscription.url,
      event,
      policy,
      log: options.log.child({ consumer: subscription.consumer, eventId: event.id, eventType: event.type }),
      metrics: options.metrics,
      ...(options.token ? { token: options.token } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    if (outcome.kind === 'dead_letter') await options.deadLetter({ consumer: subscription.consumer, event, ...outcome });
  }

  return {
    async send(events) {
      if (closed) throw new Error('event bus is closed');
      for (const event of events) {
        for (const subscription of options.subscriptions()) {
          if (!subscription.types.includes(event.type)) continue;
          const lane = `${subscription.consumer}\u0000${String(event.partitionkey ?? '')}`;
          const previous = lanes.get(lane) ?? Promise.resolve();
          const next = previous
            .then(() => deliver(subscription, event))
            .catch((error: unknown) => options.log.error('dead-letter store failed', { error, eventId: event.id }));
          lanes.set(lane, next);
          void next.then(() => {
            if (lanes.get(lane) === next) lanes.delete(lane);
          });
        }
      }
    },
    async ready() {
      return !closed;
    },
    async idle() {
      const busy = lanes.size > 0;
      while (lanes.size > 0) await Promise.all(lanes.values());
      return busy;
    },
    async close() {
      closed = true;
      await this.idle();
    },
  };
}
