/**
 * NetworkPolicies (https://kubernetes.io/docs/concepts/services-networking/network-policies/):
 * every pod in the namespace denies all traffic in and out, then each function and the setup job
 * get exactly the connections they make or take. Policies are additive, so the allowances below
 * are the whole of what passes. They take effect only where the CNI enforces NetworkPolicy
 * (Calico, Cilium, …); traffic from the pod's own node, such as the kubelet's probes, always passes.
 *
 * How a request reaches a function's pod. Kong (kong.ts) proxies to the KService's cluster-local
 * name, `<function>.<namespace>.svc.<domain>`, which Knative makes an ExternalName Service pointing
 * at its networking layer's internal gateway (Kourier: `kourier-internal.kourier-system`). The
 * gateway (an Envoy, `ingressGatewayNamespace`) opens its own connection, either to the pod's
 * queue-proxy on port 8012 or, while the revision scales from zero or has little spare capacity,
 * to Knative's activator (`knative-serving`), which then connects to the queue-proxy on 8012. The
 * queue-proxy hands the request to the app on 8080 inside the pod. Knative Eventing's KafkaSource
 * dispatchers and PingSource adapter (`knative-eventing`) deliver `/events`, `/ticks` and
 * `/sweep` the same way, to the same cluster-local address. So the pod never sees a connection
 * from Kong's or Eventing's namespace: it sees the gateway and the activator, and those are the
 * sources allowed. Which clients may reach the gateway is the gateway namespace's own policy; the
 * functions check each caller themselves (Slack's signature, the sources' OIDC tokens).
 * Besides requests, Knative's autoscaler scrapes the queue-proxy's metrics on 9090 and
 * Prometheus scrapes the app's `/metrics` on 8080 (alerts.ts). Ports are the pod's own: a policy
 * sees a connection after a Service's translation (knative.dev/networking `BackendHTTPPort`,
 * `AutoscalingQueueMetricsPort`).
 */
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { INetworkPolicyEgressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule';
import type { INetworkPolicyIngressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyIngressRule';
import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import type { AnyFunction } from '../../shared/function.ts';
import { connectsToKafka, secretFilesFor, setupSecretFiles, variablesOf } from './environment.ts';
import { containerPort } from './kservice.ts';
import { functionLabels, partOf } from './names.ts';
import type { ManifestOptions, NetworkPeer } from './options.ts';
import { setupJobName } from './setup-job.ts';

/** The queue-proxy's ports on a Knative pod: requests (HTTP/1) and the autoscaler's metrics. */
export const queueProxyPorts = { http: 8012, autoscalerMetrics: 9090 } as const;

const labels = { ...partOf, 'app.kubernetes.io/component': 'network-policy' };

/** Pods of a namespace (by the label Kubernetes sets on every namespace), optionally only those with `podLabels`. */
function inNamespace(namespace: string, podLabels?: Record<string, string>): INetworkPolicyPeer {
  return {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
    ...(podLabels ? { podSelector: { matchLabels: podLabels } } : {}),
  };
}

function peers(peer: NetworkPeer): INetworkPolicyPeer[] {
  return 'cidrs' in peer ? peer.cidrs.map((cidr) => ({ ipBlock: { cidr } })) : [inNamespace(peer.namespace, peer.podLabels)];
}

const tcp = (...ports: number[]) => [...new Set(ports)].map((port) => ({ protocol: 'TCP' as const, port }));

function policy(name: string, options: ManifestOptions, spec: NonNullable<INetworkPolicy['spec']>): INetworkPolicy {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: options.namespace, labels }, spec };
}

/** Kafka's brokers, on the ports of the bootstrap servers. */
function kafkaEgress(options: ManifestOptions): INetworkPolicyEgressRule {
  const ports = options.kafka.bootstrapServers.map((server) => {
    const port = Number(server.slice(server.lastIndexOf(':') + 1));
    if (!Number.isInteger(port)) throw new Error(`kafka.bootstrapServers: ${server} has no port`);
    return port;
  });
  return { to: peers(options.network.kafka), ports: tcp(...ports) };
}

function postgresEgress(options: ManifestOptions): INetworkPolicyEgressRule {
  return { to: peers(options.network.postgres.peer), ports: tcp(options.network.postgres.port) };
}

/** Vault, for the agent's init container, when the pod's secrets come from Vault. */
function vaultEgress(options: ManifestOptions, hasSecrets: boolean): INetworkPolicyEgressRule[] {
  if (options.secrets.delivery !== 'vault' || !hasSecrets) return [];
  return [{ to: peers(options.network.vault.peer), ports: tcp(options.network.vault.port) }];
}

