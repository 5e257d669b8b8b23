import { ConfigError } from './config.ts';
import { createDb } from './db/client.ts';
import type { AnyFunction } from './function.ts';
import { createLogger } from './logging.ts';
import { createMetrics } from './metrics.ts';
import { createRuntime, loadFunctionsConfig } from './runtime.ts';
import { slackNotConfigured } from './slack/not-configured.ts';
import { createSlackWebApi } from './slack/web-api.ts';

/**
 * Start one function alone on `$PORT`, as its Knative Service does. Start-up is lazy: no
 * connection is opened before the first request or readiness probe, so `/health/live` answers
 * even while the database, Kafka or Slack are unreachable.
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
  if (fn.publishes.length > 0) {
    log.warn('no event transport configured: events wait in the outbox until a relay with one publishes them');
  }
  const runtime = createRuntime({
    functions: [fn],
    config,
    sql,
    slack,
    transport: null,
    log,
    metrics,
    now: () => new Date(),
    outboxSweepMs: 0,
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
