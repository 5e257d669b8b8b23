import type { EffectsPort, LeasedEffectsPort, RunStartingDeps } from '../../shared/function.ts';
import type { Pool } from '../../shared/db/client.ts';
import type { Emit } from '../../shared/events/outbox.ts';
import type { HttpRequest } from '../../shared/http/types.ts';
import type { LogFields, Logger, LogLevel } from '../../shared/logging.ts';
import { createMetrics } from '../../shared/metrics.ts';
import { SlackCallError, type PostedMessage, type SlackMember, type SlackPort, type SlackUser } from '../../shared/slack/port.ts';
import { slackHeaders } from './slack-requests.ts';

// Stand-ins for the fast test tier (*.unit.test.ts): handler logic that answers before it needs
// Postgres, Kafka or the Slack emulator. Whatever would need one of those throws, so a test that
// passes shows the path it took touched none of them.

export type SlackMethod = keyof SlackPort;

/** One call made to a {@link FakeSlack}: the method and its arguments as passed. */
export interface SlackCall {
  method: SlackMethod;
  args: unknown[];
}

/**
 * A `SlackPort` in memory: records every call, posts with increasing `ts` values, knows the users
 * it was given (`getUser` answers null for anyone else) and fails a method on request.
 */
export class FakeSlack implements SlackPort {
  readonly calls: SlackCall[] = [];
  private readonly users = new Map<string, SlackUser>();
  private readonly channelCreators = new Map<string, string>();
  private readonly failures = new Map<SlackMethod, Error>();
  private lastTs = 0;

  constructor(users: readonly SlackUser[] = []) {
    for (const user of users) this.users.set(user.id, user);
  }

  /** Make every later call of `method` throw `error` (by default Slack refusing it). */
  fail(method: SlackMethod, error: Error = new SlackCallError(method, 'refused', { slackError: 'fake_failure' })): void {
    this.failures.set(method, error);
  }

  /** The arguments of every call of `method`, in order. */
  callsOf(method: SlackMethod): unknown[][] {
    return this.calls.filter((call) => call.method === method).map((call) => call.args);
  }

  async postMessage(args: Parameters<SlackPort['postMessage']>[0]): Promise<PostedMessage> {
    this.record('postMessage', args);
    return { channel: args.channel, ts: this.nextTs() };
  }

  async updateMessage(args: Parameters<SlackPort['updateMessage']>[0]): Promise<void> {
    this.record('updateMessage', args);
  }

  async deleteMessage(args: Parameters<SlackPort['deleteMessage']>[0]): Promise<void> {
    this.record('deleteMessage', args);
  }

  async postEphemeral(args: Parameters<SlackPort['postEphemeral']>[0]): Promise<void> {
    this.record('postEphemeral', args);
  }

  async openView(args: Parameters<SlackPort['openView']>[0]): Promise<void> {
    this.record('openView', args);
  }

  async openDirectMessage(userId: string): Promise<string> {
    this.record('openDirectMessage', userId);
    return `D${userId}`;
  }

  async getUser(userId: string): Promise<SlackUser | null> {
    this.record('getUser', userId);
    return this.users.get(userId) ?? null;
  }

  /** The directory: the users it was given, each named only by `name`. */
  async listMembers(): Promise<SlackMember[]> {
    this.record('listMembers');
    return [...this.users.values()].map((user) => ({ id: user.id, handle: user.name, displayName: user.name, realName: user.name }));
  }

  async getChannelCreator(channelId: string): Promise<string | null> {
    this.record('getChannelCreator', channelId);
    return this.channelCreators.get(channelId) ?? null;
  }

  /** Who created `channelId`, as `conversations.info` would say. */
  setChannelCreator(channelId: string, slackUserId: string): void {
    this.channelCreators.set(channelId, slackUserId);
  }

  async respond(...args: Parameters<SlackPort['respond']>): Promise<void> {
    this.record('respond', ...args);
  }

