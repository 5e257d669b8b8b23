import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The metrics every function exposes on `/metrics`; names follow the product spec. */
export interface Metrics {
  registry: Registry;
  runsTotal: Counter<'status'>;
  runDurationSeconds: Histogram;
  requestsTotal: Counter<'type'>;
  errorsTotal: Counter<'type'>;
  unauthorizedRequestsTotal: Counter<'route' | 'reason'>;
  ordersTotal: Counter<'drink' | 'change'>;
  requestDurationSeconds: Histogram<'route' | 'status'>;
  slackCallsTotal: Counter<'method' | 'outcome'>;
  eventsPublishedTotal: Counter<'type'>;
  eventsPublishFailedTotal: Counter<'type'>;
  eventsDeliveredTotal: Counter<'consumer' | 'outcome'>;
  eventsDeadLetteredTotal: Counter<'consumer'>;
  slackEffectsTotal: Counter<'kind' | 'outcome'>;
  remindersTotal: Counter<'kind' | 'outcome' | 'reason'>;
  reminderLatenessSeconds: Histogram<'kind'>;
  slackEffects: Gauge<'state'>;
  slackEffectsOldestPendingSeconds: Gauge;
  retentionDeletedTotal: Counter<'table'>;
  /** Ratings (1–5) of completed runs, new or changed: `_sum / _count` is the average the SPEC measures. */
  runRating: Histogram;
  /** Unfinished runs a dead-lettered close or runner assignment holds up until an operator replays it. */
  stuckRuns: Gauge;
  /** Where the effect gauges read their values at scrape time (the runtime sets it: it has the pool). */
  observeEffects(read: () => Promise<EffectBacklog>): void;
  /** Where `coffeebuddy_stuck_runs` reads its value at scrape time. */
  observeStuckRuns(read: () => Promise<number>): void;
}

/** What the effect gauges show: how many effects wait (pending) or gave up (parked), and the oldest wait. */
export interface EffectBacklog {
  pending: number;
  parked: number;
  oldestPendingSeconds: number;
}

/**
 * Create a fresh registry with the spec's metrics. One per process: `npm start` shares one
 * registry between all functions, so every metric is labelled by what it counts, not by function.
 */
