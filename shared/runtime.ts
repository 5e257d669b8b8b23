import { z } from 'zod';
import { baseConfigShape, loadConfig, requireAuthIssuer, slackConfigShape, type SlackSettings } from './config.ts';
import { pingDb, type Pool, type Sql } from './db/client.ts';
import { consumeOnce, consumerOf, eventEffectKind } from './events/consumer.ts';
import { enqueueEffect, type EffectExecutor, type EffectRequest } from './effects/effects.ts';
import { createEffectWorker, type EffectPolicy, type EffectWorker } from './effects/worker.ts';
import type { EventType } from './events/catalog.ts';
import { CloudEvent, type CloudEventV1 } from 'cloudevents';
import { SpanKind } from '@opentelemetry/api';
import type { CoffeeEvent } from './events/cloud-event.ts';
import { fromHttp } from './events/http-binding.ts';
import { inSpan } from './tracing.ts';
import { createEmitter, createOutboxRelay, type OutboxRelay } from './events/outbox.ts';
import type { EventTransport } from './events/transport.ts';
import { toAppError } from './errors.ts';
import { receiveDeadLetter } from './events/dead-letter-intake.ts';
import { countStuckRuns } from './events/stuck-runs.ts';
import { deadLetterPath, eventPath, tickPath, type AnyFunction, type EffectsPort, type FunctionDeps, type LeasedEffectsPort } from './function.ts';
import { coalesced } from './coalesce.ts';
import { createHttpServer, type HttpServer } from './http/server.ts';
import { jsonError, type HttpRequest, type HttpResponse, type Route, type RouteAuth } from './http/types.ts';
import { audienceFor, createAuthenticate } from './auth/event-auth.ts';
import type { Logger } from './logging.ts';
import type { Metrics } from './metrics.ts';
import type { SlackPort } from './slack/port.ts';
import { isSlackHandler } from './slack/ingress.ts';

/** The zod schema of everything the given functions read, for `loadConfig`. */
export function configSchemaFor(functions: readonly AnyFunction[]) {
  let shape: z.ZodRawShape = { ...baseConfigShape };
  if (functions.some((fn) => fn.usesSlack)) shape = { ...shape, ...slackConfigShape };
  for (const fn of functions) shape = { ...shape, ...fn.config.shape };
  return requireAuthIssuer(z.object(shape));
}

/**
 * Read and validate the configuration of `functions` from `env`, listing every problem at once.
 * `standalone`: they run as a deployed function, not inside `npm start` (which has an in-process
 * bus), so a function that publishes events needs `KAFKA_BROKERS`: without it, it would report
 * ready and never publish, and runs would never close.
 */
export function loadFunctionsConfig<F extends AnyFunction>(
  functions: readonly F[],
  env: NodeJS.ProcessEnv,
  options: { standalone?: boolean } = {},
): RuntimeConfig<F> {
  const schema = configSchemaFor(functions);
  const publishes = functions.some((fn) => fn.publishes.length > 0);
  return loadConfig(options.standalone && publishes ? requireKafkaBrokers(schema) : schema, env) as RuntimeConfig<F>;
}

/** `KAFKA_BROKERS` required unless `EVENTS_OUTBOX_ONLY=true`; listed with every other problem. */
function requireKafkaBrokers<S extends z.ZodType>(schema: S) {
  return schema.refine(
    (config) => {
      const { KAFKA_BROKERS, EVENTS_OUTBOX_ONLY } = config as { KAFKA_BROKERS?: string; EVENTS_OUTBOX_ONLY?: boolean };
      return EVENTS_OUTBOX_ONLY === true || Boolean(KAFKA_BROKERS?.trim());
    },
    {
      path: ['KAFKA_BROKERS'],
      // loadConfig names an unset variable "required but not set"; README says why.
      message: 'required but not set',
      when: () => true,
    },
  );
}

/** The variables every function reads, as loaded. */
export type BaseConfig = z.infer<z.ZodObject<typeof baseConfigShape>>;

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** What `functions` of type `F` read, as loaded: the shared variables, Slack's where one may call Slack, and each one's own. */
export type RuntimeConfig<F extends AnyFunction> = BaseConfig &
  (true extends F['usesSlack'] ? SlackSettings : unknown) &
  UnionToIntersection<z.infer<F['config']>>;

