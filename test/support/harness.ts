import type { RetryPolicy } from '../../shared/events/delivery.ts';
import { createKafkaClient, kafkaClientOptionsFromConfig } from '../../shared/events/kafka-client.ts';
import { ensureTopics, topicOptionsFromConfig } from '../../shared/events/kafka-topics.ts';
import { audienceFor } from '../../shared/auth/event-auth.ts';
import { localSenderSubject, startLocalIssuer, type LocalIssuer } from '../../scripts/local/local-issuer.ts';
import { eventPath, type AnyFunction, type FunctionName } from '../../shared/function.ts';
import { startLocalStack, type LocalStack } from '../../scripts/local/local-stack.ts';
import { silentLogger, type Logger } from '../../shared/logging.ts';
import { createMetrics, type Metrics } from '../../shared/metrics.ts';
import { loadFunctionsConfig } from '../../shared/runtime.ts';
import { startSlackEmulator, type EmulatedUser, type SlackEmulator } from '../../scripts/local/emulator.ts';
import { createSlackPorts } from '../../shared/slack/web-api.ts';
import { createDbFromConfig } from '../../shared/db/client.ts';
import { emulatedUsers } from '../../scripts/local/sandbox/people.ts';
import type { SandboxPerson } from '../../scripts/local/sandbox/protocol.ts';
import { createSandbox, type Sandbox } from '../../scripts/local/sandbox/server.ts';
import { defaultEffectPolicy, type EffectPolicy } from '../../shared/effects/worker.ts';
import { slackHeaders } from './slack-requests.ts';
import { createTestDatabase, type TestDatabase } from './test-db.ts';

export const testSigningSecret = 'test-signing-secret';

/** A running stack for integration tests: real Postgres, the Slack emulator, real HTTP. */
export interface TestStack extends LocalStack {
  db: TestDatabase;
  slack: SlackEmulator;
  metrics: Metrics;
  /** The Kafka topic prefix, when the stack runs on Kafka. */
  topicPrefix: string | null;
  /** The stack's clock: it runs like a wall clock from where a test last set it. */
  clock: { now: Date };
  /**
   * POST a form body signed as Slack would sign it now, and read the answer. Fails, as Slack
   * would, when the whole answer takes longer than Slack's 3 s.
   */
  postSigned(path: string, body: string, options?: { secret?: string; at?: Date }): Promise<Response>;
  /**
   * The OIDC issuer the stack trusts (`AUTH_OIDC_ISSUER`) and its event bus sends tokens from, on
   * the stack's clock; null when the test set `AUTH_DISABLED=true`. `mint` makes refused tokens.
   */
  issuer: LocalIssuer | null;
  /** The `Authorization` header a KafkaSource sends to `fn`'s event endpoint (empty when auth is disabled). */
  eventHeaders(fn: FunctionName): Promise<Record<string, string>>;
  /** POST a CloudEvent (HTTP binary or structured mode) to `fn`'s event endpoint with a valid token, as KafkaSource does. */
  postEvent(fn: FunctionName, request: { headers: Record<string, string>; body: string | Buffer }): Promise<Response>;
  /** The browser sandbox served on the stack's port, when the test asked for one. */
  sandbox: Sandbox | null;
  /**
   * `drain`, then move the clock to the earliest retry still scheduled and drain again, until no
   * Slack effect is pending or `rounds` clock moves were made: production's backoff without its
   * waits. Resolves with how many effects are still pending.
   */
  runRetries(rounds?: number): Promise<number>;
}

