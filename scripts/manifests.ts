/**
 * `npm run manifests`: generate the Knative, Kafka, Kong, NetworkPolicy, Vault policy, monitoring and Slack app files from
 * functions/registry.ts and scripts/manifests/options.ts, and write them (stale ones deleted).
 *
 *   npm run manifests                       write into the repository
 *   npm run manifests -- --check            exit 1 if the committed files differ (CI)
 *   npm run manifests -- --out DIR [--secrets secret-volume] [--no-kafka-sasl] [--no-kafka-tls]
 *                                           a variant into DIR (e.g. without Vault)
 */
import { parseArgs } from 'node:util';
import { registry } from '../functions/registry.ts';
import { compare, readCommitted, writeGenerated } from './manifests/files.ts';
import { generateManifests } from './manifests/generate.ts';
import { defaultManifestOptions, type ManifestOptions } from './manifests/options.ts';

const { values } = parseArgs({
  options: {
    check: { type: 'boolean', default: false },
    out: { type: 'string' },
    secrets: { type: 'string' },
    'no-kafka-sasl': { type: 'boolean', default: false },
    'no-kafka-tls': { type: 'boolean', default: false },
  },
});

const variant = values.secrets !== undefined || values['no-kafka-sasl'] || values['no-kafka-tls'];
if (variant && !values.out) {
  process.stderr.write('a variant (--secrets, --no-kafka-*) goes to --out DIR: the committed files are made from options.ts\n');
  process.exit(2);
}
if (values.secrets !== undefined && values.secrets !== 'vault' && values.secrets !== 'secret-volume') {
  process.stderr.write('--secrets is vault or secret-volume\n');
  process.exit(2);
}

const options: ManifestOptions = {
  ...defaultManifestOptions,
  kafka: {
    ...defaultManifestOptions.kafka,
    ...(values['no-kafka-sasl'] ? { sasl: null } : {}),
    ...(values['no-kafka-tls'] ? { tls: false } : {}),
  },
  secrets: { ...defaultManifestOptions.secrets, ...(values.secrets ? { delivery: values.secrets as 'vault' | 'secret-volume' } : {}) },
};
const generated = generateManifests(registry, options);
const root = values.out ?? process.cwd();

if (values.check) {
  const drift = compare(generated, await readCommitted(root));
  const problems = [
    ...drift.changed.map((path) => `changed: ${path}`),
    ...drift.missing.map((path) => `missing: ${path}`),
    ...drift.stale.map((path) => `stale:   ${path}`),
  ];
  if (problems.length > 0) {
    process.stderr.write(`${problems.join('\n')}\nThe manifests differ from the registry: run npm run manifests and commit.\n`);
    process.exit(1);
  }
  process.stdout.write(`${generated.size} files match the registry\n`);
} else {
  const drift = await writeGenerated(root, generated);
  for (const path of drift.missing) process.stdout.write(`created  ${path}\n`);
  for (const path of drift.changed) process.stdout.write(`updated  ${path}\n`);
  for (const path of drift.stale) process.stdout.write(`deleted  ${path}\n`);
  process.stdout.write(`${generated.size} files, ${drift.missing.length + drift.changed.length + drift.stale.length} changed\n`);
}
