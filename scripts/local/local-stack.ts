import type { Kafka } from 'kafkajs';
import type { Pool } from '../../shared/db/client.ts';
import type { EventType } from '../../shared/events/catalog.ts';
import { createKafkaDispatcher } from './kafka-dispatcher.ts';
import { createKafkaTransport } from '../../shared/events/kafka-transport.ts';
import { topicKeyFor, topicName } from '../../shared/events/topics.ts';
import { storeDeadLetter } from '../../shared/events/dead-letters.ts';
import { createInProcessBus, type InProcessBus } from './in-process-bus.ts';
import type { RetryPolicy } from '../../shared/events/delivery.ts';
import { deadLetterPath, deadLetterSourceName, eventPath, type AnyFunction } from '../../shared/function.ts';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Logger } from '../../shared/logging.ts';
import type { Metrics } from '../../shared/metrics.ts';
import { createRuntime, type BaseConfig, type Runtime } from '../../shared/runtime.ts';
import type { SlackPort } from '../../shared/slack/port.ts';
import type { EffectPolicy } from '../../shared/effects/worker.ts';
import { audienceFor } from '../../shared/auth/event-auth.ts';
import type { TokenSource } from './local-issuer.ts';

export interface LocalStack {
  url: string;
  port: number;
  runtime: Runtime;
  /** The in-process bus, when no other transport was given. */
  bus: InProcessBus | null;
  /**
   * Settle what the stack has to do now, without waiting for a timer: the outbox flushed, the
   * in-process bus idle, due Slack effects attempted, round after round until one finds nothing.
   * Retries not yet due stay scheduled (move the app clock to make them due). On Kafka, events
   * still in the broker are not waited for.
   */
  drain(): Promise<void>;
  close(): Promise<void>;
}

const maxDrainRounds = 100;

/**
 * A raw handler for local-only paths (the sandbox page): it answers on `res` itself (so it can
 * stream) and resolves true, or leaves the request alone and resolves false.
 */
export type LocalHandler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

/**
 * Put `local` in front of the functions' own request listener on `server`: what it leaves alone
 * goes on to the functions' routes. Its requests are not drained on close: a stream it holds open
 * is cut when the server stops.
 */
function mountAhead(server: Server, local: LocalHandler, deps: { log: Logger; metrics: Metrics }): void {
  const serve = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    Promise.resolve()
      .then(() => local(req, res))
      .then(
        (handled) => {
          if (!handled) for (const listener of serve) listener(req, res);
        },
        (error: unknown) => {
          deps.metrics.errorsTotal.inc({ type: 'http_unhandled' });
          deps.log.error('unhandled error in a local handler', { path: req.url, error });
          if (res.headersSent) res.destroy();
          else
            res
              .writeHead(500, { 'content-type': 'application/json' })
              .end(JSON.stringify({ error: 'internal', message: 'Something went wrong. Please try again.' }));
        },
      );
  });
}

/**
 * Every given function in one process behind one port, with Kong's Slack routes and a CloudEvents
 * endpoint per consumer. Events go through Kafka when `kafka` is given (with a KafkaSource-like
 * dispatcher delivering them back to this server, and the dead-letter topic to the function that
 * parks dead letters), else through the in-process bus, which delivers the same way without a
 * broker and parks dead letters itself.
 */
