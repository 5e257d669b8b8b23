/**
 * One Knative Service per function (serving.knative.dev/v1). Every one is cluster-local: Slack
 * reaches the two Slack functions only through Kong (kong.ts), which is where TLS, the rate limit
 * and the size limit live; a public Knative route would bypass all three.
 */
import type { AnyFunction } from '../../shared/function.ts';
import { configMapsFor, functionEnv, secretFilesFor } from './environment.ts';
import type { KService } from './knative-types.ts';
import { functionLabels, serviceAccountFor, servesSlack } from './names.ts';
import type { ManifestOptions } from './options.ts';
import { appContainer, secretDelivery } from './secret-delivery.ts';

/** The port the runtime listens on (`$PORT`, which Knative sets from `containerPort`). */
export const containerPort = 8080;

/**
 * The Postgres connection budget: every instance of every function at its max scale, each with
 * its whole pool open, plus what is reserved (the setup Job's migration, operators' `psql` and
 * `npm run dead-letters`, and Postgres's own 3 superuser slots) must fit in `max_connections`
 * (Postgres's default, 100). With (2 × 4 + 4 × 2) instances × 5 connections = 80 + 20 reserved,
 * it holds exactly; more instances need a larger `max_connections` or a pooler (README
 * "Performance", scale-out).
 */
export const connectionBudget = { postgresMaxConnections: 100, reserved: 20, poolPerInstance: 5 } as const;

/** Instances per function, capped by {@link connectionBudget}. */
const maxScale = { slack: 4, event: 2 } as const;

/**
 * Instances the Slack functions always keep: Slack gives 3 s and a cold start eats most of it, and
 * with two (on two nodes, kept by a PodDisruptionBudget: availability.ts) a node drain or a crashed
 * pod leaves one answering.
 */
export const slackMinScale = 2;

/**
 * Autoscaling (https://knative.dev/docs/serving/autoscaling/): the Slack functions keep
 * {@link slackMinScale} instances warm; event consumers scale to zero (KafkaSource retries while
 * one starts).
 */
function autoscaling(fn: AnyFunction): Record<string, string> {
  const slack = servesSlack(fn);
  return {
    'autoscaling.knative.dev/min-scale': slack ? String(slackMinScale) : '0',
    'autoscaling.knative.dev/max-scale': String(slack ? maxScale.slack : maxScale.event),
  };
}

/** The function's KService. */
export function kservice(fn: AnyFunction, options: ManifestOptions, senders: readonly string[]): KService {
  const labels = functionLabels(fn);
  const secrets = secretDelivery(secretFilesFor(fn, options), serviceAccountFor(fn), options);
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: {
      name: fn.name,
      namespace: options.namespace,
      labels: { ...labels, 'networking.knative.dev/visibility': 'cluster-local' },
      annotations: { 'coffeebuddy.dev/description': fn.description },
    },
    spec: {
      template: {
        metadata: {
          labels,
          annotations: { ...autoscaling(fn), ...scrapeAnnotations, ...secrets.annotations },
        },
        spec: {
          serviceAccountName: serviceAccountFor(fn),
          ...(servesSlack(fn) ? { topologySpreadConstraints: spreadAcrossNodes(fn) } : {}),
          // Requests in flight per instance: 4× the pool of 5 connections (a /coffee holds a
          // connection for 2 of its 3 round trips, and waits on Slack between them). At 20 in flight
          // one instance is already CPU-bound (README "Performance"); more queue in the
          // queue-proxy and count toward scaling out instead of queueing inside on one core.
          containerConcurrency: 20,
          // Slack requests end by SLACK_ACK_DEADLINE_MS (2.5 s) and an event delivery times out
          // at 10 s (delivery.ts); a sweep that has a backlog may take longer.
          timeoutSeconds: 60,
          containers: [
            {
              name: appContainer,
              image: options.image.name,
              ports: [{ name: 'http1', containerPort }],
              // The pool is set here, beside max-scale, so the budget reads off the manifest.
              env: [...functionEnv(fn, options, senders), { name: 'DATABASE_POOL_MAX', value: String(connectionBudget.poolPerInstance) }],
              envFrom: configMapsFor(fn).map((name) => ({ configMapRef: { name } })),
              // Probes hit the container port only (Knative rejects any other). The readiness
              // probe has no period: Knative then probes aggressively while an instance starts,
              // which is what a cold start's latency depends on.
              livenessProbe: { httpGet: { path: '/health/live', port: containerPort }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
              readinessProbe: { httpGet: { path: '/health/ready', port: containerPort } },
              resources: containerResources,
              securityContext: containerSecurityContext,
              ...(secrets.volumeMounts.length > 0 ? { volumeMounts: secrets.volumeMounts } : {}),
            },
          ],
          ...(secrets.volumes.length > 0 ? { volumes: secrets.volumes } : {}),
        },
      },
    },
  };
}

/**
 * For a Prometheus that discovers pods by annotation instead of the PodMonitor (alerts.ts): the
 * app container's `/metrics`, which needs no token.
 */
const scrapeAnnotations = { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(containerPort), 'prometheus.io/path': '/metrics' };

/**
 * A Slack function's instances on different nodes where there are nodes to spare, so one node going
 * down leaves an instance answering. Knative accepts the field with the feature flag
 * `kubernetes.podspec-topologyspreadconstraints: enabled` (config-features, knative-serving).
 */
function spreadAcrossNodes(fn: AnyFunction) {
  return [
    {
      maxSkew: 1,
      topologyKey: 'kubernetes.io/hostname',
      whenUnsatisfiable: 'ScheduleAnyway' as const,
      labelSelector: { matchLabels: { [knativeServiceLabel]: fn.name } },
    },
  ];
}

/** The label Knative puts on every pod of a KService's revisions. */
export const knativeServiceLabel = 'serving.knative.dev/service';

/** What every CoffeeBuddy container asks for: small, and memory-capped (Node's heap stays well below). */
export const containerResources = { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } };

/** Every CoffeeBuddy container runs unprivileged on a read-only filesystem (the restricted Pod Security profile). */
export const containerSecurityContext = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' as const },
};
