/**
 * Scraping and alerting for the Prometheus operator: a PodMonitor for the functions' `/metrics`
 * and a PrometheusRule over the `coffeebuddy_*` metrics (shared/metrics.ts). The effect gauges
 * are read from the database by every function alike, so alerts take their max, not their sum.
 */
import type { AnyFunction } from '../../shared/function.ts';
import { partOf, servesSlack } from './names.ts';
import type { ManifestOptions } from './options.ts';

/** monitoring.coreos.com/v1 PodMonitor, as generated. */
export interface PodMonitor {
  apiVersion: 'monitoring.coreos.com/v1';
  kind: 'PodMonitor';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: {
    selector: { matchLabels: Record<string, string> };
    podTargetLabels: string[];
    podMetricsEndpoints: { port: string; path: string; interval: string }[];
  };
}

/** One alerting rule of a PrometheusRule. */
export interface Alert {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: 'warning' | 'critical' };
  annotations: { summary: string; description: string; runbook_url: string };
}

/** monitoring.coreos.com/v1 PrometheusRule, as generated. */
export interface PrometheusRule {
  apiVersion: 'monitoring.coreos.com/v1';
  kind: 'PrometheusRule';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: { groups: { name: string; rules: Alert[] }[] };
}

/** The pod label that names the function on every scraped series, `up` included (`podTargetLabels`). */
export const functionTargetLabel = 'app_kubernetes_io_name';

/**
 * Scrape every function's pods on the app container's port, which Knative names `user-port` in
 * the Deployment it makes (serving `v1.UserPortName`); `/metrics` needs no token. Each series gets
 * the pod's `app.kubernetes.io/name` (the function), so `up` says which function is down.
 */
export function podMonitor(options: ManifestOptions): PodMonitor {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: { name: 'coffeebuddy', namespace: options.namespace, labels: { ...partOf } },
    spec: {
      selector: { matchLabels: { ...partOf, 'app.kubernetes.io/component': 'function' } },
      podTargetLabels: ['app.kubernetes.io/name'],
      podMetricsEndpoints: [{ port: 'user-port', path: '/metrics', interval: '30s' }],
    },
  };
}

/** An alert as written here; its `runbook_url` (README's section of the same name) is added by {@link alerts}. */
type AlertSpec = Omit<Alert, 'annotations'> & { annotations: Omit<Alert['annotations'], 'runbook_url'> };

/**
 * The alerts, each saying what a person sees when it fires and pointing at its runbook: README's
 * "Runbooks" section with the alert's name as heading.
 */