export async function startLocalStack(options: {
  functions: readonly AnyFunction[];
  config: BaseConfig;
  sql: Pool;
  slack: SlackPort;
  effectSlack: SlackPort;
  log: Logger;
  metrics: Metrics;
  now: () => Date;
  host?: string;
  /** Publish to Kafka and dispatch from it like KafkaSources, instead of the in-process bus. */
  kafka?: { kafka: Kafka; topicPrefix: string; groupPrefix?: string };
  busPolicy?: RetryPolicy;
  sweepMs?: number;
  effectPolicy?: EffectPolicy;
  /**
   * The issuer whose tokens the bus or dispatcher sends to each function's event endpoint, for its
   * audience (scripts/local/local-issuer.ts, the one `AUTH_OIDC_ISSUER` names). None when auth is disabled.
   */
  tokens?: TokenSource;
  /** Serves paths the functions do not, on the same port (the sandbox page of `npm start`). */
  local?: LocalHandler;
}): Promise<LocalStack> {
  let baseUrl = '';
  const consumers = options.functions.filter((fn) => Object.keys(fn.consumes).length > 0);
  const tokens = options.tokens;
  const token = tokens ? (consumer: string) => tokens.token(audienceFor(consumer, options.config)) : undefined;
  if (!token && !options.config.AUTH_DISABLED) {
    options.log.warn('no token issuer given: events are delivered without a token and refused (401)');
  }
  const transport = options.kafka ? createKafkaTransport({ kafka: options.kafka.kafka, topicPrefix: options.kafka.topicPrefix, log: options.log }) : undefined;
  const bus = transport
    ? null
    : createInProcessBus({
        subscriptions: () => consumers.map((fn) => ({ consumer: fn.name, types: Object.keys(fn.consumes), url: `${baseUrl}${eventPath(fn.name)}` })),
        deadLetter: (letter) => storeDeadLetter(options.sql, letter, options),
        log: options.log.child({ component: 'event-bus' }),
        metrics: options.metrics,
        ...(options.busPolicy ? { policy: options.busPolicy } : {}),
        ...(token ? { token } : {}),
      });
  const runtime = createRuntime({
    functions: options.functions,
    config: options.config,
    sql: options.sql,
    slack: options.slack,
    effectSlack: options.effectSlack,
    transport: transport ?? bus,
    log: options.log,
    metrics: options.metrics,
    now: options.now,
    sweepMs: options.sweepMs ?? 5_000,
    tickMs: options.config.TICK_INTERVAL_MS,
    ...(options.effectPolicy ? { effectPolicy: options.effectPolicy } : {}),
  });
  if (options.local) mountAhead(runtime.http.server, options.local, options);
  const host = options.host ?? '127.0.0.1';
  const port = await runtime.http.listen(options.config.PORT, host);
  baseUrl = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  const dispatcher = options.kafka
    ? createKafkaDispatcher({
        kafka: options.kafka.kafka,
        topicPrefix: options.kafka.topicPrefix,
        ...(options.kafka.groupPrefix ? { groupPrefix: options.kafka.groupPrefix } : {}),
        sources: [
          ...consumers.map((fn) => ({
            consumer: fn.name,
            topics: [...new Set(Object.keys(fn.consumes).map((type) => topicName(topicKeyFor(type as EventType), options.kafka!.topicPrefix)))],
            url: `${baseUrl}${eventPath(fn.name)}`,
          })),
          // As in a cluster: the dead-letter topic's own source parks what the others gave up on.
          ...options.functions
            .filter((fn) => fn.recordsDeadLetters)
            .map((fn) => ({
              consumer: deadLetterSourceName(fn),
              topics: [topicName('deadLetter', options.kafka!.topicPrefix)],
              url: `${baseUrl}${deadLetterPath}`,
              tokenFor: fn.name,
              giveUpTo: 'nothing' as const,
            })),
        ],
        ...(options.busPolicy ? { policy: options.busPolicy } : {}),
        log: options.log.child({ component: 'kafka-dispatcher' }),
        metrics: options.metrics,
        ...(token ? { token } : {}),
        // A new consumer group starts at the beginning so nothing published while it was joining
        // is skipped; consumers are idempotent, so a replay is harmless.
        fromBeginning: true,
      })
    : null;
  await dispatcher?.start();
  return {
    url: baseUrl,
    port,
    runtime,
    bus,
    async drain() {
      for (let round = 1; ; round++) {
        const published = (await runtime.relay?.flush()) ?? 0;
        const delivered = (await bus?.idle()) ?? false;
        const attempted = await runtime.effects.settle();
        if (published === 0 && !delivered && attempted === 0) return;
        // Each round is work the last one caused; this many means something keeps making more.
        if (round === maxDrainRounds) throw new Error(`the stack did not settle in ${maxDrainRounds} rounds of publishing, delivering and effects`);
      }
    },
    async close() {
      await dispatcher?.stop();
      await runtime.close(options.config.SHUTDOWN_TIMEOUT_MS);
    },
  };
}
