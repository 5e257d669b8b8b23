import { ConfigError } from './config.ts';
import { createDbFromConfig, warmPool } from './db/client.ts';
import type { AnyFunction } from './function.ts';
import { kafkaClientOptionsFromConfig } from './events/kafka-settings.ts';
import { createLazyKafkaTransport } from './events/lazy-kafka-transport.ts';
import { createLogger } from './logging.ts';
import { createMetrics } from './metrics.ts';
import { createRuntime, loadFunctionsConfig, type RuntimeConfig } from './runtime.ts';
import { slackNotConfigured } from './slack/not-configured.ts';
import { createSlackPorts } from './slack/web-api.ts';

/**
 * Start one function alone on `$PORT`, as its Knative Service does. Nothing waits for a
 * dependency before listening, so `/health/live` answers even while the database, Kafka or Slack
 * are unreachable; while the server starts listening the pool opens its connections and kafkajs
 * loads (where the function publishes), and `/health/ready` stays false until that is done, so the
 * first request routed here does not pay for them. Functions that publish send through Kafka
 * (`KAFKA_BROKERS`, required for them); the Kafka producer is closed on SIGTERM with the rest.
 */
export async function runStandalone(fn: AnyFunction, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: RuntimeConfig<AnyFunction>;
  try {
    config = loadFunctionsConfig([fn], env, { standalone: true });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${fn.name}: ${error.message}\n`);
    process.exit(1);
  }
  // Kubernetes sets KUBERNETES_SERVICE_HOST in every pod: there, an unauthenticated /events or
  // /sweep would let any pod in the cluster forge events.
  if (config.AUTH_DISABLED && env.KUBERNETES_SERVICE_HOST) {
    process.stderr.write(
      `${fn.name}: AUTH_DISABLED=true is refused in a cluster (KUBERNETES_SERVICE_HOST is set): set AUTH_OIDC_ISSUER and AUTH_OIDC_SUBJECTS (npm run manifests generates them)\n`,
    );
    process.exit(1);
  }
  if (config.EVENTS_OUTBOX_ONLY && env.KUBERNETES_SERVICE_HOST) {
    process.stderr.write(
      `${fn.name}: EVENTS_OUTBOX_ONLY=true is refused in a cluster (KUBERNETES_SERVICE_HOST is set): events would never be published; set KAFKA_BROKERS\n`,
    );
    process.exit(1);
  }
  const log = createLogger({ level: config.LOG_LEVEL, fields: { function: fn.name } });
  const metrics = createMetrics({ defaultMetrics: true, labels: { function: fn.name } });
  const sql = createDbFromConfig(config, `coffeebuddy-${fn.name}`);
  const { slack, effectSlack } = fn.usesSlack ? createSlackPorts(config, log, metrics) : { slack: slackNotConfigured, effectSlack: slackNotConfigured };
  const kafkaConnection = kafkaClientOptionsFromConfig(config);
  const transport =
    fn.publishes.length > 0 && kafkaConnection && !config.EVENTS_OUTBOX_ONLY
      ? createLazyKafkaTransport({
          connection: { ...kafkaConnection, clientId: `${kafkaConnection.clientId}-${fn.name}` },
          topicPrefix: config.KAFKA_TOPIC_PREFIX,
          log,
        })
      : null;
  if (fn.publishes.length > 0 && !transport) {
    log.warn('EVENTS_OUTBOX_ONLY=true: events wait in the outbox until another process publishes them');
  }
  // Knative routes nothing to a pod that is not ready, so no request would ever log why: say it once here.
  const warmDatabase = async () => {
    const failure = await warmPool(sql);
    if (failure) log.warn('database not reachable at start; /health/ready answers 503 until it is', { error: failure, code: codeOf(failure) });
  };
  const runtime = createRuntime({
    functions: [fn],
    config,
    sql,
    slack,
    effectSlack,
    transport,
    log,
    metrics,
    now: () => new Date(),
    sweepMs: config.SWEEP_INTERVAL_MS,
    tickMs: config.TICK_INTERVAL_MS,
    warming: Promise.all([warmDatabase(), transport?.warm(), fn.usesSlack ? warmFetch() : undefined]),
  });
  const port = await runtime.http.listen(config.PORT);
  log.info('listening', { port });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('draining', { signal });
    await runtime.close(config.SHUTDOWN_TIMEOUT_MS);
    await sql.end({ timeout: 5 });
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/**
 * Node 20 loads its `fetch` (undici, which the Slack client calls through) on first use, about
 * 15 ms: a `data:` URL loads it without touching the network.
 */
async function warmFetch(): Promise<void> {
  await fetch('data:,').then(
    (response) => response.arrayBuffer(),
    () => undefined,
  );
}

/** The error's code (`ECONNREFUSED`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE`, a SQLSTATE…), which says what to check. */
function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
