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
  kafka: KafkaOptions;
  secrets: SecretOptions;
  /** Issuer of the tokens Knative's sources send (the cluster's service-account issuer). */
  oidc: { issuer: string; jwksUrl: string };
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
  /** KV v2 path prefix in Vault (`<prefix>/database`, `<prefix>/slack`, `<prefix>/kafka`). */
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
};
