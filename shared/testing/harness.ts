import type { RetryPolicy } from '../events/delivery.ts';
import { createKafkaClient, parseBrokers } from '../events/kafka-client.ts';
import { ensureTopics } from '../events/kafka-topics.ts';
import type { AnyFunction } from '../function.ts';
import { startLocalStack, type LocalStack } from '../local-stack.ts';
import { silentLogger, type Logger } from '../logging.ts';
import { createMetrics, type Metrics } from '../metrics.ts';
import { loadFunctionsConfig } from '../runtime.ts';
import { startSlackEmulator, type EmulatedUser, type SlackEmulator } from '../slack/emulator.ts';
import { createSlackWebApi } from '../slack/web-api.ts';
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
  /** The stack's clock; tests move it. */
  clock: { now: Date };
  /** POST a form body signed as Slack would sign it now. */
  postSigned(path: string, body: string, options?: { secret?: string; at?: Date }): Promise<Response>;
}

/** Start the given functions against a fresh database and a fresh Slack emulator. */
export async function startTestStack(options: {
  functions: readonly AnyFunction[];
  users?: Record<string, EmulatedUser>;
  env?: Record<string, string>;
  busPolicy?: RetryPolicy;
  kafka?: { brokers: string; topicPrefix: string };
  log?: Logger;
  now?: Date;
}): Promise<TestStack> {
  const db = await createTestDatabase();
  const slack = await startSlackEmulator({ users: options.users ?? {} });
  const clock = { now: options.now ?? new Date() };
  const log = options.log ?? silentLogger;
  const metrics = createMetrics();
  const config = loadFunctionsConfig(options.functions, {
    PORT: '0',
    DATABASE_URL: db.url,
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_API_URL: slack.url,
    SLACK_SIGNING_SECRET: testSigningSecret,
    SHUTDOWN_TIMEOUT_MS: '2000',
    ...options.env,
  });
  const kafka = options.kafka
    ? createKafkaClient({ brokers: parseBrokers(options.kafka.brokers), clientId: 'coffeebuddy-test', log })
    : undefined;
  if (kafka) await ensureTopics(kafka, { prefix: options.kafka!.topicPrefix });
  const stack = await startLocalStack({
    functions: options.functions,
    config,
    sql: db.sql,
    slack: createSlackWebApi({ token: 'xoxb-test-token', apiUrl: slack.url, timeoutMs: 2000, log, metrics }),
    log,
    metrics,
    now: () => clock.now,
    outboxSweepMs: 0,
    ...(options.busPolicy ? { busPolicy: options.busPolicy } : {}),
    ...(kafka ? { kafka: { kafka, topicPrefix: options.kafka!.topicPrefix, groupPrefix: `${options.kafka!.topicPrefix}coffeebuddy-` } } : {}),
  });
  return {
    ...stack,
    db,
    slack,
    metrics,
    clock,
    topicPrefix: options.kafka?.topicPrefix ?? null,
    postSigned: (path, body, signOptions = {}) =>
      fetch(`${stack.url}${path}`, {
        method: 'POST',
        headers: slackHeaders(signOptions.secret ?? testSigningSecret, body, signOptions.at ?? clock.now),
        body,
      }),
    async close() {
      await stack.close();
      await slack.close();
      await db.drop();
    },
  };
}
