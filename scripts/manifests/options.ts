/**
 * What the generated deployment depends on besides the registry: the cluster, the image, Kafka's
 * security and how secrets arrive. The committed YAML is generated from
 * {@link defaultManifestOptions}; change a value here and run `npm run manifests` (the manifests
 * test regenerates from these same defaults, so an edit to one YAML file alone fails it).
 */
export interface ManifestOptions {
  /** Namespace of every object (the KServices' cluster-local host names contain it). */
  namespace: string;
  /** Kubernetes' cluster domain, for `<service>.<namespace>.svc.<domain>` host names. */
  clusterDomain: string;
  /** The one image all six functions run; kustomize's `images` maps `name` to the registry. */
  image: { name: string; newName: string; newTag: string };
  /** Public host name Slack calls through Kong, and the TLS Secret holding its certificate. */
  publicHost: string;
  tlsSecretName: string;
  /** Requests per minute Kong lets through per client IP (Slack calls from a handful of IPs). */
  rateLimitPerMinute: number;
  /**
   * The Redis every Kong node keeps the rate-limit counters in (kong.ts: policy `redis`), so the
   * limit holds across Kong's replicas. Kong connects to it, not the functions.
   */
  rateLimitRedis: { host: string; port: number };
  kafka: KafkaOptions;
  secrets: SecretOptions;
  /** Issuer of the tokens Knative's sources send (the cluster's service-account issuer). */
  oidc: { issuer: string; jwksUrl: string };
  network: NetworkOptions;
  /**
   * TLS to PostgreSQL (`DATABASE_SSL_MODE`; README "Configuration"). `ca`: the CA that signed the
   * server's certificate comes as a secret file (`DATABASE_SSL_CA_FILE`, Vault key `ca_crt` next to
   * the URL); false: Node's CAs.
   */
  database: { sslMode: 'disable' | 'require' | 'verify-ca' | 'verify-full'; ca: boolean };
  /**
   * The corporate proxy the Slack calls go through (`HTTPS_PROXY`) and the hosts reached without it
   * (`NO_PROXY`); null: straight to Slack. Narrow `network.httpsProxy` to the same address.
   */
  outboundProxy: { url: string; noProxy: string } | null;
  /** Where the alerts' `runbook_url` points: README.md as the team's Git server shows it (each alert has a section). */
  runbookBaseUrl: string;
}

/**
 * A destination or source a NetworkPolicy names: pods of a namespace (all of them, or those with
 * `podLabels`), or address ranges outside the cluster. NetworkPolicy matches nothing else: no host
 * names (https://kubernetes.io/docs/concepts/services-networking/network-policies/).
 */
export type NetworkPeer = { namespace: string; podLabels?: Record<string, string> } | { cidrs: string[] };

/**
 * Who may open connections to CoffeeBuddy's pods and whom they may reach (network-policies.ts).
 * Everything else is denied, so a wrong value here shows as a connection timeout: check these
 * against the cluster before the first deploy.
 */
export interface NetworkOptions {
  /**
   * Namespace of the Knative networking layer's gateway pods, which carry every request to a
   * KService's cluster-local address (Kourier: `kourier-system`; Istio: `istio-system`).
   */
  ingressGatewayNamespace: string;
  /** Knative Serving's namespace: its activator proxies requests, its autoscaler scrapes the queue-proxy. */
  knativeServingNamespace: string;
  /** Namespace of the Prometheus that scrapes the PodMonitor. */
  monitoringNamespace: string;
  /** The cluster DNS pods (CoreDNS keeps kube-dns's `k8s-app` label). */
  dns: { namespace: string; podLabels: Record<string, string> };
  /** Where Kafka's brokers run; the ports are those of `kafka.bootstrapServers` (brokers listen on the bootstrap listener's port). */
  kafka: NetworkPeer;
  /** Where PostgreSQL is and its port (the host in `DATABASE_URL`). */
  postgres: { peer: NetworkPeer; port: number };
  /** The Vault server the agent's init container logs in to and reads from (`secrets.delivery: 'vault'` only). */
  vault: { peer: NetworkPeer; port: number };
  /**
   * The API server that serves the service-account issuer's discovery document and JWKS
   * (`oidc.jwksUrl`). A policy sees the endpoint after the `kubernetes` Service's translation:
   * `kubectl get endpointslices -n default -l kubernetes.io/service-name=kubernetes` lists its
   * addresses and port.
   */
  kubernetesApi: { cidrs: string[]; port: number };
  /** The pod and service address ranges: "outside the cluster" is everything else. */
  clusterCidrs: string[];
  /**
   * How the functions reach Slack (slack.com, hooks.slack.com). null: TCP 443 to any address
   * outside `clusterCidrs`, since Slack's addresses are not fixed and a policy cannot name a host.
   * Set it to the corporate HTTPS proxy's address and port to allow only that.
   */
  httpsProxy: { cidr: string; port: number } | null;
}