/** Start the given functions against a fresh database and a fresh Slack emulator. */
export async function startTestStack(options: {
  functions: readonly AnyFunction[];
  users?: Record<string, EmulatedUser>;
  /** Variables on top of the test defaults (`KAFKA_SASL_*`, `KAFKA_TLS*` reach the Kafka client). */
  env?: Record<string, string>;
  busPolicy?: RetryPolicy;
  kafka?: { brokers: string; topicPrefix: string };
  log?: Logger;
  now?: Date;
  /** Turns the emulator's Slack rate limits off, saying why this test's traffic is not what Slack would see. */
  slackRateLimitsOff?: { reason: string };
  /** Slack client timeouts (ack path, effects); short defaults keep failure tests quick. */
  slackTimeouts?: { ackMs: number; effectMs: number };
  /**
   * How effects are retried; production's policy by default (0.5 s doubling to 30 s), so a test
   * sees the waits users would. A test that needs a retry sooner moves `clock` and calls `drain`.
   */
  effectPolicy?: EffectPolicy;
  /**
   * The sweep timer (outbox and effects); production's `SWEEP_INTERVAL_MS` by default (10 s, or
   * what `env` sets). 0 leaves it to `drain`, `POST /sweep` and the worker's own retry wake-ups.
   */
  sweepMs?: number;
  /**
   * Give the functions a pool of their own, sized and configured from `env` like production's
   * (`DATABASE_POOL_MAX`, timeouts), reaching the database through `urlFor` (a proxy, say).
   * By default they share the test's pool.
   */
  ownPool?: { urlFor?: (url: string) => string };
  /**
   * Serve the browser sandbox (scripts/local/sandbox/server.ts) on the stack's port, as `npm start` does,
   * with these people known to the emulator; `pageDir` replaces scripts/local/sandbox/page/.
   */
  sandbox?: { people: readonly SandboxPerson[]; pageDir?: string };
}): Promise<TestStack> {
  const db = await createTestDatabase();
  const clock = runningClock(options.now ?? new Date());
  const users = { ...(options.sandbox ? emulatedUsers(options.sandbox.people) : {}), ...options.users };
  const slack = await startSlackEmulator({
    users,
    now: () => clock.now,
    ...(options.slackRateLimitsOff ? { rateLimitsOff: options.slackRateLimitsOff } : {}),
  });
  const log = options.log ?? silentLogger;
  const metrics = createMetrics();
  // The same verification as production, against a local issuer on the stack's clock.
  const issuer = options.env?.AUTH_DISABLED === 'true' ? null : await startLocalIssuer({ now: () => clock.now });
  const config = loadFunctionsConfig(options.functions, {
    ...(issuer ? { AUTH_OIDC_ISSUER: issuer.url, AUTH_OIDC_SUBJECTS: localSenderSubject } : {}),
    PORT: '0',
    DATABASE_URL: db.url,
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_API_URL: slack.url,
    // The emulator plays hooks.slack.com: its response_urls are the only ones the bot may call.
    SLACK_RESPONSE_URL_PREFIXES: `${new URL(slack.url).origin}/response/`,
    SLACK_SIGNING_SECRET: testSigningSecret,
    SHUTDOWN_TIMEOUT_MS: '2000',
    // The test broker is a single node.
    KAFKA_REPLICATION_FACTOR: '1',
    ...options.env,
    ...(options.kafka ? { KAFKA_BROKERS: options.kafka.brokers, KAFKA_TOPIC_PREFIX: options.kafka.topicPrefix } : {}),
  });
  const kafkaConnection = kafkaClientOptionsFromConfig(config);
  const kafka = options.kafka && kafkaConnection ? createKafkaClient({ ...kafkaConnection, clientId: 'coffeebuddy-test', log }) : undefined;
  if (kafka) await ensureTopics(kafka, topicOptionsFromConfig(config));
  let botUrl = '';
  const sandbox = options.sandbox
    ? await createSandbox({
        emulator: slack,
        botUrl: () => botUrl,
        signingSecret: testSigningSecret,
        people: options.sandbox.people,
        ...(options.sandbox.pageDir ? { pageDir: options.sandbox.pageDir } : {}),
      })
    : null;
  const ownPool = options.ownPool ? createDbFromConfig({ ...config, DATABASE_URL: options.ownPool.urlFor?.(db.url) ?? db.url }, 'coffeebuddy-test') : null;
  const stack = await startLocalStack({
    functions: options.functions,
    config,
    sql: ownPool ?? db.sql,
    ...createSlackPorts(
      {
        ...config,
        SLACK_TIMEOUT_MS: options.slackTimeouts?.ackMs ?? 1500,
        SLACK_EFFECT_TIMEOUT_MS: options.slackTimeouts?.effectMs ?? 2000,
      },
      log,
      metrics,
    ),
    log,
    metrics,
    now: () => clock.now,
    sweepMs: options.sweepMs ?? config.SWEEP_INTERVAL_MS,
    effectPolicy: options.effectPolicy ?? defaultEffectPolicy,
    ...(options.busPolicy ? { busPolicy: options.busPolicy } : {}),
    ...(kafka ? { kafka: { kafka, topicPrefix: options.kafka!.topicPrefix, groupPrefix: `${options.kafka!.topicPrefix}coffeebuddy-` } } : {}),
    ...(issuer ? { tokens: issuer } : {}),
    ...(sandbox ? { local: sandbox.handle } : {}),
  });
  botUrl = stack.url;
  const eventHeaders = async (fn: FunctionName): Promise<Record<string, string>> =>
    issuer ? { authorization: `Bearer ${await issuer.token(audienceFor(fn, config))}` } : {};
  return {
    ...stack,
    db,
    slack,
    metrics,
    clock,
    topicPrefix: options.kafka?.topicPrefix ?? null,
    postSigned: (path, body, signOptions = {}) =>
      slackDeadline(path, async (signal) => {
        const response = await fetch(`${stack.url}${path}`, {
          method: 'POST',
          headers: slackHeaders(signOptions.secret ?? testSigningSecret, body, signOptions.at ?? clock.now),
          body,
          signal,
        });
        // Read within the deadline, as Slack does; the copy can then be read after it.
        const answer = await response.arrayBuffer();
        return new Response(nullBodyStatuses.has(response.status) ? null : answer, { status: response.status, headers: response.headers });
      }),
    issuer,
    eventHeaders,
    sandbox,
    async runRetries(rounds = 20) {
      for (let moved = 0; ; moved++) {
        await stack.drain();
        const [next] = await db.sql<{ pending: number; dueAt: Date | null }[]>`
          select count(*)::int as pending, min(next_attempt_at) as due_at from slack_effects where done_at is null and parked_at is null`;
        if (!next?.dueAt || moved === rounds) return next?.pending ?? 0;
        if (next.dueAt > clock.now) clock.now = next.dueAt;
      }
    },
    postEvent: async (fn, request) =>
      fetch(`${stack.url}${eventPath(fn)}`, { method: 'POST', headers: { ...request.headers, ...(await eventHeaders(fn)) }, body: request.body }),
    async close() {
      sandbox?.close();
      await stack.close();
      await issuer?.close();
      await ownPool?.end({ timeout: 1 });
      await slack.close();
      await db.drop();
    },
  };
}

/** How long Slack waits for the answer to a command, an interaction or an event before giving up. */
export const slackGivesUpMs = 3_000;

const nullBodyStatuses = new Set([101, 204, 205, 304]);

/** Run `request` with Slack's deadline; past it, fail saying so instead of with a bare abort. */
async function slackDeadline<T>(path: string, request: (signal: AbortSignal) => Promise<T>): Promise<T> {
  try {
    return await request(AbortSignal.timeout(slackGivesUpMs));
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') {
      throw new Error(`Slack would have timed out after 3 s: POST ${path} did not answer in time`, { cause: error });
    }
    throw error;
  }
}

/**
 * A clock that starts at `start` and advances in real time; setting `now` moves it. It runs so
 * that retries scheduled on the app clock come due in real time, as in production.
 */
function runningClock(start: Date): { now: Date } {
  let base = start.getTime();
  let setAt = Date.now();
  return {
    get now() {
      return new Date(base + (Date.now() - setAt));
    },
    set now(value: Date) {
      base = value.getTime();
      setAt = Date.now();
    },
  };
}
