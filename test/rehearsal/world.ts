/**
 * The deployment rehearsal's world: the bundles copied alone as the image holds them, the setup
 * Job and each KService run with the command and environment the rendered manifests give them,
 * secrets as files where the pods find them, a real Kafka broker behind SASL/TLS, one stand-in
 * per KafkaSource and PingSource, and Kong's routes as the only way in from outside.
 *
 * What a cluster would provide is swapped for a local equivalent, and only that (each named in
 * `clusterAddresses` or the secret files below): the broker, Postgres (a TLS-only server of the
 * rehearsal's own, its CA in the secret file), the OIDC issuer, Slack's
 * Web API and hooks (the emulator), and a port per pod. Anything else that still names a cluster address
 * fails the rehearsal, so a new dependency in the manifests cannot be silently skipped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import postgres from 'postgres';
import { buildAll } from '../../scripts/bundle.ts';
import { bundleCoverageEnv } from '../support/bundle-coverage.ts';
import { freePort } from '../../scripts/free-port.ts';
import { startLocalIssuer, type LocalIssuer } from '../../scripts/local/local-issuer.ts';
import { createKafkaClient } from '../../shared/events/kafka-client.ts';
import { createLogger } from '../../shared/logging.ts';
import { startSlackEmulator, type EmulatedUser, type SlackEmulator } from '../../scripts/local/emulator.ts';
import type { SaslListeners } from '../support/kafka-broker.ts';
import { slackHeaders } from '../support/slack-requests.ts';
import { startTlsPostgres } from '../support/tls-postgres.ts';
import { containerEnv, readImageStage, renderCluster, type Cluster, type Container } from './cluster.ts';
import { startKong, type KongStandIn } from './kong.ts';
import { startKafkaSource, startPingSource, type Delivery, type RunningPingSource, type RunningSource, type SourceContext } from './sources.ts';

/** A line a process printed: its JSON log entry, or the raw text of anything else (stderr included). */
export interface PrintedLine {
  process: string;
  stream: 'stdout' | 'stderr';
  text: string;
  entry: { level?: string; msg?: string } | null;
}

export interface Pod {
  name: string;
  url: string;
  child: ChildProcess;
}

export interface Rehearsal {
  cluster: Cluster;
  /** Where the image's files are (its WORKDIR): `dist/` and nothing else. */
  imageRoot: string;
  pods: Map<string, Pod>;
  kong: KongStandIn;
  /** The host Kong serves (the Ingress rules' host). */
  publicHost: string;
  slack: SlackEmulator;
  sql: postgres.Sql;
  issuer: LocalIssuer;
  deliveries: Delivery[];
  printed: PrintedLine[];
  pingSources: Map<string, RunningPingSource>;
  /** The prefixed name of a topic the manifests name. */
  topic(name: string): string;
  kafka: ReturnType<typeof createKafkaClient>;
  /** POST a Slack request through Kong, signed with the signing secret the pods were given. */
  postSlack(path: string, body: string): Promise<{ status: number; body: string }>;
  /** Run a command inside the image (its WORKDIR, the setup Job's environment), e.g. an operator tool. */
  runInImage(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

/** The cluster addresses the rehearsal replaces, by variable; nothing else may name one. */
function clusterAddresses(local: { brokers: string; issuer: LocalIssuer; topicPrefix: string }): Record<string, string> {
  return {
    KAFKA_BROKERS: local.brokers,
    // One broker here; the cluster's topics have three replicas.
    KAFKA_REPLICATION_FACTOR: '1',
    // Each rehearsal has topics and consumer groups of its own on the shared test broker.
    KAFKA_TOPIC_PREFIX: local.topicPrefix,
    AUTH_OIDC_ISSUER: local.issuer.url,
    AUTH_OIDC_JWKS_URL: local.issuer.jwksUrl,
  };
}

function onLines(stream: NodeJS.ReadableStream, each: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) each(line);
  });
}

