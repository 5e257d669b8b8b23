/**
 * kustomization.yaml at the repository root, so `kubectl apply -k .` deploys everything. It sits
 * at the root because it lists files under both knative/ and kafka-sources/, and kustomize does
 * not load files from outside a kustomization's own directory.
 */
import { Document } from 'yaml';
import { configMapNames } from './environment.ts';
import { partOf } from './names.ts';
import type { ManifestOptions } from './options.ts';
import { renderDocument } from './render.ts';

/** Where the generated files that kustomize reads (besides `resources`) live. */
export const kustomizeInputs = {
  commonEnv: 'knative/config/common.env',
  kafkaEnv: 'knative/config/kafka.env',
  nameReferences: 'knative/kustomize-config.yaml',
  dashboard: 'knative/observability/coffeebuddy-dashboard.json',
} as const;

/**
 * kustomize rewrites references to a generated ConfigMap (whose name carries a content hash) only
 * in the kinds it knows; this teaches it Knative's Service, so a changed setting rolls out as a
 * new Revision instead of waiting for the next pod.
 */
export function nameReferences(): object {
  return {
    nameReference: [
      {
        kind: 'ConfigMap',
        version: 'v1',
        fieldSpecs: [{ group: 'serving.knative.dev', version: 'v1', kind: 'Service', path: 'spec/template/spec/containers/envFrom/configMapRef/name' }],
      },
    ],
  };
}

/** kustomization.yaml listing `resources` (paths relative to the repository root). */
export function kustomization(resources: readonly string[], options: ManifestOptions): string {
  const doc = new Document(
    {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: [...resources],
      configurations: [kustomizeInputs.nameReferences],
      generatorOptions: { labels: { ...partOf } },
      configMapGenerator: [
        { name: configMapNames.common, namespace: options.namespace, envs: [kustomizeInputs.commonEnv] },
        { name: configMapNames.kafka, namespace: options.namespace, envs: [kustomizeInputs.kafkaEnv] },
        {
          // For the Grafana sidecar (it loads ConfigMaps labelled grafana_dashboard); a stable name,
          // so an update replaces the dashboard instead of adding one.
          name: 'coffeebuddy-grafana-dashboard',
          namespace: options.namespace,
          files: [`coffeebuddy.json=${kustomizeInputs.dashboard}`],
          options: { labels: { grafana_dashboard: '1' }, disableNameSuffixHash: true },
        },
      ],
      images: [{ name: options.image.name, newName: options.image.newName, newTag: options.image.newTag }],
    },
    { aliasDuplicateObjects: false },
  );
  doc.commentBefore =
    ' `kubectl apply -k .` deploys CoffeeBuddy (README "Deploy to Knative"). Set the image at deploy\n' +
    ' time with `kustomize edit set image coffeebuddy=<registry>/coffeebuddy:<tag>` in a scratch copy,\n' +
    ' or change scripts/manifests/options.ts and regenerate.';
  return renderDocument(doc);
}
