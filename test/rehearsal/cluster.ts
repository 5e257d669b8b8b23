/**
 * What the rehearsal reads of a deployment: the manifests as `kubectl kustomize .` renders them
 * for `kubectl apply -k .` (ConfigMaps with their hashed names, the image set), and the runtime
 * stage of the Dockerfile. Nothing here comes from the function registry: the rehearsal runs what
 * the YAML says, so a manifest that wires something wrong fails it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

export interface EnvVar {
  name: string;
  value?: string;
}

export interface Container {
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string } }[];
}

/** A Knative Destination: a ref (resolved to its URL) plus a relative `uri`, and the audience its tokens carry. */
export interface Sink {
  ref?: { apiVersion: string; kind: string; name: string };
  uri?: string;
  audience?: string;
}

export interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  // Each kind's spec is read by the function that knows that kind, below.
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

export interface KService {
  name: string;
  container: Container;
}

export interface KafkaSourceSpec {
  name: string;
  namespace: string;
  topics: string[];
  consumerGroup: string;
  initialOffset: 'earliest' | 'latest';
  ordering: string;
  delivery: { retry: number; backoffPolicy: string; backoffDelay: string; timeout: string; deadLetterSink?: Sink };
  sink: Sink;
}

export interface PingSourceSpec {
  name: string;
  namespace: string;
  schedule: string;
  contentType: string;
  data: string;
  sink: Sink;
}

/** An Ingress path as Kong serves it: host, exact path, the methods and plugins its annotations name, and the Service behind it. */
export interface KongRoute {
  host: string;
  path: string;
  pathType: string;
  methods: string[];
  plugins: Record<string, Record<string, unknown>>;
  /** The KService Kong sends to (the upstream's `konghq.com/host-header`). */
  service: string;
  readTimeoutMs: number;
}

/** The image's runtime stage: its working directory, environment and command. */
export interface ImageStage {
  workdir: string;
  env: Record<string, string>;
  cmd: string[];
}

export interface Cluster {
  resources: Resource[];
  kservices: KService[];
  configMaps: Map<string, Record<string, string>>;
  kafkaSources: KafkaSourceSpec[];
  /** KafkaSink name → its topic. */
  kafkaSinks: Map<string, string>;
  pingSources: PingSourceSpec[];
  kongRoutes: KongRoute[];
  setupJob: Container;
}

