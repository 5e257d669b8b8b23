import type { Logger } from '../logging.ts';
import type { Metrics } from '../metrics.ts';
import type { CoffeeEvent } from './cloud-event.ts';
import { toBinaryHttp } from './http-binding.ts';

/**
 * KafkaSource's delivery contract, shared by the in-process bus and the Kafka dispatcher:
 * 2xx is done; 5xx, 404, 408, 409, 429 and network errors or timeouts are retried with exponential
 * backoff; any other status ≥ 300 goes straight to the dead-letter sink.
 * (knative eventing-kafka-broker, dispatcher `WebClientCloudEventSender`.)
 */
export type DeliveryOutcome = { kind: 'delivered'; attempts: number } | { kind: 'dead_letter'; attempts: number; statusCode: number | null; error: string };

/** True when KafkaSource would retry a sink that answered `status`. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 404 || status === 408 || status === 409 || status === 429;
}

export interface RetryPolicy {
  /** Retries after the first attempt (KafkaSource `delivery.retry`). */
  retries: number;
  /** First backoff (`delivery.backoffDelay`); doubles each time (`backoffPolicy: exponential`). */
  backoffDelayMs: number;
  /** Per-attempt timeout (`delivery.timeout`). */
  timeoutMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { retries: 5, backoffDelayMs: 200, timeoutMs: 10_000 };

/**
 * Delivery of the dead-letter topic to the function that parks dead letters. Its KafkaSource has no
 * dead-letter sink: one on the dead-letter topic would feed what it cannot park back into the
 * topic it reads, and any other would be a second place to look. Without one, what it gives up on
 * is dropped (it stays on the topic until retention), so it retries long enough to ride out a
 * database outage: 15 retries from 1 s, doubling, about nine hours in all. The parking route
 * refuses nothing but a bad token, so only that or an outage ever makes it retry.
 */
export const deadLetterRetryPolicy: RetryPolicy = { retries: 15, backoffDelayMs: 1_000, timeoutMs: 10_000 };

/**
 * Where a sender gets the bearer token for a consumer's sink, as a Knative source requests one for
 * the sink's audience (Knative Eventing OIDC sender identity). Asked before every attempt, so a
 * retry after a long backoff carries a fresh token; the provider caches.
 */
export type SinkTokenProvider = (consumer: string) => Promise<string>;

/** POST one event to a sink in HTTP binary mode until it is done or must be dead-lettered. */
export async function deliverWithRetry(args: {
  event: CoffeeEvent;
  url: string;
  policy: RetryPolicy;
  /** The bearer token to send (`Authorization: Bearer …`); none when absent. */
  token?: () => Promise<string>;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  onRetry?: (attempt: number, reason: string) => void;
}): Promise<DeliveryOutcome> {
  const doFetch = args.fetch ?? fetch;
  const sleep = args.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const { headers, body } = toBinaryHttp(args.event);
  let lastError = '';
  let lastStatus: number | null = null;
  for (let attempt = 1; attempt <= args.policy.retries + 1; attempt++) {
    try {
      // A token that cannot be had is like a sink that cannot be reached: retried.
      const authorization: Record<string, string> = args.token ? { authorization: `Bearer ${await args.token()}` } : {};
      const response = await doFetch(args.url, {
        method: 'POST',
        headers: { ...headers, ...authorization },
        body,
        signal: AbortSignal.timeout(args.policy.timeoutMs),
      });
      lastStatus = response.status;
      const text = await response.text().catch(() => '');
      if (response.status >= 200 && response.status < 300) return { kind: 'delivered', attempts: attempt };
      lastError = `sink answered ${response.status}${text ? `: ${text.slice(0, 300)}` : ''}`;
      if (!isRetryableStatus(response.status)) {
        return { kind: 'dead_letter', attempts: attempt, statusCode: response.status, error: lastError };
      }
    } catch (error) {
      lastStatus = null;
      lastError = `sink unreachable: ${(error as Error).message}`;
    }
    if (attempt <= args.policy.retries) {
      args.onRetry?.(attempt, lastError);
      await sleep(args.policy.backoffDelayMs * 2 ** (attempt - 1));
    }
  }
  return { kind: 'dead_letter', attempts: args.policy.retries + 1, statusCode: lastStatus, error: lastError };
}

/**
 * Deliver one event to a consumer's sink under the contract, counting and logging every retry,
 * success and dead letter; the caller parks a dead letter where its transport keeps them.
 */
export async function deliverToConsumer(args: {
  consumer: string;
  url: string;
  event: CoffeeEvent;
  policy: RetryPolicy;
  log: Logger;
  metrics: Metrics;
  /** Tokens for the consumer's sink; without one the POST carries no `Authorization`. */
  token?: SinkTokenProvider;
  fetch?: typeof fetch;
}): Promise<DeliveryOutcome> {
  const { consumer, metrics, log, token } = args;
  const outcome = await deliverWithRetry({
    event: args.event,
    url: args.url,
    policy: args.policy,
    ...(token ? { token: () => token(consumer) } : {}),
    ...(args.fetch ? { fetch: args.fetch } : {}),
    onRetry: (attempt, reason) => {
      metrics.eventsDeliveredTotal.inc({ consumer, outcome: 'retry' });
      log.warn('event delivery will be retried', { attempt, reason });
    },
  });
  if (outcome.kind === 'delivered') {
    metrics.eventsDeliveredTotal.inc({ consumer, outcome: 'ok' });
  } else {
    metrics.eventsDeliveredTotal.inc({ consumer, outcome: 'dead_letter' });
    metrics.eventsDeadLetteredTotal.inc({ consumer });
    log.error('event dead-lettered', { statusCode: outcome.statusCode, error: outcome.error, attempts: outcome.attempts });
  }
  return outcome;
}
