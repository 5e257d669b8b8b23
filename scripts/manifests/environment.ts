/**
 * What each function's container is told: non-secret settings in one ConfigMap, secrets as files
 * (`NAME_FILE`, shared/config.ts `resolveFileVariables`) that Vault's agent or a Secret volume
 * writes, and the few per-function variables.
 */
import type { IIoK8sApiCoreV1EnvVar } from 'kubernetes-models/v1/EnvVar';
import { baseConfigShape, slackIngressConfigShape } from '../../shared/config.ts';
import type { AnyFunction } from '../../shared/function.ts';
import { configSchemaFor } from '../../shared/runtime.ts';
import { audienceFor } from './names.ts';
import type { ManifestOptions } from './options.ts';

/**
 * The ConfigMaps (kustomize generates them from these data, with a content hash in the name, so
 * a changed setting rolls out as a new Revision): settings every function reads, and Kafka's,
 * which only the functions that connect to Kafka get (a SASL mechanism without the password
 * that goes with it is a configuration error, shared/config.ts `kafkaCombinationProblems`).
 */
export const configMapNames = { common: 'coffeebuddy-config', kafka: 'coffeebuddy-kafka-config' } as const;

/** Where a secret lives: a file in the container, a key in Vault (KV v2) and in the alternative Secret. */
export interface SecretFile {
  /** The variable the code reads; the container gets `<variable>_FILE`. */
  variable: string;
  /** File name under the secrets mount path. */
  file: string;
  vault: { path: string; key: string };
  secret: { name: string; key: string };
}

/** Name of the Secret holding the app's own secrets when they come as a volume instead of from Vault. */
export const appSecretName = 'coffeebuddy-app';

/** Every secret a function may need, by the variable that reads it. */
function secretCatalog(options: ManifestOptions): Record<string, SecretFile> {
  const vault = options.secrets.vaultPathPrefix;
  const kafkaSecret = options.kafka.secretName;
  return {
    DATABASE_URL: {
      variable: 'DATABASE_URL',
      file: 'database-url',
      vault: { path: `${vault}/database`, key: 'url' },
      secret: { name: appSecretName, key: 'database-url' },
    },
    SLACK_BOT_TOKEN: {
      variable: 'SLACK_BOT_TOKEN',
      file: 'slack-bot-token',
      vault: { path: `${vault}/slack`, key: 'bot_token' },
      secret: { name: appSecretName, key: 'slack-bot-token' },
    },
    // A path of its own: a Vault policy grants whole paths, and only the Slack-facing functions
    // may read the secret that lets anyone forge Slack's requests.
    SLACK_SIGNING_SECRET: {
      variable: 'SLACK_SIGNING_SECRET',
      file: 'slack-signing-secret',
      vault: { path: `${vault}/slack-signing`, key: 'signing_secret' },
      secret: { name: appSecretName, key: 'slack-signing-secret' },
    },
    // The Kafka password and CA sit in the same Secret Knative's Kafka data plane reads.
    // The database's CA sits next to its URL: whoever may read one may read the other.
    DATABASE_SSL_CA: {
      variable: 'DATABASE_SSL_CA',
      file: 'database-ca.crt',
      vault: { path: `${vault}/database`, key: 'ca_crt' },
      secret: { name: appSecretName, key: 'database-ca.crt' },
    },
    KAFKA_SASL_PASSWORD: {
      variable: 'KAFKA_SASL_PASSWORD',
      file: 'kafka-sasl-password',
      vault: { path: `${vault}/kafka`, key: 'password' },
      secret: { name: kafkaSecret, key: 'password' },
    },
    KAFKA_TLS_CA: {
      variable: 'KAFKA_TLS_CA',
      file: 'kafka-ca.crt',
      vault: { path: `${vault}/kafka`, key: 'ca_crt' },
      secret: { name: kafkaSecret, key: 'ca.crt' },
    },
  };
}

/** The variables a function's code reads (shared/runtime.ts `configSchemaFor`). */
export function variablesOf(fn: AnyFunction): string[] {
  return Object.keys(configSchemaFor([fn]).shape);
}

/** Whether the function talks to Kafka at all: only publishers do (shared/standalone.ts). */
export function connectsToKafka(fn: AnyFunction): boolean {
  return fn.publishes.length > 0;
}

/**
 * The secret files a function gets: the secrets its schema reads, and Kafka's password and CA only
 * where it connects to Kafka and SASL / TLS are on. Nothing else reaches its pod.
 */
