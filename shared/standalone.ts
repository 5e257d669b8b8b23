import { ConfigError } from './config.ts';
import { createDb } from './db/client.ts';
import type { AnyFunction } from './function.ts';
import { createKafkaClient, parseBrokers } from './events/kafka-client.ts';
import { createKafkaTransport } from './events/kafka-transport.ts';
import { createLogger } from './logging.ts';
import { createMetrics } from './metrics.ts';
import { createRuntime, loadFunctionsConfig } from './runtime.ts';
import { slackNotConfigured } from './slack/not-configured.ts';
import { createSlackWebApi } from './slack/web-api.ts';

/**
 * Start one function alone on `$PORT`, as its Knative Service does. Start-up is lazy: no
 * connection is opened before the first request or readiness probe, so `/health/live` answers
 * even while the database, Kafka or Slack are unreachable. Functions that publish send through
 * Kafka (`KAFKA_BROKERS`); the Kafka producer is closed on SIGTERM with the rest.
 */
export async function runStandalone(fn: AnyFunction, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config;
  try {
    config = loadFunctionsConfig([fn], env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${fn.name}: ${error.message}\n`);
    process.exit(1);
  }
  const log = createLogger({ level: config.LOG_LEVEL, fields: { function: fn.name } });
  const metrics = createMetrics({ defaultMetrics: true, labels: { function: fn.name } });
  const sql = createDb(config.DATABASE_URL, { max: config.DATABASE_POOL_MAX });
  const slack = fn.usesSlack
    ? createSlackWebApi({
        token: String(config.SLACK_BOT_TOKEN),
        ...(config.SLACK_API_URL ? { apiUrl: String(config.SLACK_API_URL) } : {}),
        timeoutMs: Number(config.SLACK_TIMEOUT_MS),
        log,
        metrics,
      })
    : slackNotConfigured;
  const transport =
    fn.publishes.length > 0 && config.KAFKA_BROKERS
      ? createKafkaTransport({
          kafka: createKafkaClient({ brokers: parseBrokers(config.KAFKA_BROKERS), clientId: `${config.KAFKA_CLIENT_ID}-${fn.name}`, log }),
          topicPrefix: config.KAFKA_TOPIC_PREFIX,
          log,
        })
      : null;
  if (fn.publishes.length > 0 && !transport) {
    log.warn('KAFKA_BROKERS not set: events wait in the outbox until a function with Kafka publishes them');
  }
  const runtime = createRuntime({
    functions: [fn],
    config,
    sql,
    slack,
    transport,
    log,
    metrics,
    now: () => new Date(),
    outboxSweepMs: config.OUTBOX_SWEEP_MS,
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