export function createMetrics(options: { defaultMetrics?: boolean; labels?: Record<string, string> } = {}): Metrics {
  const registry = new Registry();
  if (options.labels) registry.setDefaultLabels(options.labels);
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  let readBacklog: (() => Promise<EffectBacklog>) | null = null;
  let readStuckRuns: (() => Promise<number>) | null = null;
  // Both gauges are read in one query per scrape; the second reuses the first's answer.
  let lastBacklog: Promise<EffectBacklog | null> = Promise.resolve(null);
  const backlog = () => (readBacklog ? readBacklog().catch(() => null) : Promise.resolve(null));
  return {
    registry,
    runsTotal: new Counter({
      name: 'coffeebuddy_runs_total',
      help: 'Coffee runs by the status they reached',
      labelNames: ['status'],
      registers,
    }),
    runDurationSeconds: new Histogram({
      name: 'coffeebuddy_run_duration_seconds',
      help: 'Time from a run being started to it being closed',
      buckets: [60, 300, 600, 900, 1800, 3600, 7200],
      registers,
    }),
    requestsTotal: new Counter({
      name: 'coffeebuddy_requests_total',
      help: 'Requests handled, by type (slash, interaction, event)',
      labelNames: ['type'],
      registers,
    }),
    errorsTotal: new Counter({
      name: 'coffeebuddy_errors_total',
      help: 'Errors by type',
      labelNames: ['type'],
      registers,
    }),
    unauthorizedRequestsTotal: new Counter({
      name: 'coffeebuddy_unauthorized_requests_total',
      help: 'Requests to internal endpoints (/events/*, /sweep) refused for a missing or bad bearer token, by route and reason',
      labelNames: ['route', 'reason'],
      registers,
    }),
    ordersTotal: new Counter({
      name: 'coffeebuddy_orders_total',
      help: 'Order changes by drink (free_text for typed orders) and change (placed, updated, withdrawn)',
      labelNames: ['drink', 'change'],
      registers,
    }),
    requestDurationSeconds: new Histogram({
      name: 'coffeebuddy_http_request_duration_seconds',
      help: 'HTTP request latency by route and status',
      labelNames: ['route', 'status'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5],
      registers,
    }),
    slackCallsTotal: new Counter({
      name: 'coffeebuddy_slack_calls_total',
      help: 'Slack Web API calls by method and outcome (ok, error, rate_limited, retry)',
      labelNames: ['method', 'outcome'],
      registers,
    }),
    eventsPublishedTotal: new Counter({
      name: 'coffeebuddy_events_published_total',
      help: 'Events published from the outbox, by type',
      labelNames: ['type'],
      registers,
    }),
    eventsPublishFailedTotal: new Counter({
      name: 'coffeebuddy_events_publish_failed_total',
      help: 'Outbox publish attempts that failed and will be retried, by type',
      labelNames: ['type'],
      registers,
    }),
    eventsDeliveredTotal: new Counter({
      name: 'coffeebuddy_events_delivered_total',
      help: 'Event deliveries to consumers by outcome (ok, retry, dead_letter)',
      labelNames: ['consumer', 'outcome'],
      registers,
    }),
    eventsDeadLetteredTotal: new Counter({
      name: 'coffeebuddy_events_dead_lettered_total',
      help: 'Events parked in the dead-letter store, by consumer',
      labelNames: ['consumer'],
      registers,
    }),
    remindersTotal: new Counter({
      name: 'coffeebuddy_reminders_total',
      help: 'Reminders and last calls by kind and outcome (scheduled, sent, skipped, canceled), with the reason for skips',
      labelNames: ['kind', 'outcome', 'reason'],
      registers,
    }),
    reminderLatenessSeconds: new Histogram({
      name: 'coffeebuddy_reminder_lateness_seconds',
      help: 'How long after its due time a reminder, last call or pickup nudge was sent',
      labelNames: ['kind'],
      buckets: [1, 5, 15, 30, 60, 120, 300, 900],
      registers,
    }),
    slackEffectsTotal: new Counter({
      name: 'coffeebuddy_slack_effects_total',
      help: 'Slack effects (posts, edits, DMs) by kind and outcome (done, retry, rerun, parked)',
      labelNames: ['kind', 'outcome'],
      registers,
    }),
    retentionDeletedTotal: new Counter({
      name: 'coffeebuddy_retention_deleted_total',
      help: 'Rows deleted by retention (admin daily tick), by table',
      labelNames: ['table'],
      registers,
    }),
    runRating: new Histogram({
      name: 'coffeebuddy_run_rating',
      help: 'Ratings of completed runs from 1 (poor) to 5 (great), observed when given or changed; sum / count is the average',
      buckets: [1, 2, 3, 4, 5],
      registers,
    }),
    slackEffects: new Gauge({
      name: 'coffeebuddy_slack_effects',
      help: 'Slack effects waiting to be carried out (pending) or given up for an operator (parked)',
      labelNames: ['state'],
      registers,
      async collect() {
        lastBacklog = backlog();
        const value = await lastBacklog;
        if (!value) return;
        this.set({ state: 'pending' }, value.pending);
        this.set({ state: 'parked' }, value.parked);
      },
    }),
    slackEffectsOldestPendingSeconds: new Gauge({
      name: 'coffeebuddy_slack_effects_oldest_pending_seconds',
      help: 'Age of the oldest Slack effect not yet carried out (0 when none); alert when it grows',
      registers,
      async collect() {
        const value = await lastBacklog;
        if (value) this.set(value.oldestPendingSeconds);
      },
    }),
    stuckRuns: new Gauge({
      name: 'coffeebuddy_stuck_runs',
      help: 'Unfinished runs whose close or runner assignment was dead-lettered: each waits for an operator to replay it',
      registers,
      async collect() {
        const value = readStuckRuns ? await readStuckRuns().catch(() => null) : null;
        if (value !== null) this.set(value);
      },
    }),
    observeEffects(read) {
      readBacklog = read;
    },
    observeStuckRuns(read) {
      readStuckRuns = read;
    },
  };
}