export function secretFilesFor(fn: AnyFunction, options: ManifestOptions): SecretFile[] {
  const catalog = secretCatalog(options);
  const variables = new Set(variablesOf(fn));
  const wanted = ['DATABASE_URL', ...(options.database.ca ? ['DATABASE_SSL_CA'] : []), 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET'].filter((name) =>
    variables.has(name),
  );
  if (connectsToKafka(fn) && options.kafka.sasl) wanted.push('KAFKA_SASL_PASSWORD');
  if (connectsToKafka(fn) && options.kafka.tls) wanted.push('KAFKA_TLS_CA');
  return wanted.map((name) => catalog[name]!);
}

/** The secret files of the setup job: the database and its CA (migrations) and Kafka (topic creation). */
export function setupSecretFiles(options: ManifestOptions): SecretFile[] {
  const catalog = secretCatalog(options);
  return [
    catalog.DATABASE_URL!,
    ...(options.database.ca ? [catalog.DATABASE_SSL_CA!] : []),
    ...(options.kafka.sasl ? [catalog.KAFKA_SASL_PASSWORD!] : []),
    ...(options.kafka.tls ? [catalog.KAFKA_TLS_CA!] : []),
  ];
}

/** `NAME_FILE` variables pointing at the files. */
export function fileVariables(files: readonly SecretFile[], options: ManifestOptions): IIoK8sApiCoreV1EnvVar[] {
  return files.map((file) => ({ name: `${file.variable}_FILE`, value: `${options.secrets.mountPath}/${file.file}` }));
}

/** A zod default, read from the schema so the ConfigMap shows the value the code would use. */
function defaultOf(schema: { parse(value: unknown): unknown }): string {
  return String(schema.parse(undefined));
}

/** Settings every function reads. Values equal to the code's defaults are listed as the knobs an operator turns. */
export function commonConfigData(options: ManifestOptions): Record<string, string> {
  return {
    LOG_LEVEL: defaultOf(baseConfigShape.LOG_LEVEL),
    DEFAULT_TIME_ZONE: defaultOf(slackIngressConfigShape.DEFAULT_TIME_ZONE),
    // Knative's sources sign with the cluster's service-account issuer (DESIGN "Platform facts").
    AUTH_OIDC_ISSUER: options.oidc.issuer,
    AUTH_OIDC_JWKS_URL: options.oidc.jwksUrl,
    // The API server serves its JWKS to authenticated callers: the pod's own (rotating) token.
    AUTH_OIDC_BEARER_TOKEN_PATH: '/var/run/secrets/kubernetes.io/serviceaccount/token',
    AUTH_DISABLED: 'false',
    DATABASE_SSL_MODE: options.database.sslMode,
    ...(options.outboundProxy ? { HTTPS_PROXY: options.outboundProxy.url, NO_PROXY: options.outboundProxy.noProxy } : {}),
  };
}

/** Where Kafka is and how to reach it (the password and CA come as files). */
export function kafkaConfigData(options: ManifestOptions): Record<string, string> {
  const { kafka } = options;
  return {
    KAFKA_BROKERS: kafka.bootstrapServers.join(','),
    KAFKA_TOPIC_PREFIX: kafka.topicPrefix,
    KAFKA_CLIENT_ID: defaultOf(baseConfigShape.KAFKA_CLIENT_ID),
    ...(kafka.sasl ? { KAFKA_SASL_MECHANISM: kafka.sasl, KAFKA_SASL_USERNAME: kafka.username } : {}),
    KAFKA_TLS: String(kafka.tls),
    KAFKA_REPLICATION_FACTOR: String(kafka.replicationFactor),
  };
}

/** The ConfigMaps a function's container reads, in order. */
export function configMapsFor(fn: AnyFunction): string[] {
  return connectsToKafka(fn) ? [configMapNames.common, configMapNames.kafka] : [configMapNames.common];
}

/** The API server's CA, which a pod trusts to fetch the service-account issuer's keys over TLS. */
const serviceAccountCa = '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt';

/**
 * The per-function variables of its container (the rest come from the ConfigMap). `senders` are
 * the OIDC subjects of the sources wired to it: the only ones its internal endpoints accept.
 */
export function functionEnv(fn: AnyFunction, options: ManifestOptions, senders: readonly string[]): IIoK8sApiCoreV1EnvVar[] {
  return [
    // The image runs `node dist/$FUNCTION/index.mjs` (Dockerfile).
    { name: 'FUNCTION', value: fn.name },
    { name: 'AUTH_AUDIENCE', value: audienceFor(fn) },
    { name: 'AUTH_OIDC_SUBJECTS', value: senders.join(',') },
    ...fileVariables(secretFilesFor(fn, options), options),
    { name: 'NODE_EXTRA_CA_CERTS', value: serviceAccountCa },
  ];
}