/** Slack's Web API and response_url hooks: the proxy, or HTTPS to anything outside the cluster (IPv4). */
function slackEgress(options: ManifestOptions): INetworkPolicyEgressRule {
  const { httpsProxy, clusterCidrs } = options.network;
  if (httpsProxy) return { to: [{ ipBlock: { cidr: httpsProxy.cidr } }], ports: tcp(httpsProxy.port) };
  return { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: clusterCidrs } }], ports: tcp(443) };
}

/** Whether the function calls Slack: it reads the bot token (Web API, response_url). */
function callsSlack(fn: AnyFunction): boolean {
  return variablesOf(fn).includes('SLACK_BOT_TOKEN');
}

/** Nothing in or out of any pod in the namespace unless another policy allows it. */
export function defaultDeny(options: ManifestOptions): INetworkPolicy {
  return policy('coffeebuddy-default-deny', options, { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
}

/** Name lookups, for every pod: the cluster DNS over UDP and TCP (answers too large for UDP). */
export function dnsEgress(options: ManifestOptions): INetworkPolicy {
  const { dns } = options.network;
  return policy('coffeebuddy-dns', options, {
    podSelector: {},
    policyTypes: ['Egress'],
    egress: [
      {
        to: [inNamespace(dns.namespace, dns.podLabels)],
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
    ],
  });
}

/** A function's pods: requests through Knative's gateway and activator, the two scrapes, and what it calls. */
export function functionPolicy(fn: AnyFunction, options: ManifestOptions): INetworkPolicy {
  const { network } = options;
  const ingress: INetworkPolicyIngressRule[] = [
    { from: [inNamespace(network.ingressGatewayNamespace)], ports: tcp(queueProxyPorts.http) },
    { from: [inNamespace(network.knativeServingNamespace, { app: 'activator' })], ports: tcp(queueProxyPorts.http) },
    { from: [inNamespace(network.knativeServingNamespace, { app: 'autoscaler' })], ports: tcp(queueProxyPorts.autoscalerMetrics) },
    { from: [inNamespace(network.monitoringNamespace)], ports: tcp(containerPort) },
  ];
  const variables = variablesOf(fn);
  const egress: INetworkPolicyEgressRule[] = [
    ...(variables.includes('DATABASE_URL') ? [postgresEgress(options)] : []),
    ...(connectsToKafka(fn) ? [kafkaEgress(options)] : []),
    // The service-account issuer's JWKS, to check the sources' tokens (AUTH_OIDC_JWKS_URL).
    ...(variables.includes('AUTH_OIDC_JWKS_URL')
      ? [{ to: network.kubernetesApi.cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: tcp(network.kubernetesApi.port) }]
      : []),
    ...(callsSlack(fn) ? [slackEgress(options)] : []),
    ...vaultEgress(options, secretFilesFor(fn, options).length > 0),
  ];
  return policy(fn.name, options, { podSelector: { matchLabels: functionLabels(fn) }, policyTypes: ['Ingress', 'Egress'], ingress, egress });
}

/** The setup job takes no connections; it reaches the database (migrations) and Kafka (topics). */
export function setupPolicy(options: ManifestOptions): INetworkPolicy {
  return policy(setupJobName, options, {
    podSelector: { matchLabels: { ...partOf, 'app.kubernetes.io/component': 'setup' } },
    policyTypes: ['Egress'],
    egress: [postgresEgress(options), kafkaEgress(options), ...vaultEgress(options, setupSecretFiles(options).length > 0)],
  });
}

/** Every NetworkPolicy, default deny first, each with the comment its YAML document carries. */
export function networkPolicies(functions: readonly AnyFunction[], options: ManifestOptions): { comment: string; value: INetworkPolicy }[] {
  const { network } = options;
  return [
    { comment: 'Every pod in the namespace: no connection in or out unless a policy below allows it.', value: defaultDeny(options) },
    { comment: 'Every pod may look names up in the cluster DNS.', value: dnsEgress(options) },
    ...functions.map((fn) => ({
      comment: [
        `${fn.name}: requests (Slack's through Kong, Knative Eventing's deliveries) arrive through Knative's gateway in ${network.ingressGatewayNamespace}`,
        `or its activator, never straight from the caller's namespace (scripts/manifests/network-policies.ts says how); Knative's autoscaler and Prometheus scrape.`,
      ].join('\n'),
      value: functionPolicy(fn, options),
    })),
    { comment: 'The setup job: migrations (the database) and topics (Kafka).', value: setupPolicy(options) },
  ];
}