/** POST with a Host header (fetch would not send one of our choosing). */
function postWithHost(url: string, host: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { ...headers, host, 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function startRehearsal(options: {
  /** The `node` binary the image's command finds on its PATH. */
  node: string;
  kafka: SaslListeners;
  users: Record<string, EmulatedUser>;
  /** Milliseconds a PingSource minute lasts. */
  msPerMinute: number;
}): Promise<Rehearsal> {
  const root = process.cwd();
  const cluster = renderCluster(root);
  const image = readImageStage(join(root, 'Dockerfile'));
  const work = await mkdtemp(join(tmpdir(), 'coffeebuddy-rehearsal-'));
  const cleanups: (() => Promise<unknown>)[] = [() => rm(work, { recursive: true, force: true })];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    // The image: `npm run build`'s dist/, copied alone to the WORKDIR (Dockerfile runtime stage).
    await buildAll(join(work, 'build', 'dist'));
    const imageRoot = join(work, 'image', image.workdir);
    await mkdir(imageRoot, { recursive: true });
    await cp(join(work, 'build', 'dist'), join(imageRoot, 'dist'), { recursive: true });

    const suffix = randomBytes(4).toString('hex');
    const topicPrefix = `rehearsal-${suffix}.`;
    const databaseName = `coffeebuddy_rehearsal_${suffix}`;
    // The on-prem database speaks TLS only, and the pods check its certificate against its CA
    // (DATABASE_SSL_MODE=verify-full in the ConfigMap, the CA where Vault's agent writes it).
    const database = await startTlsPostgres();
    cleanups.push(() => database.close());
    const admin = postgres(database.url, { max: 1, ssl: 'require', onnotice: () => undefined });
    await admin.unsafe(`create database ${databaseName}`);
    cleanups.push(() => admin.end({ timeout: 5 }));
    const databaseUrl = Object.assign(new URL(database.url), { pathname: `/${databaseName}` }).toString();
    const sql = postgres(databaseUrl, { max: 2, ssl: 'require', onnotice: () => undefined });
    cleanups.push(() => sql.end({ timeout: 5 }));

    const issuer = await startLocalIssuer();
    cleanups.push(() => issuer.close());
    const slack = await startSlackEmulator({ users: options.users });
    cleanups.push(() => slack.close());
    const signingSecret = randomBytes(16).toString('hex');

    // Secret files where the pods look for them (Vault Agent's /vault/secrets, the ServiceAccount's
    // projected token and CA), under a folder of the rehearsal's own.
    const files = join(work, 'files');
    const ca = await readFile(options.kafka.caFile, 'utf8');
    const secretContents: Record<string, string> = {
      'database-url': databaseUrl,
      'database-ca.crt': database.ca,
      'slack-bot-token': 'xoxb-rehearsal',
      'slack-signing-secret': signingSecret,
      'kafka-sasl-password': options.kafka.password,
      'kafka-ca.crt': ca,
      token: 'rehearsal-projected-service-account-token',
      'ca.crt': ca,
    };
    const localPath = async (path: string) => {
      const content = secretContents[basename(path)];
      if (content === undefined) throw new Error(`a pod reads ${path}, a file the rehearsal does not know how to provide`);
      const target = join(files, path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
      return target;
    };
    const addresses = clusterAddresses({ brokers: options.kafka.sslBrokers, issuer, topicPrefix });
    const podEnv = async (container: Container, extra: Record<string, string>) => {
      const env: Record<string, string> = { ...image.env, ...containerEnv(container, cluster.configMaps) };
      for (const [name, value] of Object.entries(env)) {
        if (name in addresses) env[name] = addresses[name]!;
        else if (/^\/(vault|var\/run\/secrets)\//.test(value)) env[name] = await localPath(value);
        else if (/\.svc(\.|:|\/|$)/.test(value)) throw new Error(`${name}=${value} names a cluster address the rehearsal does not replace`);
      }
      return { ...env, ...extra, PATH: `${dirname(options.node)}:/usr/bin:/bin`, HOME: work };
    };

    const printed: PrintedLine[] = [];
    const watch = (name: string, child: ChildProcess) => {
      for (const stream of ['stdout', 'stderr'] as const) {
        onLines(child[stream]!, (text) => {
          let entry: PrintedLine['entry'] = null;
          try {
            entry = JSON.parse(text) as PrintedLine['entry'];
          } catch {
            entry = null;
          }
          printed.push({ process: name, stream, text, entry });
        });
      }
    };

    const runInImage = async (args: string[], env: Record<string, string>) => {
      const child = spawn(args[0]!, args.slice(1), { cwd: imageRoot, env: { ...env, ...bundleCoverageEnv() }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const [code] = (await once(child, 'exit')) as [number];
      return { code, stdout, stderr };
    };

    // The setup Job first: migrations and topics, as `kubectl apply` would run it before the functions serve.
    const setupEnv = await podEnv(cluster.setupJob, {});
    const setup = await runInImage([...(cluster.setupJob.command ?? []), ...(cluster.setupJob.args ?? [])], setupEnv);
    if (setup.code !== 0) throw new Error(`the setup Job failed (${setup.code}):\n${setup.stdout}\n${setup.stderr}`);

    // Each KService: the image's CMD with the KService's environment, on a port of its own (Knative's $PORT).
    const pods = new Map<string, Pod>();
    for (const kservice of cluster.kservices) {
      const port = await freePort();
      const env = await podEnv(kservice.container, {
        PORT: String(port),
        SLACK_API_URL: slack.url,
        SLACK_RESPONSE_URL_PREFIXES: `${new URL(slack.url).origin}/response/`,
      });
      const command = kservice.container.command ?? image.cmd;
      const child = spawn(command[0]!, command.slice(1), { cwd: imageRoot, env: { ...env, ...bundleCoverageEnv() }, stdio: ['ignore', 'pipe', 'pipe'] });
      watch(kservice.name, child);
      pods.set(kservice.name, { name: kservice.name, url: `http://127.0.0.1:${port}`, child });
    }
    cleanups.push(async () => {
      await Promise.all(
        [...pods.values()].map(async (pod) => {
          if (pod.child.exitCode !== null) return;
          pod.child.kill('SIGTERM');
          await once(pod.child, 'exit');
        }),
      );
    });
    await Promise.all([...pods.values()].map((pod) => waitReady(pod, printed)));

    const resolve = (name: string) => {
      const pod = pods.get(name);
      if (!pod) throw new Error(`a sink or route names ${name}, which no KService in the manifests serves`);
      return pod.url;
    };
    const kong = await startKong(cluster.kongRoutes, resolve);
    cleanups.push(() => kong.close());

    const deliveries: Delivery[] = [];
    const context: SourceContext = {
      issuer,
      deliveries,
      resolve: (ref) => {
        if (ref.kind !== 'Service' || ref.apiVersion !== 'serving.knative.dev/v1')
          throw new Error(`a sink refers to a ${ref.kind}, which the rehearsal does not serve`);
        return resolve(ref.name);
      },
    };
    // The sources log in as their YAML says (the coffeebuddy-kafka Secret: SCRAM over TLS with the cluster's CA).
    const kafka = createKafkaClient({
      brokers: options.kafka.sslBrokers.split(','),
      clientId: 'rehearsal-sources',
      sasl: { mechanism: 'scram-sha-512', username: options.kafka.username, password: options.kafka.password },
      ssl: { ca: [ca] },
      log: createLogger({ level: 'error' }),
    });
    const running: RunningSource[] = [];
    cleanups.push(() => Promise.all(running.map((source) => source.stop())));
    running.push(
      ...(await Promise.all(
        cluster.kafkaSources.map((spec) => {
          const deadLetterRef = spec.delivery.deadLetterSink?.ref;
          const deadLetterTopic = deadLetterRef ? cluster.kafkaSinks.get(deadLetterRef.name) : undefined;
          if (deadLetterRef && !deadLetterTopic)
            throw new Error(`KafkaSource ${spec.name}: dead-letter sink ${deadLetterRef.name} is not a KafkaSink in the manifests`);
          return startKafkaSource(spec, { kafka, topicPrefix, deadLetterTopic: deadLetterTopic ? `${topicPrefix}${deadLetterTopic}` : null, context });
        }),
      )),
    );
    const pingSources = new Map(cluster.pingSources.map((spec) => [spec.name, startPingSource(spec, { context, msPerMinute: options.msPerMinute })]));
    running.push(...pingSources.values());

    const publicHost = cluster.kongRoutes[0]?.host ?? '';
    return {
      cluster,
      imageRoot,
      pods,
      kong,
      publicHost,
      slack,
      sql,
      issuer,
      deliveries,
      printed,
      pingSources,
      kafka,
      topic: (name) => `${topicPrefix}${name}`,
      postSlack: (path, body) => postWithHost(`${kong.url}${path}`, publicHost, slackHeaders(signingSecret, body, new Date()), body),
      runInImage: (args) => runInImage(args, setupEnv),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function waitReady(pod: Pod, printed: readonly PrintedLine[]): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (pod.child.exitCode !== null) {
      const output = printed.filter((line) => line.process === pod.name).map((line) => line.text);
      throw new Error(`${pod.name} exited with ${pod.child.exitCode}:\n${output.join('\n')}`);
    }
    const ready = await fetch(`${pod.url}/health/ready`).catch(() => null);
    if (ready?.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${pod.name} was not ready within 30 s`);
}