  async findMessage(args: Parameters<SlackPort['findMessage']>[0]): Promise<PostedMessage | null> {
    this.record('findMessage', args);
    return null;
  }

  private record(method: SlackMethod, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const failure = this.failures.get(method);
    if (failure) throw failure;
  }

  /** Slack's `ts` shape, one second apart: `1700000001.000100`, `1700000002.000100`, … */
  private nextTs(): string {
    this.lastTs += 1;
    return `${1_700_000_000 + this.lastTs}.000100`;
  }
}

/** A clock stopped at `at`: every call returns a fresh copy, so callers may not move it. */
export function fixedClock(at: Date | string): () => Date {
  const time = new Date(at).getTime();
  return () => new Date(time);
}

/** One line a {@link CapturingLogger} took, with its own and its parents' child fields. */
export interface LogLine {
  level: LogLevel;
  message: string;
  fields: LogFields;
}

/** A logger that writes nothing and keeps every line (children included) in `lines`. */
export interface CapturingLogger extends Logger {
  readonly lines: LogLine[];
}

export function capturingLogger(): CapturingLogger {
  const lines: LogLine[] = [];
  const make = (base: LogFields): Logger => {
    const take = (level: LogLevel) => (message: string, fields?: LogFields) => {
      lines.push({ level, message, fields: { ...base, ...fields } });
    };
    return { debug: take('debug'), info: take('info'), warn: take('warn'), error: take('error'), child: (fields) => make({ ...base, ...fields }) };
  };
  return Object.assign(make({}), { lines });
}

function unavailable(what: string): never {
  throw new Error(`${what} is not available in the fast test tier; this path belongs in test/integration`);
}

/**
 * A `Pool` that refuses every use: calling it (a query), or any method (`begin`, `unsafe`, …).
 * `then` and symbols read as absent, so it can be passed around and inspected.
 */
export const noDatabase: Pool = new Proxy(() => undefined, {
  apply: () => unavailable('The database'),
  get: (_target, property) => (typeof property === 'symbol' || property === 'then' ? undefined : () => unavailable('The database')),
}) as unknown as Pool;

/** An `Emit` that refuses: events are written inside a database transaction. */
export const noEmit: Emit = Object.assign(() => unavailable('The outbox'), { prepare: () => unavailable('The outbox') });

/** An `EffectsPort` that refuses: durable effects live in the database. */
export const noEffects: EffectsPort = {
  enqueue: () => unavailable('Durable effects'),
  runSoon: () => unavailable('Durable effects'),
};

/** A `LeasedEffectsPort` that refuses: a run's first effect is written with the run, in the database. */
export const noLeasedEffects: LeasedEffectsPort = {
  leaseUntil: () => unavailable('Durable effects'),
  runLeased: () => unavailable('Durable effects'),
  status: () => unavailable('Durable effects'),
};

/** Handler deps for the fast tier (a route's that starts runs too): a {@link FakeSlack}, a capturing logger, a fixed clock, no database. */
export function fakeDeps<C>(
  config: C,
  options: { slack?: FakeSlack; now?: Date | string } = {},
): RunStartingDeps<C> & { slack: FakeSlack; log: CapturingLogger } {
  return {
    sql: noDatabase,
    slack: options.slack ?? new FakeSlack(),
    emit: noEmit,
    effects: noEffects,
    leasedEffects: noLeasedEffects,
    log: capturingLogger(),
    now: fixedClock(options.now ?? '2026-11-30T09:00:00Z'),
    metrics: createMetrics(),
    config,
  };
}

/** A POST of `body` to `path` as Slack sends it, signed with `secret` at `at`, for a route's handler. */
export function signedSlackRequest(path: string, body: string, options: { secret: string; at: Date }): HttpRequest {
  return {
    method: 'POST',
    path,
    query: new URLSearchParams(),
    headers: slackHeaders(options.secret, body, options.at),
    rawBody: Buffer.from(body),
    requestId: 'unit-request',
  };
}
