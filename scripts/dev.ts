/**
 * `npm start`: every function in one process on one port, on embedded defaults — PGlite kept under
 * `.data/`, the in-process event bus, and a Slack Web API emulator that prints what the bot posts.
 * DATABASE_URL, KAFKA_BROKERS, SLACK_API_URL / SLACK_BOT_TOKEN swap in the real things.
 */
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { registry } from '../functions/registry.ts';
import { ConfigError } from '../shared/config.ts';
import { createDb } from '../shared/db/client.ts';
import { createKafkaClient, parseBrokers } from '../shared/events/kafka-client.ts';
import { ensureTopics } from '../shared/events/kafka-topics.ts';
import { migrate } from '../shared/db/migrate.ts';
import { startLocalStack } from '../shared/local-stack.ts';
import { createLogger } from '../shared/logging.ts';
import { createMetrics } from '../shared/metrics.ts';
import { loadFunctionsConfig } from '../shared/runtime.ts';
import { describeCall, startSlackEmulator, type SlackEmulator } from '../shared/slack/emulator.ts';
import { createSlackWebApi } from '../shared/slack/web-api.ts';
import { curlCommand } from './sign-request.ts';

const devSigningSecret = 'coffeebuddy-local-dev-signing-secret';
const say = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: process.env.PORT ?? '3000' };
  const cleanups: (() => Promise<void>)[] = [];

  let pglite: PGLiteSocketServer | undefined;
  if (!env.DATABASE_URL) {
    const dataDir = env.COFFEEBUDDY_DATA_DIR ?? '.data/pglite';
    mkdirSync(dataDir, { recursive: true });
    say(`Database: PGlite in ${dataDir} (set DATABASE_URL to use a Postgres server)`);
    const db = await PGlite.create(dataDir);
    // PGlite serialises connections while one is inside a transaction, so a small pool is safe.
    pglite = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 10 });
    await pglite.start();
    env.DATABASE_URL = `postgres://postgres@${pglite.getServerConn()}/postgres`;
    const server = pglite;
    cleanups.push(async () => {
      await server.stop();
      await db.close();
    });
  }

  let emulator: SlackEmulator | undefined;
  if (!env.SLACK_API_URL && !env.SLACK_BOT_TOKEN) {
    emulator = await startSlackEmulator({
      users: { U0LOCAL1: { name: 'ana', tz: env.DEFAULT_TIME_ZONE ?? 'UTC' } },
      onCall: (call) => say(`[slack] ${describeCall(call)}`),
    });
    env.SLACK_API_URL = emulator.url;
    env.SLACK_BOT_TOKEN = 'xoxb-local-emulator';
    const running = emulator;
    cleanups.push(() => running.close());
    say(`Slack: built-in Web API emulator at ${emulator.url} (its calls are printed as [slack] lines)`);
  }
  if (env.SLACK_API_URL && !env.SLACK_BOT_TOKEN) {
    // A Slack emulator of the user's own: it needs a token-shaped value, not a real one.
    env.SLACK_BOT_TOKEN = 'xoxb-local-emulator';
    say(`Slack: Web API at ${env.SLACK_API_URL} with a placeholder token (set SLACK_BOT_TOKEN for a real workspace)`);
  }
  if (!env.SLACK_SIGNING_SECRET) {
    env.SLACK_SIGNING_SECRET = devSigningSecret;
    say(`Signing secret: none set, using the local dev secret "${devSigningSecret}"`);
  }

  const config = loadFunctionsConfig(registry, env);
  const log = createLogger({ level: config.LOG_LEVEL, fields: { process: 'coffeebuddy-local' } });
  const metrics = createMetrics({ defaultMetrics: true });
  const sql = createDb(config.DATABASE_URL, { max: config.DATABASE_POOL_MAX });
  cleanups.unshift(() => sql.end({ timeout: 5 }));
  const applied = await migrate(sql);
  say(`Migrations: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`);

  const slack = createSlackWebApi({
    token: String(config.SLACK_BOT_TOKEN),
    apiUrl: String(config.SLACK_API_URL ?? 'https://slack.com/api/'),
    timeoutMs: Number(config.SLACK_TIMEOUT_MS),
    log,
    metrics,
  });
  let kafka;
  if (config.KAFKA_BROKERS) {
    kafka = createKafkaClient({ brokers: parseBrokers(config.KAFKA_BROKERS), clientId: config.KAFKA_CLIENT_ID, log });
    const created = await ensureTopics(kafka, { prefix: config.KAFKA_TOPIC_PREFIX });
    say(`Events: Kafka at ${config.KAFKA_BROKERS}${created.length ? ` (created ${created.join(', ')})` : ''}, delivered by a KafkaSource-like dispatcher`);
  } else {
    say('Events: in-process bus (set KAFKA_BROKERS to use Kafka)');
  }
  const stack = await startLocalStack({
    functions: registry,
    config,
    sql,
    slack,
    log,
    metrics,
    now: () => new Date(),
    host: env.HOST ?? '127.0.0.1',
    outboxSweepMs: config.OUTBOX_SWEEP_MS,
    ...(kafka ? { kafka: { kafka, topicPrefix: config.KAFKA_TOPIC_PREFIX } } : {}),
  });
  cleanups.unshift(() => stack.close());

  const responseUrl = emulator?.responseUrl('local') ?? 'http://127.0.0.1:9/response';
  say('');
  say(`CoffeeBuddy is running on ${stack.url}`);
  say(`  POST ${stack.url}/slack/commands       (Kong route for /coffee)`);
  say(`  POST ${stack.url}/slack/interactions   (Kong route for buttons and modals)`);
  for (const route of stack.runtime.routes.filter((r) => r.type === 'event')) say(`  POST ${stack.url}${route.path}`);
  say(`  GET  ${stack.url}/health/ready   ${stack.url}/health/live   ${stack.url}/metrics`);
  say('');
  say('Start a coffee run (signed now, valid for 5 minutes; `npm run -s slack:curl -- "10:30 Lobby"` makes a fresh one):');
  say(
    curlCommand({
      url: `${stack.url}/slack/commands`,
      secret: String(config.SLACK_SIGNING_SECRET),
      text: 'in 15m Lobby',
      userId: 'U0LOCAL1',
      responseUrl,
      at: new Date(),
    }),
  );
  say('');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: draining and stopping`);
    for (const cleanup of cleanups) await cleanup().catch((error: unknown) => log.error('shutdown step failed', { error }));
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  say(error instanceof ConfigError ? error.message : `CoffeeBuddy failed to start: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
