/**
 * The Grafana dashboard over the `coffeebuddy_*` metrics (shared/metrics.ts): what users feel
 * first (requests, errors, Slack latency), then what is behind it (Slack calls, events, effects,
 * runs). Provisioned by the Grafana sidecar from a ConfigMap labelled `grafana_dashboard` (see
 * kustomization.yaml), or imported by hand.
 */

/** One time-series panel: a title, its queries (PromQL, legend) and the unit of its axis. */
interface PanelSpec {
  title: string;
  unit: string;
  targets: { expr: string; legend: string }[];
  description: string;
}

/** The panels, in reading order (two per row). */
export const panels: PanelSpec[] = [
  {
    title: 'Requests by type',
    unit: 'reqps',
    description: 'Slash commands, interactions and event deliveries per second.',
    targets: [{ expr: 'sum by (type) (rate(coffeebuddy_requests_total[$__rate_interval]))', legend: '{{type}}' }],
  },
  {
    title: 'Errors by type',
    unit: 'short',
    description: 'Errors counted by the functions, by kind (validation, upstream, unauthorized, …).',
    targets: [{ expr: 'sum by (type) (increase(coffeebuddy_errors_total[$__rate_interval]))', legend: '{{type}}' }],
  },
  {
    title: 'Orders',
    unit: 'short',
    description: 'Orders placed, changed and withdrawn: how much the bot is used.',
    targets: [{ expr: 'sum by (change) (increase(coffeebuddy_orders_total[$__rate_interval]))', legend: '{{change}}' }],
  },
  {
    title: 'Runs by status',
    unit: 'short',
    description: 'Coffee runs reaching each status.',
    targets: [{ expr: 'sum by (status) (increase(coffeebuddy_runs_total[$__rate_interval]))', legend: '{{status}}' }],
  },
  {
    title: 'Answer time to Slack (p50, p95, p99)',
    unit: 's',
    description: 'Slack gives up at 3 s; the alert fires at a p95 above 2 s. p99 is what the unluckiest users see (cold starts, a slow database).',
    targets: [
      {
        expr: 'histogram_quantile(0.5, sum by (le, route) (rate(coffeebuddy_http_request_duration_seconds_bucket{route=~"/slack/.*"}[$__rate_interval])))',
        legend: 'p50 {{route}}',
      },
      {
        expr: 'histogram_quantile(0.95, sum by (le, route) (rate(coffeebuddy_http_request_duration_seconds_bucket{route=~"/slack/.*"}[$__rate_interval])))',
        legend: 'p95 {{route}}',
      },
      {
        expr: 'histogram_quantile(0.99, sum by (le, route) (rate(coffeebuddy_http_request_duration_seconds_bucket{route=~"/slack/.*"}[$__rate_interval])))',
        legend: 'p99 {{route}}',
      },
    ],
  },
  {
    title: 'HTTP 5xx ratio by function',
    unit: 'percentunit',
    description: 'Share of requests answered with a 5xx.',
    targets: [
      {
        expr: 'sum by (function) (rate(coffeebuddy_http_request_duration_seconds_count{status=~"5.."}[$__rate_interval])) / sum by (function) (rate(coffeebuddy_http_request_duration_seconds_count[$__rate_interval]))',
        legend: '{{function}}',
      },
    ],
  },
  {
    title: 'Slack API calls by outcome',
    unit: 'short',
    description: 'ok, error, rate_limited (HTTP 429) and retry, by method.',
    targets: [{ expr: 'sum by (method, outcome) (increase(coffeebuddy_slack_calls_total[$__rate_interval]))', legend: '{{method}} {{outcome}}' }],
  },
  {
    title: 'Slack effects waiting',
    unit: 'short',
    description: 'Posts and edits not yet carried out (pending) or given up for an operator (parked).',
    targets: [{ expr: 'max by (state) (coffeebuddy_slack_effects)', legend: '{{state}}' }],
  },
  {
    title: 'Oldest pending Slack effect',
    unit: 's',
    description: 'Age of the oldest post or edit still being retried; alert above 5 minutes.',
    targets: [{ expr: 'max(coffeebuddy_slack_effects_oldest_pending_seconds)', legend: 'oldest' }],
  },
  {
    title: 'Slack effects by outcome',
    unit: 'short',
    description: 'done, retry, rerun and parked, by kind of effect.',
    targets: [{ expr: 'sum by (kind, outcome) (increase(coffeebuddy_slack_effects_total[$__rate_interval]))', legend: '{{kind}} {{outcome}}' }],
  },
  {
    title: 'Events published and failed',
    unit: 'short',
    description: 'Outbox rows published to Kafka, and attempts that failed (they are retried: outbox lag).',
    targets: [
      { expr: 'sum by (type) (increase(coffeebuddy_events_published_total[$__rate_interval]))', legend: 'published {{type}}' },
      { expr: 'sum by (type) (increase(coffeebuddy_events_publish_failed_total[$__rate_interval]))', legend: 'failed {{type}}' },
    ],
  },
  {
    title: 'Events refused or dead-lettered',
    unit: 'short',
    description: 'Invalid events refused by a consumer (KafkaSource dead-letters them at once), and dead letters counted by the dispatchers.',
    targets: [
      { expr: 'sum by (function) (increase(coffeebuddy_errors_total{type="event_validation"}[$__rate_interval]))', legend: 'refused by {{function}}' },
      { expr: 'sum by (consumer) (increase(coffeebuddy_events_dead_lettered_total[$__rate_interval]))', legend: 'dead-lettered for {{consumer}}' },
    ],
  },
  {
    title: 'Run duration, start to close (p50, p95)',
    unit: 's',
    description: 'How long runs stay open.',
    targets: [
      { expr: 'histogram_quantile(0.5, sum by (le) (rate(coffeebuddy_run_duration_seconds_bucket[$__rate_interval])))', legend: 'p50' },
      { expr: 'histogram_quantile(0.95, sum by (le) (rate(coffeebuddy_run_duration_seconds_bucket[$__rate_interval])))', legend: 'p95' },
    ],
  },
];

// biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana variable, meant literally
const datasource = { type: 'prometheus', uid: '${datasource}' };

/** The dashboard model (Grafana JSON, schemaVersion 39). */
export function dashboard(): Record<string, unknown> {
  return {
    uid: 'coffeebuddy',
    title: 'CoffeeBuddy',
    description: 'Generated by `npm run manifests` (scripts/manifests/dashboard.ts). Do not edit here.',
    tags: ['coffeebuddy'],
    timezone: 'browser',
    schemaVersion: 39,
    editable: false,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    templating: {
      list: [{ name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus', hide: 0 }],
    },
    panels: panels.map((panel, index) => ({
      id: index + 1,
      type: 'timeseries',
      title: panel.title,
      description: panel.description,
      datasource,
      gridPos: { h: 8, w: 12, x: (index % 2) * 12, y: Math.floor(index / 2) * 8 },
      fieldConfig: { defaults: { unit: panel.unit }, overrides: [] },
      options: { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
      targets: panel.targets.map((target, targetIndex) => ({
        refId: String.fromCharCode(65 + targetIndex),
        datasource,
        expr: target.expr,
        legendFormat: target.legend,
      })),
    })),
  };
}
