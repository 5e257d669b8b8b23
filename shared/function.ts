import type { z } from 'zod';
import type { Pool, Sql } from './db/client.ts';
import type { EffectExecutor, EffectRequest } from './effects/effects.ts';
import type { EffectState, LeasedEffect, LeasedOutcome } from './effects/worker.ts';
import type { EventType } from './events/catalog.ts';
import type { EventConsumers } from './events/consumer.ts';
import type { Emit } from './events/outbox.ts';
import type { SlackHandler } from './slack/ingress.ts';
import type { Logger } from './logging.ts';
import type { Metrics } from './metrics.ts';
import type { SlackPort } from './slack/port.ts';

/** The six functions, each deployed as its own Knative Service. */
export const functionNames = ['slash-command', 'interaction', 'close-run', 'fairness-assign', 'reminder-due', 'admin'] as const;
export type FunctionName = (typeof functionNames)[number];

/** Durable Slack effects, as handlers ask for them (see `shared/effects/`). */
export interface EffectsPort {
  /** Ask for an effect inside the state change's transaction; returns its id. */
  enqueue(tx: Sql, request: EffectRequest): Promise<string>;
  /**
   * Carry out these effects now, waiting at most `budgetMs` (Slack's 3 s ack leaves little); what
   * is not done by then goes on in the background and is retried until it is.
   */
  runSoon(ids: readonly string[], budgetMs: number): Promise<void>;
}

/**
 * The first attempt at an effect its asker wrote already leased to itself (`leasedEffectInsert`):
 * what starting a run needs to post the run message within the ack budget without a claim. Only
 * routes that start runs get it (`startsRuns`), as `leasedEffects` beside their function's deps.
 */
export interface LeasedEffectsPort {
  /** Until when an effect written by its asker is leased to it. */
  leaseUntil(now: Date): Date;
  /** See `EffectWorker.runLeased`. */
  runLeased(effect: LeasedEffect, perform: () => Promise<LeasedOutcome>, budgetMs: number): Promise<EffectState>;
  /** Where an effect stands: done, still pending (retrying), or parked with Slack's reason. */
  status(id: string): Promise<{ state: EffectState; lastError: string | null }>;
}

/**
 * Everything a handler may touch. Handlers never read env, the wall clock or build clients:
 * the composition root hands these in, which is what lets all functions share one process locally.
 */
export interface FunctionDeps<C> {
  sql: Pool;
  slack: SlackPort;
  emit: Emit;
  effects: EffectsPort;
  log: Logger;
  now: () => Date;
  metrics: Metrics;
  config: C;
}

/** What a route that starts runs is handed: its function's deps and the leased first attempt. */
export type RunStartingDeps<C> = FunctionDeps<C> & { leasedEffects: LeasedEffectsPort };

/**
 * An HTTP route of a function: Slack's requests, which Kong forwards to these paths unchanged.
 * Its handler is built by `slackRoute` (shared/slack/ingress.ts), so Slack's signature is checked
 * before anything else: a route cannot skip it. A route that starts runs says so (`startsRuns`)
 * and its handler gets `RunStartingDeps`.
 */
export type FunctionRoute<C> = {
  method: 'POST' | 'GET';
  path: string;
  /** Label for `coffeebuddy_requests_total{type}`. */
  type: 'slash' | 'interaction';
} & ({ startsRuns?: never; handle: SlackHandler<FunctionDeps<C>> } | { startsRuns: true; handle: SlackHandler<RunStartingDeps<C>> });

/**
 * Work a function does on a schedule: a PingSource posts a tick to `POST /ticks/<name>` in a
 * cluster, `npm start` runs it on a timer. Ticks may arrive late or twice: `run` catches up on
 * everything due and must be safe to run concurrently.
 */
export interface FunctionTimer<C> {
  name: string;
  /** Cron schedule of its PingSource, in UTC. */
  schedule: string;
  /** Do what is due; returns counts of what it did (for the tick's answer and logs). */
  run(deps: FunctionDeps<C>): Promise<Record<string, number>>;
}

/** The path a timer's ticks are posted to. */
export function tickPath(timer: { name: string }): string {
  return `/ticks/${timer.name}`;
}

/**
 * A function's descriptor: the single source from which the local runner's wiring, the esbuild
 * entry points and the Knative YAML are derived.
 */
export interface FunctionDescriptor<C> {
  name: FunctionName;
  description: string;
  /** zod schema of the variables this function reads beyond the shared ones. */
  config: z.ZodObject;
  /** Whether it calls the Slack Web API (and so needs `SLACK_BOT_TOKEN`). */
  usesSlack: boolean;
  routes: readonly FunctionRoute<C>[];
  /** CloudEvent types it consumes, each with its handler; delivered to `POST /events/<name>`. */
  consumes: EventConsumers<FunctionDeps<C>>;
  /** CloudEvent types it publishes through the outbox. */
  publishes: readonly EventType[];
  /** Slack effects it carries out (beyond its events' own), by kind. */
  effects?: Readonly<Record<string, EffectExecutor<C>>>;
  /** Scheduled work (each becomes a PingSource and a tick route). */
  timers?: readonly FunctionTimer<C>[];
  /**
   * Parks what the KafkaSources dead-lettered: its own KafkaSource reads the dead-letter topic and
   * delivers to `POST /events/dead-letters` (one function in the registry does).
   */
  recordsDeadLetters?: true;
}

/** Declare a descriptor with its config type inferred from the schema, keeping the schema's and `usesSlack`'s own types. */
export function defineFunction<S extends z.ZodObject, Slack extends boolean>(
  descriptor: Omit<FunctionDescriptor<z.infer<S>>, 'config' | 'usesSlack'> & { config: S; usesSlack: Slack },
): FunctionDescriptor<z.infer<S>> & { config: S; usesSlack: Slack } {
  return descriptor;
}

/** A descriptor of any config type, for registries and runners. */
// biome-ignore lint/suspicious/noExplicitAny: handlers take their own config type, so no wider type fits them all; the runner validates config with each descriptor's schema.
export type AnyFunction = FunctionDescriptor<any>;

/** The path the dead-letter topic's KafkaSource posts dead letters to, on the function that records them. */
export const deadLetterPath = '/events/dead-letters';

/** The name of that KafkaSource (and, prefixed, of its consumer group; the local dispatcher's too). */
export function deadLetterSourceName(fn: { name: FunctionName }): string {
  return `${fn.name}-dead-letters`;
}

/** The path KafkaSource (or the local bus) posts a function's CloudEvents to. */
export function eventPath(name: FunctionName): string {
  return `/events/${name}`;
}
