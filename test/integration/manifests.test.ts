// biome-ignore-all lint/suspicious/noExplicitAny: parsed YAML documents of many kinds are read loosely here
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parser as promql } from '@prometheus-io/lezer-promql';
import { Ajv, type ValidateFunction } from 'ajv';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { registry } from '../../functions/registry.ts';
import { databaseTlsConfigShape, databaseTlsProblems, kafkaCombinationProblems, kafkaConfigShape, resolveFileVariables } from '../../shared/config.ts';
import { deadLetterRetryPolicy, defaultRetryPolicy } from '../../shared/events/delivery.ts';
import { topicKeyFor, topicName } from '../../shared/events/topics.ts';
import { deadLetterPath, deadLetterSourceName, eventPath, tickPath, type AnyFunction } from '../../shared/function.ts';
import { createMetrics } from '../../shared/metrics.ts';
import { configSchemaFor } from '../../shared/runtime.ts';
import { panels } from '../../scripts/manifests/dashboard.ts';
import { secretFilesFor, setupSecretFiles } from '../../scripts/manifests/environment.ts';
import { compare, readCommitted } from '../../scripts/manifests/files.ts';
import { generateManifests } from '../../scripts/manifests/generate.ts';
import { connectionBudget } from '../../scripts/manifests/kservice.ts';
import { audienceFor, consumedTypes, needsSweep, serviceAccountFor, servesSlack } from '../../scripts/manifests/names.ts';
import { defaultManifestOptions, type ManifestOptions } from '../../scripts/manifests/options.ts';
import { botScopes } from '../../scripts/manifests/slack-app.ts';

const root = join(import.meta.dirname, '../..');
const crdDir = join(root, 'test/fixtures/crds');

type Doc = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: any;
};

// --- schemas -------------------------------------------------------------------------------

/**
 * A CRD's structural schema as the API server applies it with strict field validation
 * (`kubectl apply --validate=strict`): an object that lists its properties and does not say
 * `x-kubernetes-preserve-unknown-fields` takes no other field.
 */
function refuseUnknownFields(schema: any, isRoot = true): any {
  if (Array.isArray(schema)) return schema.map((item) => refuseUnknownFields(item, false));
  if (!schema || typeof schema !== 'object') return schema;
  const copy: any = {};
  for (const [key, value] of Object.entries(schema)) {
    // `properties` maps names to schemas: recurse into each, never treat the map itself as one.
    copy[key] =
      key === 'properties'
        ? Object.fromEntries(
            Object.entries(value as object).map(([name, sub]) => [name, isRoot && name === 'metadata' ? sub : refuseUnknownFields(sub, false)]),
          )
        : refuseUnknownFields(value, false);
  }
  if (copy.properties && copy.additionalProperties === undefined && !copy['x-kubernetes-preserve-unknown-fields']) {
    copy.additionalProperties = false;
  }
  // Every object has these at its root, whether or not its CRD's schema lists them.
  if (isRoot) copy.properties = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, ...copy.properties };
  return copy;
}

/** CRD patterns are Go (RE2) expressions: read RE2's inline case-insensitive flag as JavaScript's `i`. */
const goRegExp = Object.assign(
  (pattern: string, flags: string) => {
    const inline = /^(\^?)\(\?i\)/.exec(pattern);
    return inline ? new RegExp(inline[1] + pattern.slice(inline[0].length), `${flags}i`) : new RegExp(pattern, flags);
  },
  { code: 'goRegExp' },
);
// strictTypes off: the KafkaSink CRD puts minLength on an array, which Kubernetes ignores too.
const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, validateFormats: false, code: { regExp: goRegExp } });
ajv.addVocabulary([
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
  'x-kubernetes-embedded-resource',
]);

/** The strict validator of each custom kind, by `apiVersion/kind`. */
const crdValidators = new Map<string, ValidateFunction>(
  readdirSync(crdDir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => {
      const [group, kind, version] = file.replace(/\.json$/, '').split('_') as [string, string, string];
      const { $comment: _source, ...schema } = JSON.parse(readFileSync(join(crdDir, file), 'utf8'));
      const compiled = ajv.compile(refuseUnknownFields(schema));
      const kindName = {
        service: 'Service',
        pingsource: 'PingSource',
        kafkasource: 'KafkaSource',
        kafkasink: 'KafkaSink',
        kongplugin: 'KongPlugin',
        prometheusrule: 'PrometheusRule',
        podmonitor: 'PodMonitor',
      }[kind];
      return [`${group}/${version}/${kindName}`, compiled] as const;
    }),
);

