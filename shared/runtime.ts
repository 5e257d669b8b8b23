import { z } from 'zod';
import { baseConfigShape, loadConfig, slackConfigShape } from './config.ts';
import { pingDb, type Pool } from './db/client.ts';
import { consumeOnce } from './events/consumer.ts';
import type { EventType } from './events/catalog.ts';
import { fromHttp } from './events/cloud-event.ts';
import { createEmitter, createOutboxRelay, type OutboxRelay } from './events/outbox.ts';
import type { EventTransport } from './events/transport.ts';
import { toAppError } from './errors.ts';
import { eventPath, type AnyFunction, type FunctionDeps } from './function.ts';
import { createHttpServer, type HttpServer } from './http/server.ts';
import { jsonError, type HttpRequest, type HttpResponse, type Route } from './http/types.ts';
import type { Logger } from './logging.ts';
import type { Metrics } from './metrics.ts';
import type { SlackPort } from './slack/port.ts';

/** The zod schema of everything the given functions read, for `loadConfig`. */
export function configSchemaFor(functions: readonly AnyFunction[]) {
  let shape: z.ZodRawShape = { ...baseConfigShape };
  if (functions.some((fn) => fn.usesSlack)) shape = { ...shape, ...slackConfigShape };
  for (const fn of functions) shape = { ...shape, ...fn.config.shape };
  return z.object(shape);
}

/** Read and validate the configuration of `functions` from `env`, listing every problem at once. */
export function loadFunctionsConfig(functions: readonly AnyFunction[], env: NodeJS.ProcessEnv): RuntimeConfig {
  return loadConfig(configSchemaFor(functions), env) as RuntimeConfig;
}

/** The shared variables, typed, plus whatever the functions' own schemas added. */
export type RuntimeConfig = z.infer<z.ZodObject<typeof baseConfigShape>> & Record<string, unknown>;

export interface RuntimeOptions {
  functions: readonly AnyFunction[];
  config: RuntimeConfig;
  sql: Pool;
  slack: SlackPort;
  /** Where committed outbox rows go; without one they wait in the outbox for a relay that has one. */
  transport: EventTransport | null;
  log: Logger;
  metrics: Metrics;
  now: () => Date;
  /** How often the relay sweeps for rows an outage left behind; 0 disables the sweep. */
  outboxSweepMs: number;
}

export interface Runtime {
  http: HttpServer;
  relay: OutboxRelay | null;
  routes: readonly Route[];
  /** Drain HTTP, stop the relay, close the transport. The caller owns and closes the pool. */
  close(timeoutMs: number): Promise<void>;
}

/**
 * Wire functions into one HTTP server: their routes, a CloudEvents endpoint per consumer, health
 * and metrics. Used by each bundle (one function) and by `npm start` (all six).
 */
export function createRuntime(options: RuntimeOptions): Runtime {
  const relay = options.transport
    ? createOutboxRelay({ sql: options.sql, transport: options.transport, log: options.log, metrics: options.metrics })
    : null;
  const routes: Route[] = [];
  for (const fn of options.functions) {
    const deps: FunctionDeps<unknown> = {
      sql: options.sql,
      slack: options.slack,
      emit: createEmitter(fn.name, { now: options.now }),
      log: options.log.child({ function: fn.name }),
      now: options.now,
      metrics: options.metrics,
      config: options.config,
    };
    for (const route of fn.routes) {
      routes.push({
        method: route.method,
        path: route.path,
        type: route.type,
        handle: async (request) => {
          try {
            return await route.handle(request, deps);
          } finally {
            relay?.kick();
          }
        },
      });
    }
    if (Object.keys(fn.consumes).length > 0) {
      routes.push({
        method: 'POST',
        path: eventPath(fn.name),
        type: 'event',
        handle: async (request) => {
          try {
            return await handleEvent(fn, request, deps);
          } finally {
            relay?.kick();
          }
        },
      });
    }
  }
  const publishes = options.functions.some((fn) => fn.publishes.length > 0);
  if (relay) {
    // A PingSource posts here in production so rows an outage left behind go out even when idle.
    routes.push({
      method: 'POST',
      path: '/outbox/sweep',
      type: 'event',
      handle: async () => ({ status: 200, body: { published: await relay.flush() } }),
    });
  }
  const http = createHttpServer({
    routes,
    log: options.log,
    metrics: options.metrics,
    bodyLimitBytes: options.config.HTTP_BODY_LIMIT_BYTES,
    readiness: async () => ({
      database: await pingDb(options.sql),
      ...(publishes && options.transport ? { events: await options.transport.ready() } : {}),
    }),
  });
  if (relay && options.outboxSweepMs > 0) relay.startSweep(options.outboxSweepMs);
  return {
    http,
    relay,
    routes,
    async close(timeoutMs) {
      await http.close(timeoutMs);
      await relay?.stop();
      await options.transport?.close();
    },
  };
}

/**
 * The CloudEvents adapter: binary or structured mode in, validated, deduplicated, handled in one
 * transaction. Answers follow KafkaSource: 200 done or duplicate, 400/422 poison (dead-lettered
 * at once), 503 retry.
 */
async function handleEvent(fn: AnyFunction, request: HttpRequest, deps: FunctionDeps<unknown>): Promise<HttpResponse> {
  let log = deps.log;
  try {
    const event = fromHttp(request.headers, request.rawBody);
    const handler = fn.consumes[event.type as EventType];
    log = deps.log.child({ eventId: event.id, eventType: event.type, runId: event.correlationid });
    // A KafkaSource delivers every record on its topics: ours that this function does not use are
    // done (2xx), not poison, or they would all land in the dead-letter sink.
    if (!handler) return { status: 200, body: { status: 'ignored' } };
    const result = await consumeOnce({ sql: deps.sql, consumer: fn.name, event, deps: { ...deps, log }, handle: handler });
    log.info(result === 'duplicate' ? 'duplicate event ignored' : 'event processed');
    return { status: 200, body: { status: result } };
  } catch (error) {
    const appError = toAppError(error);
    deps.metrics.errorsTotal.inc({ type: `event_${appError.code}` });
    if (appError.code === 'validation') {
      log.warn('poison event refused', { reason: appError.message });
      return jsonError(400, 'validation', appError.message);
    }
    log.error('event handling failed', { error, retryable: appError.retryable });
    if (appError.retryable) return jsonError(503, appError.code, 'Temporarily unable to process the event');
    return jsonError(422, appError.code, 'The event cannot be processed');
  }
}
