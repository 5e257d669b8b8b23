/**
 * Kong in front of the two Slack functions, the Kong Ingress Controller's standard way: a
 * `networking.k8s.io/v1` Ingress of class `kong` per Slack function with its routes as `Exact`
 * paths, KongPlugins attached by the `konghq.com/plugins` annotation, and an ExternalName Service
 * per function as the backend. (KIC dropped its Knative integration in 3.0, so Kong proxies to the
 * KService's cluster-local address and sets the Host header Knative routes by.) Only these exact
 * paths, POST and HTTPS, are reachable from outside: the KServices themselves are cluster-local.
 */
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { IService } from 'kubernetes-models/v1/Service';
import { baseConfigShape } from '../../shared/config.ts';
import type { AnyFunction } from '../../shared/function.ts';
import { clusterLocalHost, functionLabels, partOf } from './names.ts';
import type { ManifestOptions } from './options.ts';

/** A KongPlugin (configuration.konghq.com/v1); `config` is the plugin's own schema. */
export interface KongPlugin {
  apiVersion: 'configuration.konghq.com/v1';
  kind: 'KongPlugin';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  plugin: string;
  config: Record<string, unknown>;
}

const pluginNames = { rateLimit: 'coffeebuddy-rate-limit', sizeLimit: 'coffeebuddy-request-size' } as const;

/** The two plugins every Slack route runs. */
export function kongPlugins(options: ManifestOptions): KongPlugin[] {
  const metadata = (name: string) => ({
    name,
    namespace: options.namespace,
    labels: { ...partOf, 'app.kubernetes.io/component': 'ingress' },
  });
  // The functions refuse larger bodies themselves (413); Kong refuses them before they travel.
  const bodyLimitBytes = baseConfigShape.HTTP_BODY_LIMIT_BYTES.parse(undefined);
  return [
    {
      apiVersion: 'configuration.konghq.com/v1',
      kind: 'KongPlugin',
      metadata: metadata(pluginNames.rateLimit),
      plugin: 'rate-limiting',
      // Slack calls from a few addresses, so this bounds all Slack traffic per route: far above
      // what an office's coffee runs send, far below a flood. The counters live in Redis, shared
      // by every Kong node, so the limit is one limit however many replicas Kong runs (`local`
      // would give each node its own). `cluster` would keep them in Kong's database, which the
      // Kong Ingress Controller's DB-less Kong does not have: the plugin rejects it there
      // (https://developer.konghq.com/plugins/rate-limiting/). `limit_by: ip` counts per the
      // address Kong takes as the client's, which is the real one only when Kong is told which
      // proxies to trust (`trusted_ips`, `real_ip_header`; README "Deploy to Knative").
      // Redis unreachable: requests pass unlimited (`fault_tolerant`) rather than fail, and
      // Kong waits at most `timeout` ms for it, well inside Slack's 3 s.
      config: {
        minute: options.rateLimitPerMinute,
        limit_by: 'ip',
        policy: 'redis',
        redis: { host: options.rateLimitRedis.host, port: options.rateLimitRedis.port, timeout: 500 },
        fault_tolerant: true,
      },
    },
    {
      apiVersion: 'configuration.konghq.com/v1',
      kind: 'KongPlugin',
      metadata: metadata(pluginNames.sizeLimit),
      plugin: 'request-size-limiting',
      config: { allowed_payload_size: bodyLimitBytes, size_unit: 'bytes', require_content_length: false },
    },
  ];
}

/** Name of the ExternalName Service Kong proxies a function's routes to. */
export function upstreamServiceName(fn: AnyFunction): string {
  return `${fn.name}-kong-upstream`;
}

/**
 * The backend Kong proxies to: the KService's cluster-local address. Kong's Service annotations
 * set the Host header Knative routes by, and timeouts from Slack's 3 s deadline.
 */
export function upstreamService(fn: AnyFunction, options: ManifestOptions): IService {
  const host = clusterLocalHost(fn, options);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: upstreamServiceName(fn),
      namespace: options.namespace,
      labels: { ...functionLabels(fn), 'app.kubernetes.io/component': 'ingress' },
      annotations: {
        'konghq.com/host-header': host,
        'konghq.com/protocol': 'http',
        'konghq.com/connect-timeout': '2000',
        // Slack stops waiting at 3 s; the function answers by SLACK_ACK_DEADLINE_MS (2.5 s).
        'konghq.com/read-timeout': '5000',
        'konghq.com/write-timeout': '5000',
        // Never resend a Slack request: a slow /coffee that did start a run would start another.
        'konghq.com/retries': '0',
      },
    },
    spec: { type: 'ExternalName', externalName: host, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
  };
}

/** The Ingress of one Slack function: its routes, exactly, over HTTPS, with the plugins. */
export function slackIngress(fn: AnyFunction, options: ManifestOptions): IIngress {
  const methods = [...new Set(fn.routes.map((route) => route.method))].join(',');
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: fn.name,
      namespace: options.namespace,
      labels: { ...functionLabels(fn), 'app.kubernetes.io/component': 'ingress' },
      annotations: {
        'konghq.com/plugins': `${pluginNames.rateLimit},${pluginNames.sizeLimit}`,
        // HTTPS only (plain HTTP gets 426); Slack calls nothing else.
        'konghq.com/protocols': 'https',
        'konghq.com/methods': methods,
        'konghq.com/strip-path': 'false',
      },
    },
    spec: {
      ingressClassName: 'kong',
      tls: [{ hosts: [options.publicHost], secretName: options.tlsSecretName }],
      rules: [
        {
          host: options.publicHost,
          http: {
            paths: fn.routes.map((route) => ({
              path: route.path,
              pathType: 'Exact',
              backend: { service: { name: upstreamServiceName(fn), port: { number: 80 } } },
            })),
          },
        },
      ],
    },
  };
}