/** Core kinds, checked by kubernetes-models (types and required fields; it does not refuse extra fields). */
const coreModels: Record<string, (doc: Doc) => { validate(): void }> = {
  'v1/Namespace': (doc) => new Namespace(doc as never),
  'v1/ServiceAccount': (doc) => new ServiceAccount(doc as never),
  'v1/Service': (doc) => new Service(doc as never),
  'networking.k8s.io/v1/Ingress': (doc) => new Ingress(doc as never),
  'networking.k8s.io/v1/NetworkPolicy': (doc) => new NetworkPolicy(doc as never),
  'batch/v1/Job': (doc) => new Job(doc as never),
  'policy/v1/PodDisruptionBudget': (doc) => new PodDisruptionBudget(doc as never),
};

/** Problems with one object: schema errors of its kind, or an unknown kind. */
function validate({ file: _file, ...doc }: Doc & { file?: string }): string[] {
  const key = `${doc.apiVersion}/${doc.kind}`;
  const metadataKeys = Object.keys(doc.metadata ?? {}).filter((name) => !['name', 'namespace', 'labels', 'annotations'].includes(name));
  const problems = metadataKeys.map((name) => `metadata.${name} is not expected`);
  const crd = crdValidators.get(key);
  if (crd) {
    if (!crd(doc)) problems.push(...crd.errors!.map((error) => `${error.instancePath} ${error.message} ${JSON.stringify(error.params)}`));
    return problems;
  }
  const model = coreModels[key];
  if (!model) return [...problems, `no schema for ${key}`];
  try {
    model(doc).validate();
  } catch (error) {
    problems.push((error as Error).message);
  }
  return problems;
}

// --- generated objects ---------------------------------------------------------------------

function documentsOf(files: ReadonlyMap<string, string>): (Doc & { file: string })[] {
  return [...files]
    .filter(
      ([path]) => path.endsWith('.yaml') && path !== 'kustomization.yaml' && path !== 'slack-app-manifest.yaml' && !path.endsWith('kustomize-config.yaml'),
    )
    .flatMap(([path, content]) =>
      parseAllDocuments(content).map((document) => {
        expect(document.errors, path).toEqual([]);
        return { ...(document.toJS() as Doc), file: path };
      }),
    );
}