export interface RuntimeOptions {
  functions: readonly AnyFunction[];
  config: BaseConfig;
  sql: Pool;
  /** Slack for the 3 s acknowledgement path: short timeouts. */
  slack: SlackPort;
  /** Slack for effects carried out after commit: longer timeouts, retried by the effect worker. */
  effectSlack: SlackPort;
  /** Where committed outbox rows go; without one they wait in the outbox for a relay that has one. */
  transport: EventTransport | null;
  log: Logger;
  metrics: Metrics;
  now: () => Date;
  /**
   * How often pending outbox rows and due Slack effects are swept (what an outage, a crash or
   * another instance left behind; an effect whose attempt failed here is retried when due, without
   * waiting for it); 0 disables the timer (`POST /sweep` still works).
   */
  sweepMs: number;
  /** How often timers tick in-process (npm start); 0 or unset: only `POST /ticks/<name>`. */
  tickMs?: number;
  effectPolicy?: EffectPolicy;
  /**
   * Start-up work the first request should not wait for (the pool's connections opened, kafkajs
   * loaded); readiness stays false until it settles.
   */
  warming?: Promise<unknown>;
}

export interface Runtime {
  http: HttpServer;
  relay: OutboxRelay | null;
  effects: EffectWorker;
  routes: readonly Route[];
  /** Drain HTTP, stop the relay, close the transport. The caller owns and closes the pool. */
  close(timeoutMs: number): Promise<void>;
}

/**
 * Wire functions into one HTTP server: their routes, a CloudEvents endpoint per consumer, health
 * and metrics. Used by each bundle (one function) and by `npm start` (all six).
 */
