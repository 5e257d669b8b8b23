/**
 * Scraping and alerting for the Prometheus operator: a PodMonitor for the functions' `/metrics`
 * and a PrometheusRule over the `coffeebuddy_*` metrics (shared/metrics.ts). The effect gauges
 * are read from the database by every function alike, so alerts take their max, not their sum.
 */
import { partOf } from './names.ts';
import type { ManifestOptions } from './options.ts';

/** monitoring.coreos.com/v1 PodMonitor, as generated. */
export interface PodMonitor {
  apiVersion: 'monitoring.coreos.com/v1';
  kind: 'PodMonitor';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: {
    selector: { matchLabels: Record<string, string> };
    podMetricsEndpoints: { port: string; path: string; interval: string }[];
  };
}

/** One alerting rule of a PrometheusRule. */
export interface Alert {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: 'warning' | 'critical' };
  annotations: { summary: string; description: string };
}

/** monitoring.coreos.com/v1 PrometheusRule, as generated. */
export interface PrometheusRule {
  apiVersion: 'monitoring.coreos.com/v1';
  kind: 'PrometheusRule';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: { groups: { name: string; rules: Alert[] }[] };
}

/**
 * Scrape every function's pods on the app container's port, which Knative names `user-port` in
 * the Deployment it makes (serving `v1.UserPortName`); `/metrics` needs no token.
 */
export function podMonitor(options: ManifestOptions): PodMonitor {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: { name: 'coffeebuddy', namespace: options.namespace, labels: { ...partOf } },
    spec: {
      selector: { matchLabels: { ...partOf, 'app.kubernetes.io/component': 'function' } },
      podMetricsEndpoints: [{ port: 'user-port', path: '/metrics', interval: '30s' }],
    },
  };
}

/** The alerts, each saying what a person sees when it fires and where to look. */
export function alerts(): Alert[] {
  return [
    {
      alert: 'CoffeeBuddyHighErrorRate',
      expr: [
        'sum by (function) (rate(coffeebuddy_http_request_duration_seconds_count{status=~"5.."}[5m]))',
        '  / sum by (function) (rate(coffeebuddy_http_request_duration_seconds_count[5m])) > 0.05',
      ].join('\n'),
      for: '10m',
      labels: { severity: 'critical' },
      annotations: {
        summary: '{{ $labels.function }}: more than 5% of requests fail',
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
      // Counted by the local and Kafka dispatchers; in Knative the KafkaSource dead-letters, which
      // the next alert sees on the topic.
      expr: 'sum by (consumer) (increase(coffeebuddy_events_dead_lettered_total[15m])) > 0',
      for: '0m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Events for {{ $labels.consumer }} were dead-lettered',
        description: 'Replay them with `npm run dead-letters -- list` / `replay` once the cause is fixed.',
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
}

/** The PrometheusRule holding {@link alerts}. */
export function prometheusRule(options: ManifestOptions): PrometheusRule {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'coffeebuddy', namespace: options.namespace, labels: { ...partOf } },
    spec: { groups: [{ name: 'coffeebuddy', rules: alerts() }] },
  };
}
