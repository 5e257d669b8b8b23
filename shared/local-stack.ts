import type { Pool } from './db/client.ts';
import { storeDeadLetter } from './events/dead-letters.ts';
import { createInProcessBus, type InProcessBus } from './events/in-process-bus.ts';
import type { RetryPolicy } from './events/delivery.ts';
import type { EventTransport } from './events/transport.ts';
import { eventPath, type AnyFunction } from './function.ts';
import type { Logger } from './logging.ts';
import type { Metrics } from './metrics.ts';
import { createRuntime, type Runtime, type RuntimeConfig } from './runtime.ts';
import type { SlackPort } from './slack/port.ts';

export interface LocalStack {
  url: string;
  port: number;
  runtime: Runtime;
  /** The in-process bus, when no other transport was given. */
  bus: InProcessBus | null;
  close(): Promise<void>;
}

/**
 * Every given function in one process behind one port, with Kong's Slack routes and a CloudEvents
 * endpoint per consumer. Events go through `transport`, or by default through the in-process bus,
 * which delivers to this same server exactly as KafkaSource would.
 */
export async function startLocalStack(options: {
  functions: readonly AnyFunction[];
  config: RuntimeConfig;
  sql: Pool;
  slack: SlackPort;
  log: Logger;
  metrics: Metrics;
  now: () => Date;
  host?: string;
  transport?: EventTransport;
  busPolicy?: RetryPolicy;
  outboxSweepMs?: number;
}): Promise<LocalStack> {
  let baseUrl = '';
  const bus = options.transport
    ? null
    : createInProcessBus({
        subscriptions: () =>
          options.functions
            .filter((fn) => Object.keys(fn.consumes).length > 0)
            .map((fn) => ({ consumer: fn.name, types: Object.keys(fn.consumes), url: `${baseUrl}${eventPath(fn.name)}` })),
        deadLetter: (letter) => storeDeadLetter(options.sql, letter),
        log: options.log.child({ component: 'event-bus' }),
        metrics: options.metrics,
        ...(options.busPolicy ? { policy: options.busPolicy } : {}),
      });
  const runtime = createRuntime({
    functions: options.functions,
    config: options.config,
    sql: options.sql,
    slack: options.slack,
    transport: options.transport ?? bus,
    log: options.log,
    metrics: options.metrics,
    now: options.now,
    outboxSweepMs: options.outboxSweepMs ?? 5_000,
  });
  const host = options.host ?? '127.0.0.1';
  const port = await runtime.http.listen(options.config.PORT, host);
  baseUrl = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  return {
    url: baseUrl,
    port,
    runtime,
    bus,
    close: () => runtime.close(Number(options.config.SHUTDOWN_TIMEOUT_MS)),
  };
}