function envFile(content: string): Record<string, string> {
  return Object.fromEntries(
    content
      .split('\n')
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

const variants: [string, ManifestOptions][] = [
  ['production defaults (Vault, SASL + TLS)', defaultManifestOptions],
  ['Secret volumes instead of Vault', { ...defaultManifestOptions, secrets: { ...defaultManifestOptions.secrets, delivery: 'secret-volume' } }],
  ['Kafka without SASL or TLS', { ...defaultManifestOptions, kafka: { ...defaultManifestOptions.kafka, sasl: null, tls: false } }],
  [
    'Slack through the corporate proxy, Postgres encrypted without a CA',
    {
      ...defaultManifestOptions,
      outboundProxy: { url: 'http://proxy.example.internal:3128', noProxy: '.svc,.cluster.local' },
      database: { sslMode: 'require', ca: false },
    },
  ],
];

const committed = generateManifests(registry, defaultManifestOptions);
const docs = documentsOf(committed);
const find = (kind: string, name: string) => docs.find((doc) => doc.kind === kind && doc.metadata.name === name);
const kserviceOf = (fn: AnyFunction) => docs.find((doc) => doc.apiVersion === 'serving.knative.dev/v1' && doc.metadata.name === fn.name)!;
const envOf = (fn: AnyFunction): Record<string, string> =>
  Object.fromEntries(kserviceOf(fn).spec.template.spec.containers[0].env.map((env: { name: string; value: string }) => [env.name, env.value]));

describe('deployment manifests (npm run manifests)', () => {
  it('the committed files are exactly what the registry generates', async () => {
    const drift = compare(committed, await readCommitted(root));
    // On failure: run `npm run manifests` and commit the result.
    expect(drift).toEqual({ changed: [], missing: [], stale: [] });
  });

  describe.each(variants)('%s', (_name, options) => {
    const variantDocs = documentsOf(generateManifests(registry, options));

    it('every object is valid against its Knative, Kong, Prometheus or Kubernetes schema, unknown fields refused', () => {
      const problems = variantDocs.flatMap((doc) => validate(doc).map((problem) => `${doc.file} ${doc.kind}/${doc.metadata.name}: ${problem}`));
      expect(problems).toEqual([]);
      expect(new Set(variantDocs.map((doc) => doc.kind))).toEqual(
        new Set([
          'Namespace',
          'ServiceAccount',
          'Job',
          'Service',
          'PingSource',
          'KafkaSource',
          'KafkaSink',
          'KongPlugin',
          'Ingress',
          'PodMonitor',
          'PrometheusRule',
          'NetworkPolicy',
          'PodDisruptionBudget',
        ]),
      );
    });

    it("every function's configuration loads from what its manifests give it", () => {
      const files = generateManifests(registry, options);
      const common = envFile(files.get('knative/config/common.env')!);
      const kafka = envFile(files.get('knative/config/kafka.env')!);
      expect(common.DATABASE_SSL_MODE).toBe(options.database.sslMode);
      expect([common.HTTPS_PROXY, common.NO_PROXY]).toEqual([options.outboundProxy?.url, options.outboundProxy?.noProxy]);
      const platform = new Set(['FUNCTION', 'NODE_EXTRA_CA_CERTS']);
      const readByAny = new Set(registry.flatMap((fn) => Object.keys(configSchemaFor([fn]).shape)));
      for (const fn of registry) {
        const kservice = variantDocs.find((doc) => doc.apiVersion === 'serving.knative.dev/v1' && doc.metadata.name === fn.name)!;
        const container = kservice.spec.template.spec.containers[0];
        const fromMaps = Object.assign(
          {},
          ...container.envFrom.map((from: { configMapRef: { name: string } }) =>
            from.configMapRef.name === 'coffeebuddy-config' ? common : from.configMapRef.name === 'coffeebuddy-kafka-config' ? kafka : {},
          ),
        );
        const env: Record<string, string> = {
          ...fromMaps,
          ...Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value])),
        };
        const schema = configSchemaFor([fn]);
        const names = Object.keys(schema.shape);
        // Every variable set for this function is one it reads (or its NAME_FILE), so a typo
        // cannot hide; a shared ConfigMap's may be read by another function.
        const own = container.env.map((e: { name: string }) => e.name) as string[];
        const unknown = own.filter((name) => !platform.has(name) && !names.includes(name) && !names.includes(name.replace(/_FILE$/, '')));
        expect(unknown, fn.name).toEqual([]);
        for (const name of Object.keys(fromMaps)) expect(readByAny, name).toContain(name);
        // Secret files stand in for what Vault or the Secret would write.
        const secret = (path: string) => (path.endsWith('.crt') ? '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----' : `secret from ${path}`);
        const { env: resolved, problems } = resolveFileVariables(env, names, secret);
        expect([...problems, ...kafkaCombinationProblems(resolved), ...databaseTlsProblems(resolved)], fn.name).toEqual([]);
        const parsed = schema.safeParse(resolved);
        expect(parsed.success ? [] : parsed.error.issues, fn.name).toEqual([]);
      }
      // The setup job: scripts/create-topics.ts reads the Kafka variables, migrate the database URL and its TLS.
      const job = variantDocs.find((doc) => doc.kind === 'Job')!.spec.template.spec.containers[0];
      expect(job.envFrom).toEqual([{ configMapRef: { name: 'coffeebuddy-config' } }, { configMapRef: { name: 'coffeebuddy-kafka-config' } }]);
      const jobEnv = { ...common, ...kafka, ...Object.fromEntries(job.env.map((e: { name: string; value: string }) => [e.name, e.value])) };
      const jobNames = [...Object.keys(kafkaConfigShape), ...Object.keys(databaseTlsConfigShape), 'DATABASE_URL'];
      const { env: jobResolved, problems: jobProblems } = resolveFileVariables(jobEnv, jobNames, (path) =>
        path.endsWith('.crt') ? '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----' : 'secret',
      );
      expect([...jobProblems, ...kafkaCombinationProblems(jobResolved), ...databaseTlsProblems(jobResolved)]).toEqual([]);
      expect(jobResolved.DATABASE_URL).toBeDefined();
      expect(z.object({ ...kafkaConfigShape, ...databaseTlsConfigShape }).safeParse(jobResolved).success).toBe(true);
      expect(jobResolved).toMatchObject({ DATABASE_SSL_MODE: options.database.sslMode });
    });
  });

  it('every consumed event type reaches its function through its KafkaSource', () => {
    for (const fn of registry) {
      const source = find('KafkaSource', fn.name);
      if (consumedTypes(fn).length === 0) {
        expect(source, `${fn.name} consumes nothing`).toBeUndefined();
        continue;
      }
      expect(source, fn.name).toBeDefined();
      for (const type of consumedTypes(fn)) expect(source!.spec.topics, `${fn.name} ← ${type}`).toContain(topicName(topicKeyFor(type)));
      expect(source!.spec.sink).toEqual({
        ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: fn.name },
        uri: eventPath(fn.name),
        audience: audienceFor(fn),
      });
      expect(source!.spec.consumerGroup).toBe(`coffeebuddy-${fn.name}`);
      expect(source!.spec).toMatchObject({ initialOffset: 'earliest', ordering: 'ordered' });
    }
  });

  it("KafkaSource delivery is the code's contract, dead letters going to the dead-letter KafkaSink", () => {
    const seconds = (iso: string) => Number(/^PT(\d+(?:\.\d+)?)S$/.exec(iso)![1]);
    const sink = find('KafkaSink', 'coffeebuddy-dead-letter')!;
    expect(sink.spec.topic).toBe(topicName('deadLetter'));
    for (const source of docs.filter((doc) => doc.kind === 'KafkaSource' && !doc.spec.topics.includes(sink.spec.topic))) {
      const { delivery } = source.spec;
      expect(delivery.retry).toBe(defaultRetryPolicy.retries);
      expect(delivery.backoffPolicy).toBe('exponential');
      expect(seconds(delivery.backoffDelay) * 1000).toBe(defaultRetryPolicy.backoffDelayMs);
      expect(seconds(delivery.timeout) * 1000).toBe(defaultRetryPolicy.timeoutMs);
      expect(delivery.deadLetterSink).toEqual({ ref: { apiVersion: sink.apiVersion, kind: 'KafkaSink', name: sink.metadata.name } });
      expect(source.spec.net).toEqual({
        sasl: {
          enable: true,
          user: { secretKeyRef: { name: 'coffeebuddy-kafka', key: 'user' } },
          password: { secretKeyRef: { name: 'coffeebuddy-kafka', key: 'password' } },
          type: { secretKeyRef: { name: 'coffeebuddy-kafka', key: 'sasl.mechanism' } },
        },
        tls: { enable: true, caCert: { secretKeyRef: { name: 'coffeebuddy-kafka', key: 'ca.crt' } } },
      });
    }
  });

  it('one KafkaSource brings the dead-letter topic to the function that parks dead letters, retrying long and never into itself', () => {
    const seconds = (iso: string) => Number(/^PT(\d+(?:\.\d+)?)S$/.exec(iso)![1]);
    const parkers = registry.filter((fn) => fn.recordsDeadLetters);
    expect(parkers.map((fn) => fn.name)).toEqual(['admin']);
    const fn = parkers[0]!;
    const readers = docs.filter((doc) => doc.kind === 'KafkaSource' && doc.spec.topics.includes(topicName('deadLetter')));
    expect(readers.map((doc) => doc.metadata.name)).toEqual([deadLetterSourceName(fn)]);
    const [source] = readers;
    expect(source!.file).toBe(`kafka-sources/${deadLetterSourceName(fn)}.yaml`);
    expect(source!.spec).toMatchObject({
      topics: [topicName('deadLetter')],
      consumerGroup: `coffeebuddy-${deadLetterSourceName(fn)}`,
      initialOffset: 'earliest',
      ordering: 'ordered',
    });
    // The route takes the function's own audience, as its /events/<name> does.
    expect(source!.spec.sink).toEqual({
      ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: fn.name },
      uri: deadLetterPath,
      audience: audienceFor(fn),
    });
    const { delivery } = source!.spec;
    expect(delivery.deadLetterSink).toBeUndefined();
    expect(delivery).toMatchObject({ retry: deadLetterRetryPolicy.retries, backoffPolicy: 'exponential' });
    expect(seconds(delivery.backoffDelay) * 1000).toBe(deadLetterRetryPolicy.backoffDelayMs);
    expect(seconds(delivery.timeout) * 1000).toBe(deadLetterRetryPolicy.timeoutMs);
    // Generous: hours of backoff before it gives up (and drops).
    const backoffMs = Array.from({ length: delivery.retry }, (_, n) => deadLetterRetryPolicy.backoffDelayMs * 2 ** n).reduce((a, b) => a + b, 0);
    expect(backoffMs).toBeGreaterThan(6 * 3600_000);
    expect(source!.spec.net).toEqual(find('KafkaSource', fn.name)!.spec.net);
  });

  it('every function with outbox rows or Slack effects is swept by a PingSource', () => {
    const sweeps = docs.filter((doc) => doc.kind === 'PingSource' && doc.spec.sink.uri === '/sweep');
    expect(sweeps.map((ping) => ping.spec.sink.ref.name).sort()).toEqual(
      registry
        .filter(needsSweep)
        .map((fn) => fn.name)
        .sort(),
    );
    for (const ping of sweeps) {
      const fn = registry.find((candidate) => candidate.name === ping.spec.sink.ref.name)!;
      expect(ping.spec.sink.audience).toBe(audienceFor(fn));
    }
  });

  it("every function's timer ticks by a PingSource on its schedule, to its tick route, with its audience", () => {
    const timers = registry.flatMap((fn) => (fn.timers ?? []).map((timer) => ({ fn, timer })));
    expect(timers.length).toBeGreaterThan(0);
    for (const { fn, timer } of timers) {
      const ping = docs.find((doc) => doc.kind === 'PingSource' && doc.spec.sink.ref.name === fn.name && doc.spec.sink.uri === tickPath(timer));
      expect(ping, `${fn.name} ${timer.name}`).toBeDefined();
      expect(ping!.spec).toMatchObject({ schedule: timer.schedule, sink: { audience: audienceFor(fn) } });
    }
  });

  it('every KService is cluster-local, and its internal routes require its own audience', () => {
    for (const fn of registry) {
      const kservice = kserviceOf(fn);
      expect(kservice.metadata.labels!['networking.knative.dev/visibility'], fn.name).toBe('cluster-local');
      expect(envOf(fn).AUTH_AUDIENCE).toBe(audienceFor(fn));
      expect(envOf(fn).FUNCTION).toBe(fn.name);
    }
    // Every sender of events or ticks asks for the audience of the function it calls.
    for (const source of docs.filter((doc) => doc.kind === 'KafkaSource' || doc.kind === 'PingSource')) {
      const target = registry.find((fn) => fn.name === source.spec.sink.ref.name)!;
      expect(source.spec.sink.audience, `${source.kind}/${source.metadata.name}`).toBe(audienceFor(target));
    }
  });

  it('only the Slack routes are reachable from outside: Kong, HTTPS, exact paths, rate and size limits', () => {
    const ingresses = docs.filter((doc) => doc.kind === 'Ingress');
    const exposed = ingresses.flatMap((ingress) => ingress.spec.rules.flatMap((rule: any) => rule.http.paths.map((path: any) => ({ ingress, path }))));
    const slackRoutes = registry.flatMap((fn) => fn.routes.map((route) => ({ fn, route })));
    expect(exposed.map(({ path }) => path.path).sort()).toEqual(slackRoutes.map(({ route }) => route.path).sort());
    expect(slackRoutes.map(({ route }) => route.path).sort()).toEqual(['/slack/commands', '/slack/interactions']);
    for (const { fn, route } of slackRoutes) {
      const { ingress, path } = exposed.find((entry) => entry.path.path === route.path)!;
      expect(path.pathType).toBe('Exact');
      expect(ingress.spec.ingressClassName).toBe('kong');
      expect(ingress.spec.tls).toEqual([{ hosts: [defaultManifestOptions.publicHost], secretName: defaultManifestOptions.tlsSecretName }]);
      expect(ingress.metadata.annotations).toMatchObject({ 'konghq.com/protocols': 'https', 'konghq.com/methods': route.method });
      const plugins = ingress.metadata.annotations['konghq.com/plugins'].split(',');
      expect(plugins.map((name: string) => find('KongPlugin', name)?.plugin).sort()).toEqual(['rate-limiting', 'request-size-limiting']);
      // The backend is the function's own cluster-local address, with Knative's Host header.
      const upstream = find('Service', path.backend.service.name)!;
      const host = `${fn.name}.${defaultManifestOptions.namespace}.svc.${defaultManifestOptions.clusterDomain}`;
      expect(upstream.spec).toMatchObject({ type: 'ExternalName', externalName: host });
      expect(upstream.metadata.annotations).toMatchObject({ 'konghq.com/host-header': host, 'konghq.com/retries': '0' });
    }
    // No other way in: no LoadBalancer or NodePort Service, no other route kind.
    const services = docs.filter((doc) => doc.apiVersion === 'v1' && doc.kind === 'Service');
    expect(services.filter((service) => service.spec.type !== 'ExternalName')).toEqual([]);
    expect(docs.filter((doc) => ['HTTPRoute', 'Gateway', 'DomainMapping'].includes(doc.kind))).toEqual([]);
  });

  // --- NetworkPolicies: what an operator relies on, read from the YAML as the CNI would ---------

  const policies = docs.filter((doc) => doc.kind === 'NetworkPolicy');
  /** The policies that select a pod with these labels (an empty selector selects every pod). */
  const policiesFor = (labels: Record<string, string>) =>
    policies.filter((policy) => Object.entries(policy.spec.podSelector.matchLabels ?? {}).every(([key, value]) => labels[key] === value));
  /** A peer as `namespace[/pod label values]`; anything not naming one namespace (an ipBlock, an empty selector) as `everywhere`. */
  const peerName = (peer: any) => {
    const namespace = peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
    if (!namespace || peer.ipBlock) return 'everywhere';
    const pods = Object.values(peer.podSelector?.matchLabels ?? {});
    return pods.length > 0 ? `${namespace}/${pods.join(',')}` : namespace;
  };
  const ingressOf = (labels: Record<string, string>) =>
    policiesFor(labels)
      .flatMap((policy) => policy.spec.ingress ?? [])
      .flatMap((rule: any) =>
        (rule.from ?? [{}]).flatMap((peer: any) => (rule.ports ?? [{ port: 'any' }]).map((port: any) => `${peerName(peer)}:${port.port}`)),
      )
      .sort();
  const egressOf = (labels: Record<string, string>) =>
    policiesFor(labels)
      .flatMap((policy) => policy.spec.egress ?? [])
      .flatMap((rule: any) =>
        (rule.to ?? [{ ipBlock: { cidr: 'anywhere' } }]).flatMap((peer: any) =>
          (rule.ports ?? [{ port: 'any' }]).map(
            (port: any) =>
              `${peer.ipBlock ? `${peer.ipBlock.cidr}${peer.ipBlock.except ? ` except ${peer.ipBlock.except.join(',')}` : ''}` : peerName(peer)}:${port.protocol ?? 'TCP'}/${port.port}`,
          ),
        ),
      )
      .sort();
  const podLabelsOf = (fn: AnyFunction) => kserviceOf(fn).spec.template.metadata.labels as Record<string, string>;
  const setupPodLabels = () => find('Job', 'coffeebuddy-setup')!.spec.template.metadata.labels as Record<string, string>;
  const net = defaultManifestOptions.network;

  it('NetworkPolicies: every pod in the namespace is denied all traffic in and out unless a policy allows it', () => {
    const denyAll = policies.filter(
      (policy) =>
        Object.keys(policy.spec.podSelector).length === 0 &&
        [...policy.spec.policyTypes].sort().join() === 'Egress,Ingress' &&
        policy.spec.ingress === undefined &&
        policy.spec.egress === undefined,
    );
    expect(denyAll.map((policy) => policy.metadata.namespace)).toEqual([defaultManifestOptions.namespace]);
    expect(new Set(policies.map((policy) => policy.metadata.namespace))).toEqual(new Set([defaultManifestOptions.namespace]));
  });

  it("NetworkPolicies: each function takes requests only from Knative's gateway and activator, scrapes only from the autoscaler and Prometheus", () => {
    const expected = [
      `${net.ingressGatewayNamespace}:8012`,
      `${net.knativeServingNamespace}/activator:8012`,
      `${net.knativeServingNamespace}/autoscaler:9090`,
      `${net.monitoringNamespace}:8080`,
    ].sort();
    for (const fn of registry) expect(ingressOf(podLabelsOf(fn)), fn.name).toEqual(expected);
    // No rule anywhere admits every source (no `from`, an ipBlock, an empty selector).
    expect(policies.flatMap((policy) => ingressOf(policy.spec.podSelector.matchLabels ?? {})).filter((source) => source.startsWith('everywhere'))).toEqual([]);
    expect(ingressOf(setupPodLabels())).toEqual([]);
  });

  it('NetworkPolicies: each pod reaches only DNS and what it uses (database, Kafka if it publishes, the issuer, Slack on 443, Vault)', () => {
    const dns = [`${net.dns.namespace}/kube-dns:TCP/53`, `${net.dns.namespace}/kube-dns:UDP/53`];
    const postgres = `${(net.postgres.peer as { cidrs: string[] }).cidrs[0]}:TCP/${net.postgres.port}`;
    const kafka = `${(net.kafka as { namespace: string }).namespace}:TCP/9093`;
    const issuer = `${net.kubernetesApi.cidrs[0]}:TCP/${net.kubernetesApi.port}`;
    const slack = `0.0.0.0/0 except ${net.clusterCidrs.join(',')}:TCP/443`;
    const vault = `${(net.vault.peer as { namespace: string }).namespace}:TCP/${net.vault.port}`;
    const slackCallers = ['slash-command', 'interaction', 'close-run', 'reminder-due', 'admin'];
    const publishers = ['slash-command', 'interaction', 'close-run', 'fairness-assign', 'reminder-due'];
    for (const fn of registry) {
      const expected = [
        ...dns,
        postgres,
        issuer,
        vault,
        ...(publishers.includes(fn.name) ? [kafka] : []),
        ...(slackCallers.includes(fn.name) ? [slack] : []),
      ].sort();
      expect(egressOf(podLabelsOf(fn)), fn.name).toEqual(expected);
    }
    expect(egressOf(setupPodLabels())).toEqual([...dns, postgres, kafka, vault].sort());
    // The only rule to outside the cluster at large is Slack's HTTPS; with a proxy set, not even that.
    const proxied = documentsOf(
      generateManifests(registry, { ...defaultManifestOptions, network: { ...net, httpsProxy: { cidr: '198.51.100.7/32', port: 3128 } } }),
    );
    const toAnywhere = proxied
      .filter((doc) => doc.kind === 'NetworkPolicy')
      .flatMap((policy) => policy.spec.egress ?? [])
      .filter((rule: any) => !rule.to || rule.to.some((peer: any) => peer.ipBlock?.cidr === '0.0.0.0/0'));
    expect(toAnywhere).toEqual([]);
  });

  it("Kong's rate limit is one limit across Kong's nodes (counters in Redis), per client IP", () => {
    const plugin = docs.find((doc) => doc.kind === 'KongPlugin' && doc.plugin === 'rate-limiting')!;
    expect(plugin.config).toMatchObject({
      minute: defaultManifestOptions.rateLimitPerMinute,
      limit_by: 'ip',
      policy: 'redis',
      redis: { host: defaultManifestOptions.rateLimitRedis.host, port: defaultManifestOptions.rateLimitRedis.port },
    });
  });

  it("Vault: the Slack signing secret has its own path, which only the Slack functions' pods and policies read", () => {
    const signingPath = `${defaultManifestOptions.secrets.vaultPathPrefix}/slack-signing`;
    const vaultPaths = (annotations: Record<string, string>) =>
      Object.entries(annotations)
        .filter(([key]) => key.startsWith('vault.hashicorp.com/agent-inject-secret-'))
        .map(([, path]) => path);
    const readers = registry.filter((fn) => vaultPaths(kserviceOf(fn).spec.template.metadata.annotations).includes(signingPath));
    expect(readers.map((fn) => fn.name)).toEqual(registry.filter(servesSlack).map((fn) => fn.name));
    expect(readers.map((fn) => fn.name)).toEqual(['slash-command', 'interaction']);
    const policyPaths = (role: string) => [...committed.get(`vault/${role}.hcl`)!.matchAll(/^path "([^"]+)"/gm)].map((match) => match[1]).sort();
    for (const fn of registry) {
      expect(policyPaths(serviceAccountFor(fn)), fn.name).toEqual(
        [...new Set(secretFilesFor(fn, defaultManifestOptions).map((file) => file.vault.path))].sort(),
      );
      expect(policyPaths(serviceAccountFor(fn)), fn.name).toEqual([...new Set(vaultPaths(kserviceOf(fn).spec.template.metadata.annotations))].sort());
    }
    expect(policyPaths('coffeebuddy-setup')).toEqual([...new Set(setupSecretFiles(defaultManifestOptions).map((file) => file.vault.path))].sort());
    expect([...committed.keys()].filter((path) => path.startsWith('vault/')).length).toBe(registry.length + 1);
  });

  it('the Slack functions keep two instances warm and the event consumers scale to zero; probes use the container port', () => {
    for (const fn of registry) {
      const template = kserviceOf(fn).spec.template;
      expect(template.metadata.annotations['autoscaling.knative.dev/min-scale'], fn.name).toBe(servesSlack(fn) ? '2' : '0');
      const [container] = template.spec.containers;
      expect(container.ports).toEqual([{ name: 'http1', containerPort: 8080 }]);
      expect(container.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 8080 });
      expect(container.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 8080 });
    }
  });

  it('the Postgres connection budget holds with every function at its max scale and its whole pool open', () => {
    const atFullScale = registry.map((fn) => {
      const instances = Number(kserviceOf(fn).spec.template.metadata.annotations['autoscaling.knative.dev/max-scale']);
      const pool = Number(envOf(fn).DATABASE_POOL_MAX);
      expect(instances * pool, fn.name).toBeGreaterThan(0);
      return instances * pool;
    });
    const total = atFullScale.reduce((sum, connections) => sum + connections, 0);
    expect(total + connectionBudget.reserved).toBeLessThanOrEqual(connectionBudget.postgresMaxConnections);
  });

  it('the Slack functions survive a node drain: a PodDisruptionBudget each, their instances spread over nodes', () => {
    const slackFunctions = registry.filter(servesSlack);
    const budgets = docs.filter((doc) => doc.kind === 'PodDisruptionBudget');
    expect(budgets.map((budget) => budget.metadata.name).sort()).toEqual(slackFunctions.map((fn) => fn.name).sort());
    for (const fn of slackFunctions) {
      const template = kserviceOf(fn).spec.template;
      const warm = Number(template.metadata.annotations['autoscaling.knative.dev/min-scale']);
      const budget = find('PodDisruptionBudget', fn.name)!;
      // A drain evicts only while another warm instance stays up.
      expect(budget.spec.minAvailable, fn.name).toBeGreaterThanOrEqual(1);
      expect(budget.spec.minAvailable, fn.name).toBeLessThan(warm);
      // The label Knative puts on every pod of the KService's revisions.
      const pods = { matchLabels: { 'serving.knative.dev/service': fn.name } };
      expect(budget.spec.selector).toEqual(pods);
      expect(template.spec.topologySpreadConstraints).toEqual([
        { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: pods },
      ]);
    }
    for (const fn of registry.filter((each) => !servesSlack(each)))
      expect(kserviceOf(fn).spec.template.spec.topologySpreadConstraints, fn.name).toBeUndefined();
  });

  it("every function's pods are scraped: the PodMonitor's labels, app=coffeebuddy and prometheus.io annotations on the port of /metrics", () => {
    const monitor = find('PodMonitor', 'coffeebuddy')!;
    for (const fn of registry) {
      const template = kserviceOf(fn).spec.template;
      expect(template.metadata.labels, fn.name).toMatchObject({ ...monitor.spec.selector.matchLabels, app: 'coffeebuddy', 'app.kubernetes.io/name': fn.name });
      expect(template.metadata.annotations, fn.name).toMatchObject({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(template.spec.containers[0].ports[0].containerPort),
        'prometheus.io/path': '/metrics',
      });
    }
    // Prometheus names a pod label as a series label with every character outside [a-zA-Z0-9_] made `_`.
    expect(monitor.spec.podTargetLabels.map((label: string) => label.replace(/[^a-zA-Z0-9_]/g, '_'))).toEqual(['app_kubernetes_io_name']);
    const down = find('PrometheusRule', 'coffeebuddy')!.spec.groups[0].rules.find((rule: any) => rule.alert === 'CoffeeBuddyFunctionDown');
    for (const fn of registry.filter(servesSlack))
      expect(down.expr).toContain(`absent(up{job="coffeebuddy/coffeebuddy", app_kubernetes_io_name="${fn.name}"} == 1)`);
  });

  it('every alert links its runbook: the section of README named after it', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const sections = new Set(readme.split('\n').flatMap((line) => (/^#### (\S+)$/.exec(line) ? [line.slice(5)] : [])));
    const rules = find('PrometheusRule', 'coffeebuddy')!.spec.groups.flatMap((group: any) => group.rules);
    expect(rules.length).toBeGreaterThan(10);
    for (const rule of rules) {
      expect(sections, rule.alert).toContain(rule.alert);
      expect(rule.annotations.runbook_url).toBe(`${defaultManifestOptions.runbookBaseUrl}#${rule.alert.toLowerCase()}`);
    }
  });

  it('alert and dashboard queries are valid PromQL over metrics the code defines', async () => {
    const rule = find('PrometheusRule', 'coffeebuddy')!;
    const queries = [
      ...rule.spec.groups.flatMap((group: any) => group.rules.map((alert: any) => alert.expr as string)),
      ...panels.flatMap((panel) => panel.targets.map((target) => target.expr.replaceAll('$__rate_interval', '5m'))),
    ];
    const defined = new Set(
      (await createMetrics().registry.getMetricsAsJSON()).flatMap((metric) =>
        String(metric.type) === 'histogram' ? [`${metric.name}_bucket`, `${metric.name}_count`, `${metric.name}_sum`] : [metric.name],
      ),
    );
    for (const query of queries) {
      let error = false;
      promql.parse(query).iterate({
        enter: (node) => {
          if (node.type.isError) error = true;
        },
      });
      expect(error, query).toBe(false);
      for (const name of query.match(/\bcoffeebuddy_[a-z_]+/g) ?? []) expect(defined, `${name} in ${query}`).toContain(name);
    }
  });

  it('the Slack app manifest points at the Kong routes and asks for the justified scopes only', () => {
    const manifest = committed.get('slack-app-manifest.yaml')!;
    const app = parseYaml(manifest);
    const url = (path: string) => `https://${defaultManifestOptions.publicHost}${path}`;
    expect(app.features.slash_commands).toEqual(
      ['/coffee', '/coffee-history', '/coffee-cancel'].map((command) => expect.objectContaining({ command, url: url('/slack/commands') })),
    );
    expect(app.settings.interactivity).toEqual({ is_enabled: true, request_url: url('/slack/interactions') });
    expect(app.oauth_config.scopes.bot).toEqual(botScopes.map((entry) => entry.scope));
    for (const { why } of botScopes) expect(manifest).toContain(`# ${why}`);
  });

  it('kustomization.yaml lists every manifest once; the image is the one the Dockerfile builds', () => {
    const kustomization = parseYaml(committed.get('kustomization.yaml')!);
    const manifestFiles = [...committed.keys()].filter((path) => /^(knative|kafka-sources)\/.*\.yaml$/.test(path) && !path.endsWith('kustomize-config.yaml'));
    expect([...kustomization.resources].sort()).toEqual(manifestFiles.sort());
    const images = docs.flatMap((doc) => doc.spec?.template?.spec?.containers?.map((container: { image: string }) => container.image) ?? []);
    expect(new Set(images)).toEqual(new Set([kustomization.images[0].name]));
    // The Dockerfile runs the bundle FUNCTION names, which each KService sets (checked above).
    expect(readFileSync(join(root, 'Dockerfile'), 'utf8')).toContain('dist/${FUNCTION:?');
  });

  // kubectl's built-in kustomize: the real build, image and ConfigMap hash rewriting. Without
  // kubectl this fails (.ci/run says how to get it): a skipped check would look like a passed one.
  it('kubectl kustomize builds it, with the image and the hashed ConfigMap names filled in', () => {
    const built = parseAllDocuments(execFileSync('kubectl', ['kustomize', root], { encoding: 'utf8' })).map((doc) => doc.toJS() as Doc);
    const configMaps = built.filter((doc) => doc.kind === 'ConfigMap').map((doc) => doc.metadata.name);
    for (const doc of built.filter((candidate) => candidate.apiVersion === 'serving.knative.dev/v1')) {
      const [container] = doc.spec.template.spec.containers;
      expect(container.image).toBe(`${defaultManifestOptions.image.newName}:${defaultManifestOptions.image.newTag}`);
      for (const from of container.envFrom) expect(configMaps).toContain(from.configMapRef.name);
    }
    expect(built.length).toBe(docs.length + 3);
  });
});
