/**
 * The namespace and the ServiceAccounts: one per function and one for the setup job, so that
 * Vault's Kubernetes auth can give each only its own secrets.
 */
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