export function createRuntime(options: RuntimeOptions): Runtime {
  // The type says so already; this keeps a cast from serving a Slack route unverified.
  const unverified = options.functions.flatMap((fn) => fn.routes.filter((route) => !isSlackHandler(route.handle)).map((route) => `${fn.name} ${route.path}`));
  if (unverified.length > 0) throw new Error(`Slack routes whose handler was not built by slackRoute: ${unverified.join(', ')}`);
  const relay = options.transport
    ? createOutboxRelay({ sql: options.sql, transport: options.transport, log: options.log, metrics: options.metrics, now: options.now })
    : null;
  const executors: Record<string, EffectExecutor> = {};
  const effectDeps = { sql: options.sql, slack: options.effectSlack, log: options.log, metrics: options.metrics, now: options.now, config: options.config };
  const worker = createEffectWorker({
    sql: options.sql,
    executors,
    deps: effectDeps,
    log: options.log.child({ component: 'effects' }),
    metrics: options.metrics,
    now: options.now,
    ...(options.effectPolicy ? { policy: options.effectPolicy } : {}),
  });
  const effects: EffectsPort = {
    enqueue: (tx, request) => enqueueEffect(tx, request, options.now()),
    runSoon: (ids, budgetMs) => worker.runSoon(ids, budgetMs),
  };
  const leasedEffects: LeasedEffectsPort = {
    leaseUntil: (now) => worker.leaseUntil(now),
    runLeased: (effect, perform, budgetMs) => worker.runLeased(effect, perform, budgetMs),
    async status(id) {
      const [row] = await options.sql<{ doneAt: Date | null; parkedAt: Date | null; lastError: string | null }[]>`
        select done_at, parked_at, last_error from slack_effects where id = ${id}`;
      return { state: row?.doneAt ? 'done' : row?.parkedAt ? 'parked' : 'pending', lastError: row?.lastError ?? null };
    },
  };
  const routes: Route[] = [];
  const ticks: { name: string; tick: () => Promise<number>; log: Logger }[] = [];
  // Internal endpoints take a token for the function's own audience (`coffeebuddy-<name>`); the
  // sweep, shared by every function in this process, takes any of theirs.
  const bearer = (audiences: readonly string[]): RouteAuth => ({ kind: 'bearer', audiences: [...new Set(audiences)] });
  for (const fn of options.functions) {
    const deps: FunctionDeps<unknown> = {
      sql: options.sql,
      slack: options.slack,
      emit: createEmitter(fn.name, { now: options.now }),
      effects,
      log: options.log.child({ function: fn.name }),
      now: options.now,
      metrics: options.metrics,
      config: options.config,
    };
    Object.assign(executors, fn.effects ?? {});
    for (const type of Object.keys(fn.consumes) as EventType[]) {
      const consumer = consumerOf(fn.consumes, type);
      const effect = typeof consumer === 'object' ? consumer.effect : undefined;
      if (!effect) continue;
      // An event's effect runs with the background Slack client, from the event as recorded.
      const effectFnDeps = { ...deps, slack: options.effectSlack };
      executors[eventEffectKind(fn.name, type)] = (payload, { log }) =>
        effect(eventFromRecord(payload), { ...effectFnDeps, log: log.child({ function: fn.name }) });
    }
    for (const route of fn.routes) {
      routes.push({
        method: route.method,
        path: route.path,
        type: route.type,
        // Slack routes verify Slack's signature over the raw body, built in by slackRoute (shared/slack/ingress.ts).
        auth: { kind: 'slack-signature' },
        handle: async (request) => {
          try {
            return await (route.startsRuns ? route.handle(request, { ...deps, leasedEffects }) : route.handle(request, deps));
          } finally {
            relay?.kick();
          }
        },
      });
    }
    for (const timer of fn.timers ?? []) {
      const tick = coalesced(async () => {
        const done = await timer.run(deps);
        const total = Object.values(done).reduce((sum, n) => sum + n, 0);
        if (total > 0) deps.log.info('tick', { timer: timer.name, ...done });
        return total;
      });
      ticks.push({ name: timer.name, tick, log: deps.log });
      routes.push({
        method: 'POST',
        path: tickPath(timer),
        type: 'event',
        auth: bearer([audienceFor(fn.name, options.config)]),
        handle: async () => {
          try {
            return { status: 200, body: { done: await tick() } };
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
        auth: bearer([audienceFor(fn.name, options.config)]),
        handle: async (request) => {
          try {
            return await handleEvent(fn, request, deps, worker);
          } finally {
            relay?.kick();
          }
        },
      });
    }
    if (fn.recordsDeadLetters) {
      // The dead-letter topic's KafkaSource requests a token for the function's own audience.
      routes.push({
        method: 'POST',
        path: deadLetterPath,
        type: 'event',
        auth: bearer([audienceFor(fn.name, options.config)]),
        handle: (request) => receiveDeadLetter(request, deps),
      });
    }
  }
  const publishes = options.functions.some((fn) => fn.publishes.length > 0);
  // A PingSource posts here in production, so outbox rows and Slack effects an outage left behind
  // go out even while no request arrives (and a function scaled to zero wakes up for them).
  routes.push({
    method: 'POST',
    path: '/sweep',
    type: 'event',
    auth: bearer(options.functions.map((fn) => audienceFor(fn.name, options.config))),
    handle: async () => {
      const [published, effectsDone] = await Promise.all([relay?.flush() ?? 0, worker.sweep()]);
      return { status: 200, body: { published, effects: effectsDone } };
    },
  });
  options.metrics.observeEffects(async () => {
    const [row] = await options.sql<{ pending: number; parked: number; oldest: Date | null }[]>`
      select
        count(*) filter (where done_at is null and parked_at is null)::int as pending,
        count(*) filter (where parked_at is not null)::int as parked,
        min(created_at) filter (where done_at is null and parked_at is null) as oldest
      from slack_effects
      where done_at is null
    `;
    const oldest = row?.oldest ? (options.now().getTime() - new Date(row.oldest).getTime()) / 1000 : 0;
    return { pending: row?.pending ?? 0, parked: row?.parked ?? 0, oldestPendingSeconds: Math.max(0, oldest) };
  });
  options.metrics.observeStuckRuns(() => countStuckRuns(options.sql));
  let warmed = !options.warming;
  void options.warming
    ?.catch((error: unknown) => options.log.warn('start-up warm-up failed; connections open on demand', { error }))
    .finally(() => {
      warmed = true;
    });
  const http = createHttpServer({
    routes,
    log: options.log,
    metrics: options.metrics,
    bodyLimitBytes: options.config.HTTP_BODY_LIMIT_BYTES,
    authenticate: createAuthenticate({ settings: options.config, now: options.now, log: options.log, metrics: options.metrics }),
    advisoryChecks: ['events'],
    readiness: async () => ({
      database: warmed && (await pingDb(options.sql)),
      ...(publishes && options.transport ? { events: await options.transport.ready() } : {}),
    }),
  });
  if (options.sweepMs > 0) {
    relay?.startSweep(options.sweepMs);
    worker.startSweep(options.sweepMs);
  }
  // In a cluster PingSources post the ticks; a local run (npm start) ticks itself.
  const tickTimers =
    (options.tickMs ?? 0) > 0
      ? ticks.map(({ name, tick, log }) => {
          const timer = setInterval(() => {
            tick()
              .then(() => relay?.kick())
              .catch((error: unknown) => log.warn('tick failed; the next one catches up', { timer: name, error }));
          }, options.tickMs);
          timer.unref();
          return timer;
        })
      : [];
  return {
    http,
    relay,
    effects: worker,
    routes,
    async close(timeoutMs) {
      for (const timer of tickTimers) clearInterval(timer);
      await http.close(timeoutMs);
      await worker.stop();
      await relay?.stop();
      await options.transport?.close();
    },
  };
}

/** How long an event delivery waits for its effect before answering (KafkaSource's timeout is longer). */
const eventEffectBudgetMs = 5_000;

/** An event as its effect recorded it (CloudEvent JSON), rebuilt without re-validating. */
function eventFromRecord(payload: unknown): CoffeeEvent {
  return new CloudEvent(payload as CloudEventV1<unknown>, false) as CoffeeEvent;
}

/**
 * The CloudEvents adapter: binary or structured mode in, validated, deduplicated, handled in one
 * transaction. Answers follow KafkaSource: 200 done or duplicate, 400/422 poison (dead-lettered
 * at once), 503 retry.
 */
async function handleEvent(fn: AnyFunction, request: HttpRequest, deps: FunctionDeps<unknown>, worker: EffectWorker): Promise<HttpResponse> {
  let log = deps.log;
  try {
    // A KafkaSource delivers every record on its topics: ours that this function does not use are
    // done (2xx), not poison, or they would all land in the dead-letter sink.
    const event = fromHttp(request.headers, request.rawBody, (type) => consumerOf(fn.consumes, type) !== undefined);
    const handler = event && consumerOf(fn.consumes, event.type as EventType);
    if (!event || !handler) return { status: 200, body: { status: 'ignored' } };
    log = deps.log.child({ eventId: event.id, eventType: event.type, runId: event.correlationid });
    // The event's traceparent extension (CloudEvents distributed tracing) is the delivery's parent.
    const span = {
      kind: SpanKind.CONSUMER,
      traceparent: event.traceparent,
      attributes: { 'cloudevents.event_id': event.id, 'cloudevents.event_type': event.type },
    };
    return await inSpan(`${fn.name} process ${event.type}`, span, async (ids) => {
      log = log.child(ids);
      // Every effect the delivery asks for (its event's own, and any its handler asks for) is tried
      // right after commit.
      const asked: string[] = [];
      const effects = {
        ...deps.effects,
        enqueue: async (tx: Sql, request: EffectRequest) => {
          const id = await deps.effects.enqueue(tx, request);
          asked.push(id);
          return id;
        },
      };
      const { result } = await consumeOnce({ consumer: fn.name, event, deps: { ...deps, log, effects }, handle: handler, enqueue: effects.enqueue });
      log.info(result === 'duplicate' ? 'duplicate event ignored' : 'event processed');
      // The effects are durable now, so the delivery is done whatever Slack does; trying them at once
      // (bounded) keeps a healthy run quick and one channel's posts in the order of its events.
      await worker.runSoon(asked, eventEffectBudgetMs);
      return { status: 200, body: { status: result } };
    });
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
