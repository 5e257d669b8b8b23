/**
 * README's configuration table, generated: which variables exist, who reads them and their
 * defaults come from the zod schemas the code loads (shared/runtime.ts `configSchemaFor` over the
 * registry); only the words for people are written here. `npm run config-table` rewrites the
 * table between its markers in README.md, `-- --check` says whether it is out of date, and
 * scripts/config-table.test.ts fails `npm test` when it is.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { registry } from '../functions/registry.ts';
import { kafkaConfigShape } from '../shared/config.ts';
import type { AnyFunction } from '../shared/function.ts';
import { configSchemaFor } from '../shared/runtime.ts';

/** What a person needs to know of one variable beyond what its schema says. */
export interface VariableDoc {
  meaning: string;
  /** The default in words, where the schema's alone would mislead (npm start's own, or computed at start). */
  defaultText?: string;
  /** Said after the schema's default, in parentheses. */
  defaultNote?: string;
  /** Readers that are not functions: `npm start`'s own world and the operator tools. */
  alsoReadBy?: string[];
}

const npmStart = '`npm start`';
const databaseTools = '`npm run migrate` (the setup job), `npm run dead-letters`';
const topicTool = '`npm run kafka:topics` (the setup job)';

/** The variables, in the table's order. */
export const variableDocs: Record<string, VariableDoc> = {
  PORT: { meaning: 'HTTP port', defaultNote: '`3000` for `npm start`' },
  DATABASE_URL: {
    meaning: 'Postgres connection URL',
    defaultText: 'embedded PostgreSQL under `npm start`; required otherwise',
    alsoReadBy: [databaseTools],
  },
  DATABASE_SSL_MODE: {
    meaning:
      'TLS to Postgres: `disable`, `require` (encrypted, certificate not checked), `verify-ca` (signed by the CA), `verify-full` (and names the host in `DATABASE_URL`); the manifests set `verify-full`',
    defaultText: "unset: `DATABASE_URL`'s `sslmode`, else none",
    alsoReadBy: [databaseTools],
  },
  DATABASE_SSL_CA: {
    meaning:
      "PEM of the CA that signed the database server's certificate, usually as `DATABASE_SSL_CA_FILE` (read once at start); needs `verify-ca` or `verify-full`",
    defaultText: "Node's CAs (and `NODE_EXTRA_CA_CERTS`)",
    alsoReadBy: [databaseTools],
  },
  DATABASE_POOL_MAX: {
    meaning:
      'Connections per instance, at most: one opens at start, the others as concurrency asks (the manifests set 5, for the connection budget in README "Performance")',
  },
  DATABASE_CONNECT_TIMEOUT_MS: { meaning: 'Give up connecting after this; the user is told to try again in a minute' },
  DATABASE_STATEMENT_TIMEOUT_MS: { meaning: 'Postgres `statement_timeout` (idle transactions are ended after twice this)' },
  SLACK_BOT_TOKEN: { meaning: 'Bot token (`xoxb-…`); never logged', defaultText: 'emulator under `npm start`; required otherwise' },
  SLACK_API_URL: { meaning: 'Slack Web API base URL (an emulator in tests)', defaultText: '`https://slack.com/api/`' },
  SLACK_RESPONSE_URL_PREFIXES: {
    meaning:
      "Where a `response_url` may point (comma-separated prefixes); any other is refused unread and redirects are not followed. `npm start` and the tests add the emulator's",
  },
  SLACK_SIGNING_SECRET: { meaning: 'Verifies requests come from Slack; never logged', defaultText: 'dev secret under `npm start`; required otherwise' },
  SLACK_TIMEOUT_MS: { meaning: 'Per-call timeout to Slack on the 3 s acknowledgement path (`views.open`, ephemeral answers)' },
  SLACK_EFFECT_TIMEOUT_MS: { meaning: 'Per-call timeout for posts and edits made after commit (retried; a late answer beats an uncertain post)' },
  SLACK_ACK_DEADLINE_MS: {
    meaning: "Slack is answered by then whatever happens: a command's reply then goes to `response_url`, a modal is told the truth",
  },
  HTTPS_PROXY: {
    meaning:
      'The corporate proxy Slack calls go through (Web API and `response_url`, as CONNECT tunnels), e.g. `http://proxy.example.internal:3128`. Only Slack: the OIDC issuer, Postgres and Kafka are reached directly',
    defaultText: 'unset: straight to Slack',
  },
  HTTP_PROXY: { meaning: 'The same for plain `http://` Slack addresses (an emulator); `HTTPS_PROXY` does not cover them', defaultText: 'unset' },
  NO_PROXY: {
    meaning: 'Hosts Slack calls reach without the proxy, comma-separated: `host`, `.domain` (and its subdomains), `host:port`, `*`',
    defaultText: 'unset',
  },
  DEFAULT_TIME_ZONE: {
    meaning:
      "Zone for pickup times when Slack does not know the user's (the zone `users.info` gives is kept with the user, so only a person's first `/coffee` waits for it; it is refreshed in the background once a day old)",
  },
  AUTH_OIDC_ISSUER: {
    meaning:
      "OIDC issuer (`iss`) of the bearer tokens `/events/*` and `/sweep` accept: the cluster's service-account issuer (Knative Eventing OIDC, e.g. `https://kubernetes.default.svc.cluster.local`) or Ory Hydra; its keys are found through `<issuer>/.well-known/openid-configuration`",
    defaultText: 'a local issuer under `npm start`; required otherwise (unless `AUTH_DISABLED=true`)',
  },
  AUTH_OIDC_JWKS_URL: {
    meaning:
      "The issuer's JWKS URL, skipping discovery (e.g. `https://kubernetes.default.svc/openid/v1/jwks` when the advertised `jwks_uri` is not reachable from pods)",
    defaultText: 'from discovery',
  },
  AUTH_OIDC_BEARER_TOKEN_PATH: {
    meaning: "A token file sent with the discovery and JWKS requests, read at each fetch (the pod's own service-account token, which the API server wants)",
    defaultText: 'unset: no token',
  },
  AUTH_OIDC_SUBJECTS: {
    meaning: 'Comma-separated token subjects (`sub`) accepted: the Knative identities of the sources wired to the function (generated per KService)',
    defaultText: "the local issuer's sender under `npm start`; required otherwise (unless `AUTH_DISABLED=true`)",
  },
  AUTH_MAX_TOKEN_LIFETIME_SECONDS: { meaning: 'The longest token lifetime (`exp − iat`) accepted' },
  AUTH_AUDIENCE: {
    meaning: "The `aud` a token must carry: what the function's KafkaSources and PingSources set as `sink.audience`",
    defaultText: '`coffeebuddy-<function>`',
  },
  AUTH_DISABLED: { meaning: '`true`: internal endpoints take requests without a token. For local work only: warned about at start, refused in a pod' },
  KAFKA_BROKERS: {
    meaning: '`host:port,…` of the Kafka brokers. A function that publishes refuses to start without it (unless `EVENTS_OUTBOX_ONLY=true`)',
    defaultText: 'in-process bus under `npm start`; required otherwise',
    alsoReadBy: [topicTool],
  },
  EVENTS_OUTBOX_ONLY: {
    meaning:
      "`true`: the function publishes nothing and needs no `KAFKA_BROKERS`; its events wait in the outbox for another process's relay. For tests and benchmarks: refused in a pod",
  },
  KAFKA_TOPIC_PREFIX: { meaning: 'Prefix for every topic name (e.g. `staging.`)', defaultText: 'empty', alsoReadBy: [topicTool] },
  KAFKA_CLIENT_ID: { meaning: 'Kafka client id', alsoReadBy: [topicTool] },
  KAFKA_SASL_MECHANISM: {
    meaning: '`plain`, `scram-sha-256` or `scram-sha-512` (any case); needs `KAFKA_SASL_USERNAME` and `KAFKA_SASL_PASSWORD`',
    defaultText: 'unset: no SASL',
    alsoReadBy: [topicTool],
  },
  KAFKA_SASL_USERNAME: { meaning: 'SASL user name', alsoReadBy: [topicTool] },
  KAFKA_SASL_PASSWORD: { meaning: 'SASL password (usually `KAFKA_SASL_PASSWORD_FILE`); never logged', alsoReadBy: [topicTool] },
  KAFKA_TLS: { meaning: '`true`: TLS to the brokers (`SASL_SSL`, or `SSL` without a mechanism)', alsoReadBy: [topicTool] },
  KAFKA_TLS_CA: {
    meaning: 'PEM of the CA certificates to trust instead, usually as `KAFKA_TLS_CA_FILE` (read once at start); needs `KAFKA_TLS=true`',
    defaultText: "Node's default CAs",
    alsoReadBy: [topicTool],
  },
  KAFKA_TLS_REJECT_UNAUTHORIZED: { meaning: '`false` skips the broker certificate check (testing only; a warning is logged)', alsoReadBy: [topicTool] },
  KAFKA_TOPIC_PARTITIONS: { meaning: 'Partitions of every topic created', defaultText: "each topic's own (6, 3, 3, 1)", alsoReadBy: [npmStart, topicTool] },
  KAFKA_REPLICATION_FACTOR: {
    meaning: 'Replicas of every topic created; a single-node broker needs `1`',
    defaultNote: '`1` for `npm start` and the tests',
    alsoReadBy: [npmStart, topicTool],
  },
  SWEEP_INTERVAL_MS: {
    meaning:
      'How often pending outbox rows are published and due Slack effects swept up (what a crash or another instance left: a failed effect is retried when due by the process that tried it); `0` off (`POST /sweep` still works)',
  },
  HTTP_BODY_LIMIT_BYTES: { meaning: 'Larger requests get 413' },
  SHUTDOWN_TIMEOUT_MS: { meaning: 'How long SIGTERM waits for in-flight requests' },
  LOG_LEVEL: { meaning: '`debug`, `info`, `warn`, `error`' },
  COFFEEBUDDY_DATA_DIR: {
    meaning: 'Data directory of the embedded PostgreSQL (created by `initdb` on first start)',
    defaultText: '`.data/postgres`',
    alsoReadBy: [npmStart],
  },
  HOST: { meaning: 'Interface to listen on', defaultText: '`127.0.0.1`', alsoReadBy: [npmStart] },
  ADMIN_MAX_REMINDER_OFFSET_MINUTES: { meaning: 'Largest reminder offset a channel admin may set' },
  ADMIN_MAX_FAIRNESS_WINDOW_RUNS: { meaning: 'Largest fairness window a channel admin may set' },
  ADMIN_MAX_RETENTION_DAYS: { meaning: 'Longest retention a channel admin may set' },
  REMINDER_OFFSET_MINUTES: {
    meaning: 'How long before pickup the runner is reminded, for channels that set none (the admin screens show it as their default)',
  },
  LAST_CALL_MINUTES: {
    meaning: 'How long before a scheduled close the last call goes out, for channels that set none (the admin screens show it as their default)',
  },
  FAIRNESS_WINDOW_RUNS: {
    meaning:
      'The fairness window (runs served among the last this-many count against a person when the runner is chosen), for channels that set none (at most `ADMIN_MAX_FAIRNESS_WINDOW_RUNS`); the run message, `/coffee help`, `/coffee stats` and the admin screens show it',
  },
  OUTBOX_RETENTION_DAYS: {
    meaning: 'Published outbox rows are deleted by the daily retention tick (03:17 UTC) after this many days; unpublished ones never',
  },
  PROCESSED_EVENTS_RETENTION_DAYS: {
    meaning:
      'Dedupe records of handled events are kept this long; at least `38` (the longest topic retention, 30 days, plus a 7-day Kafka log segment), or an event Kafka delivers again could be handled twice; so is a reset notice’s post-once record',
  },
  AUDIT_RETENTION_DAYS: { meaning: '`/coffee admin log` entries are kept this long' },
  PERSONAL_DATA_RETENTION_DAYS: {
    meaning:
      "People nothing refers to any more, dead letters never replayed and Slack effects parked are deleted after this long (saved orders unused for a channel's retention, ended away periods and runs left open past it go too)",
  },
  TICK_INTERVAL_MS: {
    meaning: 'Timers (reminders, scheduled close) tick in-process this often; in a cluster a PingSource posts `POST /ticks/<name>` each minute',
    defaultNote: '`15000` under `npm start`',
  },
};

