/**
 * The setup Job: applies the SQL migrations and creates the Kafka topics (both idempotent), from
 * the same image (`dist/tools/`, which `npm run build` writes). Run it before the functions on
 * every deploy that brings a migration; README "Deploy to Knative" says how.
 */
import { containerResources, containerSecurityContext } from './kservice.ts';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import { configMapNames, fileVariables, setupSecretFiles } from './environment.ts';
import { setupServiceAccount } from './identities.ts';
import { partOf } from './names.ts';
import type { ManifestOptions } from './options.ts';
import { appContainer, secretDelivery } from './secret-delivery.ts';

/** Name of the setup Job (README "Deploy to Knative" waits for it). */
export const setupJobName = 'coffeebuddy-setup';

/** The setup Job. */
export function setupJob(options: ManifestOptions): IJob {
  const labels = { ...partOf, 'app.kubernetes.io/component': 'setup' };
  const files = setupSecretFiles(options);
  const secrets = secretDelivery(files, setupServiceAccount, options);
  // scripts/migrate.ts reads DATABASE_URL itself (no NAME_FILE), so the shell hands it over.
  const script = [
    `export DATABASE_URL="$(cat "$DATABASE_URL_FILE")"`,
    'node --enable-source-maps dist/tools/migrate.mjs',
    // As the Dockerfile's CMD: kafkajs's negative timeout is no warning worth a stderr line (tulios/kafkajs#1751).
    'node --enable-source-maps --disable-warning=TimeoutNegativeWarning dist/tools/create-topics.mjs',
  ].join(' && ');
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: setupJobName, namespace: options.namespace, labels },
    spec: {
      backoffLimit: 3,
      // Gone ten minutes after it finished, so the next `kubectl apply -k` creates it afresh (a
      // Job's pod template cannot be changed in place).
      ttlSecondsAfterFinished: 600,
      template: {
        metadata: { labels, annotations: secrets.annotations },
        spec: {
          serviceAccountName: setupServiceAccount,
          restartPolicy: 'Never',
          containers: [
            {
              name: appContainer,
              image: options.image.name,
              command: ['sh', '-c', script],
              env: fileVariables(files, options),
              // The common settings carry DATABASE_SSL_MODE; the Kafka ones, the broker and its security.
              envFrom: [{ configMapRef: { name: configMapNames.common } }, { configMapRef: { name: configMapNames.kafka } }],
              resources: containerResources,
              securityContext: containerSecurityContext,
              ...(secrets.volumeMounts.length > 0 ? { volumeMounts: secrets.volumeMounts } : {}),
            },
          ],
          ...(secrets.volumes.length > 0 ? { volumes: secrets.volumes } : {}),
        },
      },
    },
  };
}
