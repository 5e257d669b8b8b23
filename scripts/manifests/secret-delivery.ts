/**
 * How secret files reach a pod. Either Vault Agent Injector annotations (an init container
 * renders each secret to `/vault/secrets/<file>` before the app starts), or, without Vault, a
 * projected volume of the Kubernetes Secrets mounted at the same path, so the `NAME_FILE`
 * variables are the same either way.
 */
import type { IIoK8sApiCoreV1Volume } from 'kubernetes-models/v1/Volume';
import type { IIoK8sApiCoreV1VolumeMount } from 'kubernetes-models/v1/VolumeMount';
import type { SecretFile } from './environment.ts';
import type { ManifestOptions } from './options.ts';

/** The name of the app container (the injector's `agent-inject-containers` names it). */
export const appContainer = 'app';

/** What the pod template gets: annotations, or a volume and its mount. */
export interface SecretDelivery {
  annotations: Record<string, string>;
  volumes: IIoK8sApiCoreV1Volume[];
  volumeMounts: IIoK8sApiCoreV1VolumeMount[];
}

/**
 * Vault Agent Injector annotations (https://developer.hashicorp.com/vault/docs/platform/k8s/injector/annotations).
 * `agent-pre-populate-only`: the init container alone, no sidecar, because a sidecar would slow
 * every cold start and keep a Job from completing; secrets are read once at start anyway.
 * `role` is the Vault Kubernetes-auth role bound to the pod's ServiceAccount, so each function
 * can read only its own secrets.
 */
function vaultAnnotations(files: readonly SecretFile[], role: string): Record<string, string> {
  const annotations: Record<string, string> = {
    'vault.hashicorp.com/agent-inject': 'true',
    'vault.hashicorp.com/agent-pre-populate-only': 'true',
    'vault.hashicorp.com/agent-inject-containers': appContainer,
    'vault.hashicorp.com/role': role,
  };
  for (const file of files) {
    annotations[`vault.hashicorp.com/agent-inject-secret-${file.file}`] = file.vault.path;
    // The file holds the bare value (no `KEY=` prefix, no trailing newline) for NAME_FILE.
    annotations[`vault.hashicorp.com/agent-inject-template-${file.file}`] =
      `{{- with secret "${file.vault.path}" -}}{{ .Data.data.${file.vault.key} }}{{- end -}}`;
  }
  return annotations;
}

/** The same files from Kubernetes Secrets: one projected volume, only the keys this pod needs. */
function secretVolume(files: readonly SecretFile[], options: ManifestOptions): Pick<SecretDelivery, 'volumes' | 'volumeMounts'> {
  const bySecret = new Map<string, SecretFile[]>();
  for (const file of files) bySecret.set(file.secret.name, [...(bySecret.get(file.secret.name) ?? []), file]);
  return {
    volumes: [
      {
        name: 'secrets',
        projected: {
          sources: [...bySecret].map(([name, secretFiles]) => ({
            secret: { name, items: secretFiles.map((file) => ({ key: file.secret.key, path: file.file })) },
          })),
        },
      },
    ],
    volumeMounts: [{ name: 'secrets', mountPath: options.secrets.mountPath, readOnly: true }],
  };
}

/**
 * The Vault policy of one Kubernetes-auth role: read on exactly the KV v2 paths its pod's
 * annotations render, nothing else (https://developer.hashicorp.com/vault/docs/concepts/policies).
 * KV v2 reads go through `<mount>/data/<path>`, which the paths already are.
 */
export function vaultPolicy(files: readonly SecretFile[]): string {
  const paths = [...new Set(files.map((file) => file.vault.path))];
  return paths.map((path) => `path "${path}" {\n  capabilities = ["read"]\n}\n`).join('\n');
}

/** How this pod gets `files`, by the configured delivery. */
export function secretDelivery(files: readonly SecretFile[], role: string, options: ManifestOptions): SecretDelivery {
  if (files.length === 0) return { annotations: {}, volumes: [], volumeMounts: [] };
  if (options.secrets.delivery === 'vault') return { annotations: vaultAnnotations(files, role), volumes: [], volumeMounts: [] };
  return { annotations: {}, ...secretVolume(files, options) };
}