/** Variables only the topic tool reads: a function never creates topics. */
const topicCreationOnly = new Set(['KAFKA_TOPIC_PARTITIONS', 'KAFKA_REPLICATION_FACTOR']);
/** Variables only a function that publishes acts on (the others never connect to Kafka). */
const publishersOnly = new Set([...Object.keys(kafkaConfigShape).filter((name) => !topicCreationOnly.has(name)), 'EVENTS_OUTBOX_ONLY']);

/**
 * The functions that read `name`: those whose schema has it; of Kafka's settings, only the
 * functions that publish (the others never connect: shared/standalone.ts).
 */
export function functionsReading(name: string, functions: readonly AnyFunction[] = registry): string[] {
  if (topicCreationOnly.has(name)) return [];
  return functions
    .filter((fn) => name in configSchemaFor([fn]).shape)
    .filter((fn) => !publishersOnly.has(name) || fn.publishes.length > 0)
    .map((fn) => fn.name);
}

/** The schema's default as README shows it: `value`, "unset", "empty" or "required". */
function schemaDefault(name: string): string {
  const field = configSchemaFor(registry).shape[name];
  if (!field) return 'unset';
  const parsed = z.safeParse(field, undefined);
  if (!parsed.success) return 'required';
  const value = Array.isArray(parsed.data) ? parsed.data.join(',') : parsed.data;
  if (value === undefined) return 'unset';
  return value === '' ? 'empty' : `\`${String(value)}\``;
}

