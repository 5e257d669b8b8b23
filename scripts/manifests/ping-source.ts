/**
 * PingSources (sources.knative.dev/v1): the timers. Today there is one per function that has
 * something to catch up on: `POST /sweep` publishes outbox rows a Kafka outage left behind and
 * retries due Slack effects (shared/runtime.ts).
 */
import { tickPath, type AnyFunction, type FunctionTimer } from '../../shared/function.ts';
import type { PingSource } from './knative-types.ts';
import { audienceFor, functionLabels, needsSweep, servesSlack } from './names.ts';
import type { ManifestOptions } from './options.ts';

/** The path every function's sweep is served on. */
export const sweepPath = '/sweep';

/**
 * Every minute where an instance is always up (the Slack functions). A function that scales to
 * zero is swept every 5 minutes instead: a tick each minute would keep it from ever scaling down
 * (Knative's stable window is 60 s), and while it is up after real traffic its own timer
 * (`SWEEP_INTERVAL_MS`) sweeps every 10 s; the tick only wakes it for what it left behind.
 */
export function sweepSchedule(fn: AnyFunction): string {
  return servesSlack(fn) ? '* * * * *' : '*/5 * * * *';
}

/** The function's sweep PingSource, or null when it has nothing to sweep. */
export function sweepPingSource(fn: AnyFunction, options: ManifestOptions): PingSource | null {
  if (!needsSweep(fn)) return null;
  return {
    apiVersion: 'sources.knative.dev/v1',
    kind: 'PingSource',
    metadata: { name: `${fn.name}-sweep`, namespace: options.namespace, labels: { ...functionLabels(fn), 'app.kubernetes.io/component': 'event-source' } },
    spec: {
      schedule: sweepSchedule(fn),
      timezone: 'Etc/UTC',
      contentType: 'application/json',
      // The sweep reads no body; this only says what the tick is for in logs and traces.
      data: JSON.stringify({ task: 'sweep' }),
      sink: {
        ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: fn.name },
        uri: sweepPath,
        audience: audienceFor(fn),
      },
    },
  };
}

/** The PingSource of a function's timer: posts a tick to `POST /ticks/<name>` on its schedule (UTC). */
export function timerPingSource(fn: AnyFunction, timer: FunctionTimer<unknown>, options: ManifestOptions): PingSource {
  return {
    apiVersion: 'sources.knative.dev/v1',
    kind: 'PingSource',
    metadata: {
      name: `${fn.name}-${timer.name}`,
      namespace: options.namespace,
      labels: { ...functionLabels(fn), 'app.kubernetes.io/component': 'event-source' },
    },
    spec: {
      schedule: timer.schedule,
      timezone: 'Etc/UTC',
      contentType: 'application/json',
      data: JSON.stringify({ task: timer.name }),
      sink: {
        ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: fn.name },
        uri: tickPath(timer),
        audience: audienceFor(fn),
      },
    },
  };
}