export function alerts(functions: readonly AnyFunction[], options: ManifestOptions): Alert[] {
  const slackFunctions = functions.filter(servesSlack).map((fn) => fn.name);
  const job = `${options.namespace}/coffeebuddy`;
  const specs: AlertSpec[] = [
    {
      alert: 'CoffeeBuddyFunctionDown',
      // The Slack functions never scale to zero: no instance answering its scrape is an outage.
      // (Event consumers do scale to zero, so their absence says nothing.)
      expr: slackFunctions.map((name) => `absent(up{job="${job}", ${functionTargetLabel}="${name}"} == 1)`).join(' or '),
      for: '3m',
      labels: { severity: 'critical' },
      annotations: {
        summary: 'A Slack-facing function has no instance answering',
        description: '/coffee or the buttons get "dispatch_failed" or time out in Slack. Check the KService, its pods and their logs.',
      },
    },
    {
      alert: 'CoffeeBuddyFunctionNotReady',
      // kube-state-metrics' pod readiness: /health/ready answers 503 while the database is unreachable.
      expr: `sum by (pod) (kube_pod_status_ready{namespace="${options.namespace}", condition="false", pod=~"(${functions.map((fn) => fn.name).join('|')})-[0-9]+-deployment-.*"}) > 0`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: '{{ $labels.pod }} has not been ready for 5 minutes',
        description: 'Its /health/ready names the dependency it cannot reach (database, events). Knative sends it no requests meanwhile.',
      },
    },
    {
      alert: 'CoffeeBuddyHighErrorRate',
      expr: [
        'sum by (function) (rate(coffeebuddy_http_request_duration_seconds_count{status=~"5.."}[5m]))',
        '  / sum by (function) (rate(coffeebuddy_http_request_duration_seconds_count[5m])) > 0.01',
      ].join('\n'),
      for: '5m',
      labels: { severity: 'critical' },
      annotations: {
        summary: '{{ $labels.function }}: more than 1% of requests fail',
        description: "Slack users see apologies, or events are being retried. Check the function's logs and /health/ready.",
      },
    },
    {
      alert: 'CoffeeBuddySlowSlackAck',
      expr: 'histogram_quantile(0.95, sum by (le, function, route) (rate(coffeebuddy_http_request_duration_seconds_bucket{route=~"/slack/.*"}[5m]))) > 2',
      for: '10m',
      labels: { severity: 'warning' },
      annotations: {
        summary: '{{ $labels.route }}: p95 answer to Slack above 2 s',
        description: 'Slack gives up at 3 s. Look at database latency, Slack API latency and cold starts (min-scale).',
      },
    },
    {
      alert: 'CoffeeBuddyPoisonEvents',
      // KafkaSource dead-letters a 400 at once; the function counts what it refused.
      expr: 'sum by (function) (increase(coffeebuddy_errors_total{type="event_validation"}[15m])) > 0',
      for: '0m',
      labels: { severity: 'warning' },
      annotations: {
        summary: '{{ $labels.function }} refused events as invalid; they went to the dead-letter topic',
        description: "A producer and a consumer disagree on an event's schema. Inspect the coffeebuddy.dead-letter topic.",
      },
    },
    {
      alert: 'CoffeeBuddyEventsDeadLettered',
      // Counted where a dead letter is parked (admin's /events/dead-letters in a cluster) and by the
      // local and Kafka dispatchers.
      expr: 'sum by (consumer) (increase(coffeebuddy_events_dead_lettered_total[15m])) > 0',
      for: '0m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Events for {{ $labels.consumer }} were dead-lettered',
        description:
          'A step of a run (close, runner, reminder) did not happen. Replay them with `npm run dead-letters -- list` / `replay` once the cause is fixed.',
      },
    },
    {
      alert: 'CoffeeBuddyDeadLetterTopicGrowing',
      // Needs kafka_exporter (danielqsj/kafka_exporter) scraping the cluster; silent without it.
      expr: 'sum(increase(kafka_topic_partition_current_offset{topic=~".*coffeebuddy\\\\.dead-letter"}[15m])) > 0',
      for: '0m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Events reached the dead-letter topic',
        description: 'A KafkaSource gave up on an event (retries exhausted or a 4xx). Read the topic and replay.',
      },
    },
    {
      alert: 'CoffeeBuddySlackEffectsParked',
      expr: 'max(coffeebuddy_slack_effects{state="parked"}) > 0',
      for: '5m',
      labels: { severity: 'critical' },
      annotations: {
        summary: '{{ $value }} Slack posts or edits were given up after 24 h of retries',
        description: 'Users miss a summary, DM or update. `npm run dead-letters -- list`, fix the cause, `replay`.',
      },
    },
    {
      alert: 'CoffeeBuddySlackEffectsStuck',
      expr: 'max(coffeebuddy_slack_effects_oldest_pending_seconds) > 300',
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'A Slack post has been pending for over 5 minutes',
        description: 'Slack is down or rate-limiting, or the token was revoked. Check coffeebuddy_slack_calls_total by outcome.',
      },
    },
    {
      alert: 'CoffeeBuddySlackEffectsBacklog',
      expr: 'max(coffeebuddy_slack_effects{state="pending"}) > 100',
      for: '10m',
      labels: { severity: 'warning' },
      annotations: {
        summary: '{{ $value }} Slack posts and edits are waiting',
        description: 'Run messages, summaries and DMs lag behind. Slack is slow or rate-limiting, or too few instances sweep.',
      },
    },
    {
      alert: 'CoffeeBuddyStuckRuns',
      // Every function reads the same value from the database: max, not sum. The run's thread was
      // told an operator is alerted, so no waiting period.
      expr: 'max(coffeebuddy_stuck_runs) > 0',
      for: '0m',
      labels: { severity: 'critical' },
      annotations: {
        summary: '{{ $value }} coffee runs are stuck: their close or runner assignment was dead-lettered',
        description: "The run's thread was told an operator is on it. `npm run dead-letters -- list`, fix the cause, `replay <id>`.",
      },
    },
    {
      alert: 'CoffeeBuddyOutboxLag',
      expr: 'sum by (function) (increase(coffeebuddy_events_publish_failed_total[10m])) > 0',
      for: '10m',
      labels: { severity: 'warning' },
      annotations: {
        summary: '{{ $labels.function }} cannot publish events to Kafka',
        description:
          "Events wait in the outbox (nothing is lost) and closes, runners and summaries are delayed. Check Kafka and the function's KAFKA_* settings.",
      },
    },
  ];
  return specs.map((spec) => ({ ...spec, annotations: { ...spec.annotations, runbook_url: `${options.runbookBaseUrl}#${runbookAnchor(spec.alert)}` } }));
}

/** GitHub's and GitLab's anchor of a README heading that is the alert's name. */
export function runbookAnchor(alert: string): string {
  return alert.toLowerCase();
}

/** The PrometheusRule holding {@link alerts}. */
export function prometheusRule(functions: readonly AnyFunction[], options: ManifestOptions): PrometheusRule {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'coffeebuddy', namespace: options.namespace, labels: { ...partOf } },
    spec: { groups: [{ name: 'coffeebuddy', rules: alerts(functions, options) }] },
  };
}