function usedBy(name: string, doc: VariableDoc): string {
  const readers = functionsReading(name);
  const functions = readers.length === registry.length ? ['all functions'] : readers;
  return [...functions, ...(doc.alsoReadBy ?? [])].join(', ');
}

/** The table's rows: variable, used by, default, meaning. */
export function configRows(): [string, string, string, string][] {
  return Object.entries(variableDocs).map(([name, doc]) => {
    const fallback = doc.defaultText ?? schemaDefault(name);
    return [`\`${name}\``, usedBy(name, doc), doc.defaultNote ? `${fallback} (${doc.defaultNote})` : fallback, doc.meaning];
  });
}

/** The Markdown table, its columns padded to line up. */
export function renderConfigTable(): string {
  const rows: string[][] = [['Variable', 'Used by', 'Default', 'Meaning'], ...configRows()];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => [...row[column]!].length)));
  const line = (row: readonly string[]) => `| ${row.map((cell, column) => cell + ' '.repeat(widths[column]! - [...cell].length)).join(' | ')} |`;
  return [line(rows[0]!), line(widths.map((width) => '-'.repeat(width))), ...rows.slice(1).map(line)].join('\n');
}

export const tableStart = '<!-- configuration table: generated by `npm run config-table` from the zod schemas; do not edit -->';
export const tableEnd = '<!-- end of the configuration table -->';

/** README with its table replaced by the generated one. */
export function withConfigTable(readme: string): string {
  const start = readme.indexOf(tableStart);
  const end = readme.indexOf(tableEnd);
  if (start < 0 || end < start) throw new Error(`README.md has no "${tableStart}" … "${tableEnd}" markers`);
  return `${readme.slice(0, start + tableStart.length)}\n${renderConfigTable()}\n${readme.slice(end)}`;
}

/** `npm run config-table [-- --check]`. */
async function main(): Promise<void> {
  const path = join(import.meta.dirname, '..', 'README.md');
  const readme = await readFile(path, 'utf8');
  const generated = withConfigTable(readme);
  if (process.argv.includes('--check')) {
    if (generated !== readme) {
      process.stderr.write('README.md: the configuration table is out of date; run `npm run config-table`\n');
      process.exitCode = 1;
    }
    return;
  }
  if (generated !== readme) await writeFile(path, generated);
  process.stdout.write(generated === readme ? 'README.md: configuration table up to date\n' : 'README.md: configuration table rewritten\n');
}

if (process.argv[1] === import.meta.filename) await main();
