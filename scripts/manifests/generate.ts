/**
 * Every deployment file, generated from the registry and the options: path (relative to the
 * repository root) → content. Pure: `npm run manifests` writes the result, the manifests test
 * compares it with the committed files.
 */
import type { AnyFunction } from '../../shared/function.ts';
import { podMonitor, prometheusRule } from './alerts.ts';
import { disruptionBudgets } from './availability.ts';
import { dashboard } from './dashboard.ts';
import { commonConfigData, kafkaConfigData, secretFilesFor, setupSecretFiles } from './environment.ts';
import { namespace, serviceAccounts, setupServiceAccount, sourceSubject } from './identities.ts';
import { deadLetterSink, deadLetterSource, kafkaSource } from './kafka-source.ts';
import { kongPlugins, slackIngress, upstreamService } from './kong.ts';
import { kservice } from './kservice.ts';
import { networkPolicies } from './network-policies.ts';
import { kustomization, kustomizeInputs, nameReferences } from './kustomization.ts';
import { serviceAccountFor, servesSlack } from './names.ts';
import type { ManifestOptions } from './options.ts';
import { sweepPingSource, timerPingSource } from './ping-source.ts';
import { generatedHeader, renderEnvFile, renderJson, renderYaml } from './render.ts';
import { vaultPolicy } from './secret-delivery.ts';
import { setupJob } from './setup-job.ts';
import { slackAppManifest } from './slack-app.ts';

/** The directories whose every file is generated: a file there that the generator does not make is stale. */
export const generatedDirectories = ['knative', 'kafka-sources', 'vault'] as const;

/** Generated files outside those directories. */
export const generatedRootFiles = ['kustomization.yaml', 'slack-app-manifest.yaml'] as const;

const deadLetterSourceComment = [
  'Parks every dead letter in the database (dead_letter_events), where `npm run dead-letters` lists and replays them.',
  'No deadLetterSink: one here would feed what cannot be parked back into the topic this source reads.',
  'What it gives up on is dropped, so it retries long instead (shared/events/delivery.ts deadLetterRetryPolicy):',
  'about nine hours, enough to ride out a database outage.',
].join('\n');

/** Generate every file. */
export function generateManifests(functions: readonly AnyFunction[], options: ManifestOptions): Map<string, string> {
  const files = new Map<string, string>();
  // Files kustomize applies, in the order they are listed (namespace and identities first).
  const resources: string[] = [];
  const resource = (path: string, content: string) => {
    files.set(path, content);
    resources.push(path);
  };

  resource('knative/namespace.yaml', renderYaml([namespace(options)]));
  resource('knative/service-accounts.yaml', renderYaml(serviceAccounts(functions, options)));
  // Before the setup job, so that the first `kubectl apply` (README "Deploy to Knative" step 4)
  // gives it its egress along with the default deny.
  resource('knative/network-policies.yaml', renderYaml(networkPolicies(functions, options)));
  resource(
    'knative/setup-job.yaml',
    renderYaml([{ comment: 'Migrations and Kafka topics; run before the functions when a release brings a migration.', value: setupJob(options) }]),
  );
  const pings = functions.flatMap((fn) => [
    ...(sweepPingSource(fn, options) ? [sweepPingSource(fn, options)!] : []),
    ...(fn.timers ?? []).map((timer) => timerPingSource(fn, timer, options)),
  ]);
  const kafkaSources = functions.flatMap((fn) => {
    const source = kafkaSource(fn, options);
    const deadLetters = deadLetterSource(fn, options);
    return [
      ...(source ? [{ path: `kafka-sources/${fn.name}.yaml`, value: source }] : []),
      ...(deadLetters ? [{ path: `kafka-sources/${deadLetters.metadata.name}.yaml`, value: deadLetters, comment: deadLetterSourceComment }] : []),
    ];
  });
  // Who may call a function's internal endpoints: the identities Knative gives the sources whose
  // sink it is (sender identity: each source's own ServiceAccount), and nobody else.
  const sources = [...pings, ...kafkaSources.map((each) => each.value)];
  const sendersOf = (fn: AnyFunction) =>
    sources
      .filter((source) => source.spec?.sink?.ref?.name === fn.name)
      .map((source) => sourceSubject(options.namespace, { apiVersion: source.apiVersion, kind: source.kind, name: source.metadata!.name! }));
  for (const fn of functions) {
    resource(`knative/${fn.name}.yaml`, renderYaml([{ comment: `${fn.name}: ${fn.description}`, value: kservice(fn, options, sendersOf(fn)) }]));
  }
  resource('knative/disruption-budgets.yaml', renderYaml(disruptionBudgets(functions, options)));
  if (pings.length > 0) resource('knative/ping-sources.yaml', renderYaml(pings));

  resource('kafka-sources/dead-letter-sink.yaml', renderYaml([deadLetterSink(options)]));
  for (const { path, value, comment } of kafkaSources as { path: string; value: object; comment?: string }[]) {
    resource(path, renderYaml([comment ? { comment, value } : value]));
  }

  const slackFunctions = functions.filter(servesSlack);
  resource(
    'knative/kong.yaml',
    renderYaml([...kongPlugins(options), ...slackFunctions.flatMap((fn) => [upstreamService(fn, options), slackIngress(fn, options)])]),
  );

  resource('knative/observability/pod-monitor.yaml', renderYaml([podMonitor(options)]));
  resource('knative/observability/prometheus-rule.yaml', renderYaml([prometheusRule(functions, options)]));
  files.set(kustomizeInputs.dashboard, renderJson(dashboard()));
  files.set(kustomizeInputs.commonEnv, renderEnvFile(commonConfigData(options)));
  files.set(kustomizeInputs.kafkaEnv, renderEnvFile(kafkaConfigData(options)));
  files.set(kustomizeInputs.nameReferences, renderYaml([nameReferences()]));

  // One Vault policy per Kubernetes-auth role (named after its ServiceAccount, as the pods'
  // `vault.hashicorp.com/role` annotation is): README "Deploy to Knative" step 3 writes them.
  if (options.secrets.delivery === 'vault') {
    const roles = [
      ...functions.map((fn) => ({ role: serviceAccountFor(fn), files: secretFilesFor(fn, options) })),
      { role: setupServiceAccount, files: setupSecretFiles(options) },
    ];
    for (const { role, files: secretFiles } of roles.filter((each) => each.files.length > 0)) {
      files.set(`vault/${role}.hcl`, `${generatedHeader}\n${vaultPolicy(secretFiles)}`);
    }
  }

  files.set('kustomization.yaml', kustomization(resources, options));
  files.set('slack-app-manifest.yaml', slackAppManifest(functions, options));
  return files;
}
