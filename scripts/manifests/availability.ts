/**
 * Keeping the Slack functions answering while the cluster is maintained: a PodDisruptionBudget per
 * Slack function, so a node drain evicts one of its {@link slackMinScale} instances at a time and
 * waits until the replacement is ready (https://kubernetes.io/docs/tasks/run-application/configure-pdb/).
 * Event consumers scale to zero and KafkaSource retries while they start: they need none.
 */
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { AnyFunction } from '../../shared/function.ts';
import { knativeServiceLabel, slackMinScale } from './kservice.ts';
import { functionLabels, servesSlack } from './names.ts';
import type { ManifestOptions } from './options.ts';

/** The PodDisruptionBudgets of the Slack functions. */
export function disruptionBudgets(functions: readonly AnyFunction[], options: ManifestOptions): IPodDisruptionBudget[] {
  return functions.filter(servesSlack).map((fn) => ({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: fn.name, namespace: options.namespace, labels: functionLabels(fn) },
    spec: {
      // All but one of the warm instances stay through a voluntary disruption.
      minAvailable: slackMinScale - 1,
      selector: { matchLabels: { [knativeServiceLabel]: fn.name } },
    },
  }));
}