/** Render the manifests as `kubectl apply -k` would apply them; fails loudly without kubectl. */
export function renderCluster(root: string): Cluster {
  let rendered: string;
  try {
    rendered = execFileSync('kubectl', ['kustomize', root], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    throw new Error(
      `The deployment rehearsal renders the manifests with \`kubectl kustomize\` (kubectl ≥ 1.27, kustomize 5), which failed: ${(error as Error).message}`,
    );
  }
  const resources = parseAllDocuments(rendered)
    .map((doc) => doc.toJS() as Resource | null)
    .filter((resource): resource is Resource => resource !== null);
  const of = (kind: string) => resources.filter((resource) => resource.kind === kind);
  const spec = <T>(resource: Resource) => resource.spec as T;
  const upstreams = new Map(of('Service').map((service) => [service.metadata.name, service.metadata.annotations?.['konghq.com/host-header'] ?? '']));
  const plugins = new Map(of('KongPlugin').map((plugin) => [plugin.metadata.name, plugin as unknown as { plugin: string; config: Record<string, unknown> }]));
  return {
    resources,
    kservices: of('Service')
      .filter((resource) => resource.apiVersion === 'serving.knative.dev/v1')
      .map((resource) => ({
        name: resource.metadata.name,
        container: spec<{ template: { spec: { containers: Container[] } } }>(resource).template.spec.containers[0]!,
      })),
    configMaps: new Map(of('ConfigMap').map((map) => [map.metadata.name, map.data ?? {}])),
    kafkaSources: of('KafkaSource').map((resource) => ({
      name: resource.metadata.name,
      namespace: resource.metadata.namespace ?? 'default',
      ...spec<Omit<KafkaSourceSpec, 'name' | 'namespace'>>(resource),
    })),
    kafkaSinks: new Map(of('KafkaSink').map((sink) => [sink.metadata.name, spec<{ topic: string }>(sink).topic])),
    pingSources: of('PingSource').map((resource) => ({
      name: resource.metadata.name,
      namespace: resource.metadata.namespace ?? 'default',
      ...spec<Omit<PingSourceSpec, 'name' | 'namespace'>>(resource),
    })),
    kongRoutes: of('Ingress').flatMap((ingress) => {
      const annotations = ingress.metadata.annotations ?? {};
      const rules = spec<{ rules: { host: string; http: { paths: { path: string; pathType: string; backend: { service: { name: string } } }[] } }[] }>(
        ingress,
      ).rules;
      return rules.flatMap((rule) =>
        rule.http.paths.map((path) => {
          const upstreamHost = upstreams.get(path.backend.service.name) ?? '';
          const upstreamAnnotations = of('Service').find((service) => service.metadata.name === path.backend.service.name)?.metadata.annotations ?? {};
          return {
            host: rule.host,
            path: path.path,
            pathType: path.pathType,
            methods: (annotations['konghq.com/methods'] ?? '').split(',').filter(Boolean),
            plugins: Object.fromEntries(
              (annotations['konghq.com/plugins'] ?? '')
                .split(',')
                .filter(Boolean)
                .map((name) => {
                  const plugin = plugins.get(name);
                  if (!plugin) throw new Error(`Ingress ${ingress.metadata.name} names KongPlugin ${name}, which is not in the manifests`);
                  return [plugin.plugin, plugin.config];
                }),
            ),
            service: upstreamHost.split('.')[0]!,
            readTimeoutMs: Number(upstreamAnnotations['konghq.com/read-timeout'] ?? 60_000),
          };
        }),
      );
    }),
    setupJob: spec<{ template: { spec: { containers: Container[] } } }>(of('Job')[0]!).template.spec.containers[0]!,
  };
}

/** The Dockerfile's last stage: `WORKDIR`, `ENV` and the exec-form `CMD`. */
export function readImageStage(dockerfile: string): ImageStage {
  const lines = readFileSync(dockerfile, 'utf8').split('\n');
  const lastFrom = lines.findLastIndex((line) => /^FROM\s/i.test(line));
  const stage = lines.slice(lastFrom);
  const env: Record<string, string> = {};
  let workdir = '/';
  let cmd: string[] | null = null;
  for (const line of stage) {
    const [, instruction, rest] = /^(\w+)\s+(.*)$/.exec(line.trim()) ?? [];
    if (instruction === 'WORKDIR') workdir = rest!;
    if (instruction === 'ENV') for (const [, key, value] of rest!.matchAll(/(\w+)=(\S+)/g)) env[key!] = value!;
    if (instruction === 'CMD') cmd = JSON.parse(rest!) as string[];
  }
  if (!cmd) throw new Error(`${dockerfile}: the runtime stage has no exec-form CMD`);
  return { workdir, env, cmd };
}

/** The environment a container gets: its ConfigMaps (`envFrom`), then its own `env`, which wins (Kubernetes' order). */
export function containerEnv(container: Container, configMaps: ReadonlyMap<string, Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (!from.configMapRef) continue;
    const data = configMaps.get(from.configMapRef.name);
    if (!data) throw new Error(`envFrom names ConfigMap ${from.configMapRef.name}, which is not in the manifests`);
    Object.assign(env, data);
  }
  for (const variable of container.env ?? []) {
    if (variable.value === undefined) throw new Error(`${variable.name}: only literal values are rehearsed (valueFrom is not)`);
    env[variable.name] = variable.value;
  }
  return env;
}

/** A Kubernetes duration as KafkaSource delivery writes it (ISO 8601, e.g. `PT0.2S`, `PT10S`, `PT1M`), in ms. */
export function isoDurationMs(duration: string): number {
  const match = /^PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$/.exec(duration);
  if (!match) throw new Error(`not an ISO 8601 duration the rehearsal reads: ${duration}`);
  const [, hours = '0', minutes = '0', seconds = '0'] = match;
  return Math.round((Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds)) * 1000);
}
