/**
 * The namespace and the ServiceAccounts: one per function and one for the setup job, so that
 * Vault's Kubernetes auth can give each only its own secrets.
 */
import { createHash } from 'node:crypto';
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { AnyFunction } from '../../shared/function.ts';
import { functionLabels, partOf, serviceAccountFor } from './names.ts';
import type { ManifestOptions } from './options.ts';

/** The ServiceAccount of the setup job. */
export const setupServiceAccount = 'coffeebuddy-setup';

/** The namespace everything lives in. */
export function namespace(options: ManifestOptions): INamespace {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: options.namespace, labels: { ...partOf } } };
}

/** Every ServiceAccount: the functions', then the setup job's. */
export function serviceAccounts(functions: readonly AnyFunction[], options: ManifestOptions): IServiceAccount[] {
  return [
    ...functions.map(
      (fn): IServiceAccount => ({
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: serviceAccountFor(fn), namespace: options.namespace, labels: functionLabels(fn) },
      }),
    ),
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: setupServiceAccount, namespace: options.namespace, labels: { ...partOf, 'app.kubernetes.io/component': 'setup' } },
    },
  ];
}

/** The longest name Kubernetes accepts for most objects (a DNS-1123 label). */
const longestName = 63;

/**
 * knative.dev/pkg `kmeta.ChildName`: `parent + suffix`, shortened with an md5 of the parent when
 * longer than 63 characters (or an md5 of both when the suffix alone is too long).
 */
export function childName(parent: string, suffix: string): string {
  const head = longestName - suffix.length;
  if (parent.length <= head) return parent + suffix;
  if (head <= 32)
    return createHash('md5')
      .update(parent + suffix)
      .digest('hex');
  return `${parent.slice(0, head - 32)}${createHash('md5').update(parent).digest('hex')}${suffix}`;
}

/**
 * The OIDC subject a Knative source sends with (Knative Eventing sender identity): its own
 * ServiceAccount, `kmeta.ChildName(<source name>, "-oidc-<group>-<kind>")` lowercased, e.g.
 * `system:serviceaccount:coffeebuddy:admin-oidc-sources.knative.dev-kafkasource`.
 */
export function sourceSubject(namespace: string, source: { apiVersion: string; kind: string; name: string }): string {
  const group = source.apiVersion.split('/')[0]!;
  return `system:serviceaccount:${namespace}:${childName(source.name, `-oidc-${group}-${source.kind}`.toLowerCase())}`;
}