/** Where Kafka is and how the functions and Knative's Kafka data plane reach it. */
export interface KafkaOptions {
  bootstrapServers: string[];
  /** `KAFKA_TOPIC_PREFIX` (e.g. `staging.`), prepended to every topic name. */
  topicPrefix: string;
  /** SASL mechanism, or null for none. */
  sasl: 'SCRAM-SHA-512' | 'SCRAM-SHA-256' | 'PLAIN' | null;
  username: string;
  tls: boolean;
  /**
   * The Secret that Knative's Kafka data plane reads (KafkaSource `net`, KafkaSink `auth`), in
   * the format both document: keys `protocol`, `sasl.mechanism`, `user`, `password`, `ca.crt`.
   */
  secretName: string;
  /** Replication factor of topics created by the setup job and the dead-letter KafkaSink. */
  replicationFactor: number;
}

/** How secrets reach the pods. */
export interface SecretOptions {
  /**
   * `vault`: Vault Agent Injector annotations write each secret to a file (init container only);
   * `secret-volume`: a Kubernetes Secret mounted at the same paths (no Vault needed).
   */
  delivery: 'vault' | 'secret-volume';
  /** Where secret files appear in the container (the injector's fixed `/vault/secrets`). */
  mountPath: string;
  /** KV v2 path prefix in Vault (`<prefix>/database`, `<prefix>/slack`, `<prefix>/slack-signing`, `<prefix>/kafka`). */
  vaultPathPrefix: string;
}

/** The production defaults: SASL SCRAM-SHA-512 over TLS, secrets from Vault. */
export const defaultManifestOptions: ManifestOptions = {
  namespace: 'coffeebuddy',
  clusterDomain: 'cluster.local',
  image: { name: 'coffeebuddy', newName: 'registry.example.internal/coffeebuddy', newTag: '0.1.0' },
  publicHost: 'coffeebuddy.example.com',
  tlsSecretName: 'coffeebuddy-tls',
  rateLimitPerMinute: 600,
  rateLimitRedis: { host: 'redis.kong.svc.cluster.local', port: 6379 },
  kafka: {
    bootstrapServers: ['kafka-bootstrap.kafka.svc:9093'],
    topicPrefix: '',
    sasl: 'SCRAM-SHA-512',
    username: 'coffeebuddy',
    tls: true,
    secretName: 'coffeebuddy-kafka',
    replicationFactor: 3,
  },
  secrets: { delivery: 'vault', mountPath: '/vault/secrets', vaultPathPrefix: 'secret/data/coffeebuddy' },
  // Placeholder: `kubectl get --raw /.well-known/openid-configuration` prints the cluster's issuer.
  oidc: {
    issuer: 'https://kubernetes.default.svc.cluster.local',
    jwksUrl: 'https://kubernetes.default.svc/openid/v1/jwks',
  },
  network: {
    ingressGatewayNamespace: 'kourier-system',
    knativeServingNamespace: 'knative-serving',
    monitoringNamespace: 'monitoring',
    dns: { namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' } },
    kafka: { namespace: 'kafka' },
    // Placeholders from the documentation range (RFC 5737), so nothing is reachable until set:
    // the database server's and the API server's addresses.
    postgres: { peer: { cidrs: ['192.0.2.10/32'] }, port: 5432 },
    vault: { peer: { namespace: 'vault' }, port: 8200 },
    kubernetesApi: { cidrs: ['192.0.2.1/32'], port: 6443 },
    // kubeadm's default service range and the pod range of its usual CNI setups.
    clusterCidrs: ['10.96.0.0/12', '10.244.0.0/16'],
    httpsProxy: null,
  },
  // On-prem PostgreSQL over TLS, the certificate checked against the organisation's CA.
  database: { sslMode: 'verify-full', ca: true },
  outboundProxy: null,
  runbookBaseUrl: 'https://git.example.internal/coffeebuddy/coffeebuddy/-/blob/main/README.md',
};
