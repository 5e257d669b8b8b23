import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Raised once at start-up, listing every missing or invalid variable. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * Resolve `NAME_FILE` variables (Vault agent-injected secret files) into `NAME`.
 * An explicit `NAME` wins over `NAME_FILE`; trailing newlines in the file are dropped.
 */
export function resolveFileVariables(
  env: NodeJS.ProcessEnv,
  names: readonly string[],
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): { env: Record<string, string | undefined>; problems: string[] } {
  const resolved: Record<string, string | undefined> = { ...env };
  const problems: string[] = [];
  for (const name of names) {
    const filePath = env[`${name}_FILE`];
    if (env[name] !== undefined || filePath === undefined) continue;
    try {
      resolved[name] = readFile(filePath).replace(/\r?\n$/, '');
    } catch {
      problems.push(`${name}_FILE: cannot read ${filePath}`);
    }
  }
  return { env: resolved, problems };
}

/**
 * Read configuration once: validate `env` against `schema` and the checks across variables
 * (`combinationChecks`), resolving `NAME_FILE` for every key of the schema, and throw one
 * ConfigError naming every missing or invalid variable.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const names = Object.keys(schema.shape);
  const { env: resolved, problems } = resolveFileVariables(env, names);
  for (const [name, check] of Object.entries(combinationChecks)) {
    if (names.includes(name)) problems.push(...check(resolved));
  }
  const parsed = schema.safeParse(resolved);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = issue.path.join('.') || '(config)';
      const fromFile = env[name] === undefined && env[`${name}_FILE`] !== undefined ? ` (read from ${name}_FILE)` : '';
      problems.push(resolved[name] === undefined ? `${name}: required but not set` : `${name}${fromFile}: ${issue.message}`);
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return parsed.data;
}

// 0 asks the OS for a free port (tests, local runs).
const port = z.coerce.number().int().min(0).max(65535);
const optionalUrl = z.url().optional();
const proxyUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL such as http://proxy.example.internal:3128' });

/** An empty value (a ConfigMap key left blank) counts as not set. */
const blankAsUnset = <S extends z.ZodType>(schema: S) => z.preprocess((value) => (value === '' ? undefined : value), schema);
const flag = (fallback: boolean) => blankAsUnset(z.stringbool({ truthy: ['true'], falsy: ['false'], error: 'must be true or false' }).default(fallback));

/**
 * Kafka: where events are published (optional under `npm start`, which has an in-process bus),
 * how to authenticate (SASL) and encrypt (TLS), and how topics are created. The password and the
 * CA certificate can come from files (`KAFKA_SASL_PASSWORD_FILE`, `KAFKA_TLS_CA_FILE`), read once
 * at start like every `NAME_FILE`.
 */
export const kafkaConfigShape = {
  KAFKA_BROKERS: z.string().optional(),
  KAFKA_TOPIC_PREFIX: z.string().default(''),
  KAFKA_CLIENT_ID: z.string().default('coffeebuddy'),
  // Any case: Kafka's own configuration spells them SCRAM-SHA-512.
  KAFKA_SASL_MECHANISM: z.preprocess(
    (value) => (value === '' ? undefined : typeof value === 'string' ? value.toLowerCase() : value),
    z.enum(['plain', 'scram-sha-256', 'scram-sha-512'], { error: 'must be plain, scram-sha-256 or scram-sha-512' }).optional(),
  ),
  KAFKA_SASL_USERNAME: blankAsUnset(z.string().optional()),
  KAFKA_SASL_PASSWORD: blankAsUnset(z.string().optional()),
  KAFKA_TLS: flag(false),
  /** PEM certificates to trust instead of the default CAs; usually given as `KAFKA_TLS_CA_FILE`. */
  KAFKA_TLS_CA: blankAsUnset(z.string().includes('-----BEGIN CERTIFICATE-----', { error: 'must hold PEM certificates' }).optional()),
  KAFKA_TLS_REJECT_UNAUTHORIZED: flag(true),
  /** Partitions of every topic created; unset: each topic's own default (shared/events/topics.ts). */
  KAFKA_TOPIC_PARTITIONS: blankAsUnset(z.coerce.number().int().min(1).optional()),
  /** Replicas of every topic created: 3 for a production cluster; a single local broker needs 1. */
  KAFKA_REPLICATION_FACTOR: blankAsUnset(z.coerce.number().int().min(1).default(3)),
};

/** The Kafka variables, as loaded. */
export type KafkaSettings = z.infer<z.ZodObject<typeof kafkaConfigShape>>;

/**
 * Kafka variables that only make sense together: a SASL mechanism needs a user name and a
 * password (and they need a mechanism); a CA or certificate check setting needs `KAFKA_TLS=true`.
 */
export function kafkaCombinationProblems(env: Record<string, string | undefined>): string[] {
  const isSet = (name: string) => env[name] !== undefined && env[name] !== '';
  const problems: string[] = [];
  if (isSet('KAFKA_SASL_MECHANISM')) {
    for (const name of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD']) {
      // An unreadable NAME_FILE is reported already.
      if (!isSet(name) && !isSet(`${name}_FILE`)) problems.push(`${name}: required when KAFKA_SASL_MECHANISM is set`);
    }
  } else if (isSet('KAFKA_SASL_USERNAME') || isSet('KAFKA_SASL_PASSWORD')) {
    problems.push('KAFKA_SASL_MECHANISM: required when KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is set (plain, scram-sha-256 or scram-sha-512)');
  }
  if (env.KAFKA_TLS?.toLowerCase() !== 'true') {
    for (const name of ['KAFKA_TLS_CA', 'KAFKA_TLS_REJECT_UNAUTHORIZED']) {
      const given = isSet(`${name}_FILE`) ? `${name}_FILE` : isSet(name) ? name : null;
      if (given) problems.push(`KAFKA_TLS: must be true when ${given} is set`);
    }
  }
  return problems;
}

/**
 * Checks across variables, keyed by a variable that names their group: loadConfig runs a check
 * on the resolved environment when the schema has that variable, so its problems join the one
 * ConfigError.
 */
const combinationChecks: Record<string, (env: Record<string, string | undefined>) => string[]> = {
  KAFKA_SASL_MECHANISM: kafkaCombinationProblems,
  DATABASE_SSL_MODE: databaseTlsProblems,
  ADMIN_MAX_FAIRNESS_WINDOW_RUNS: fairnessWindowProblems,
};

/** How the Postgres connection is encrypted and checked, as libpq's `sslmode` names it. */
export const databaseSslModes = ['disable', 'require', 'verify-ca', 'verify-full'] as const;

/**
 * Postgres over TLS: the mode, and the CA that signed the server's certificate (usually
 * `DATABASE_SSL_CA_FILE`, read once at start). Unset: whatever `sslmode` `DATABASE_URL` carries.
 */
export const databaseTlsConfigShape = {
  DATABASE_SSL_MODE: blankAsUnset(z.enum(databaseSslModes, { error: `must be one of ${databaseSslModes.join(', ')}` }).optional()),
  DATABASE_SSL_CA: blankAsUnset(z.string().includes('-----BEGIN CERTIFICATE-----', { error: 'must hold PEM certificates' }).optional()),
};

/** A CA is only used to verify: it needs `DATABASE_SSL_MODE` verify-ca or verify-full. */
export function databaseTlsProblems(env: Record<string, string | undefined>): string[] {
  const caGiven = env.DATABASE_SSL_CA_FILE ? 'DATABASE_SSL_CA_FILE' : env.DATABASE_SSL_CA ? 'DATABASE_SSL_CA' : null;
  if (caGiven && !['verify-ca', 'verify-full'].includes(env.DATABASE_SSL_MODE ?? '')) {
    return [`DATABASE_SSL_MODE: must be verify-full or verify-ca when ${caGiven} is set (the CA is only used to check the server)`];
  }
  return [];
}

/**
 * Who may call the internal endpoints (`/events/<name>`, `/sweep`): a bearer JWT from this OIDC
 * issuer (Knative Eventing's sender identity, or Ory Hydra) for the function's audience.
 */
export const authConfigShape = {
  AUTH_OIDC_ISSUER: optionalUrl,
  AUTH_OIDC_JWKS_URL: optionalUrl,
  /** A token file sent with discovery/JWKS requests (a path read at each fetch, not a `_FILE` secret). */
  AUTH_OIDC_BEARER_TOKEN_PATH: z.string().min(1).optional(),
  AUTH_AUDIENCE: z.string().min(1).optional(),
  /**
   * The token subjects (`sub`) accepted, comma-separated: the ServiceAccounts Knative gives the
   * sources wired to this function (generated per function by `npm run manifests`). Any pod can get
   * a token for any audience from the cluster's issuer, so the audience alone says nothing of who sent it.
   */
  AUTH_OIDC_SUBJECTS: z
    .string()
    .optional()
    .transform((value) =>
      value === undefined
        ? undefined
        : value
            .split(',')
            .map((subject) => subject.trim())
            .filter(Boolean),
    ),
  /** The longest token lifetime accepted (`exp − iat`); Knative's are an hour at most. */
  AUTH_MAX_TOKEN_LIFETIME_SECONDS: z.coerce.number().int().positive().default(3600),
  AUTH_DISABLED: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
};

/**
 * Without an issuer no token could be verified, so it is required unless auth is switched off on
 * purpose (`AUTH_DISABLED=true`). Checked even when other variables are wrong, so that the one
 * ConfigError lists it with the rest.
 */
export function requireAuthIssuer<S extends z.ZodObject>(schema: S): S {
  return schema
    .refine((config: Record<string, unknown>) => config.AUTH_DISABLED === true || typeof config.AUTH_OIDC_ISSUER === 'string', {
      path: ['AUTH_OIDC_ISSUER'],
      message: 'required unless AUTH_DISABLED=true',
      when: () => true,
    })
    .refine(
      (config: Record<string, unknown>) => config.AUTH_DISABLED === true || (Array.isArray(config.AUTH_OIDC_SUBJECTS) && config.AUTH_OIDC_SUBJECTS.length > 0),
      {
        path: ['AUTH_OIDC_SUBJECTS'],
        message: 'required unless AUTH_DISABLED=true: the token subjects of the sources that call this function (npm run manifests sets them)',
        when: () => true,
      },
    );
}

/** Variables every function reads. */
export const baseConfigShape = {
  ...kafkaConfigShape,
  ...authConfigShape,
  PORT: port.default(8080),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  DATABASE_URL: z.string().min(1),
  ...databaseTlsConfigShape,
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(5),
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).default(2_000),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
  SWEEP_INTERVAL_MS: z.coerce.number().int().min(0).default(10_000),
  /**
   * `true`: this process publishes nothing and needs no `KAFKA_BROKERS`; its events wait in the
   * outbox for another process's relay (tests and benchmarks that run a bundle; refused in a cluster).
   */
  EVENTS_OUTBOX_ONLY: flag(false),
  /** Timers tick in-process this often (npm start); 0: only when a PingSource posts a tick. */
  TICK_INTERVAL_MS: z.coerce.number().int().min(0).default(0),
  HTTP_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(64 * 1024),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
};

/** A channel's reminder timings until its admins set their own (reminder-due sends, admin shows them). */
export const reminderDefaultsShape = {
  /** The runner is reminded this long before pickup. */
  REMINDER_OFFSET_MINUTES: z.coerce.number().int().min(0).max(120).default(5),
  /** A last call goes to the run's thread this long before a scheduled close. */
  LAST_CALL_MINUTES: z.coerce.number().int().min(1).max(60).default(5),
};

/**
 * A channel's fairness window until its admins set their own: fairness-assign picks by it, the run
 * message, `/coffee help`, `/coffee stats` and the admin screens say it. The range is the one
 * admins choose from (`ADMIN_MAX_FAIRNESS_WINDOW_RUNS` at most 100).
 */
export const fairnessDefaultsShape = {
  /** Runs served within this many recent runs count against a person when choosing the runner. */
  FAIRNESS_WINDOW_RUNS: z.coerce.number().int().min(1).max(100).default(5),
};

/** The fairness window default, as loaded. */
export type FairnessDefaults = z.infer<z.ZodObject<typeof fairnessDefaultsShape>>;

/** The largest fairness window a channel admin may set (`/coffee admin window`, the settings form). */
export const adminMaxFairnessWindowRuns = z.coerce.number().int().min(1).max(100).default(50);

/**
 * Where admins set the window (slash-command, interaction), the default must be one they could
 * choose: the settings form shows it in a number input that stops at their maximum.
 */
export function fairnessWindowProblems(env: Record<string, string | undefined>): string[] {
  const window = fairnessDefaultsShape.FAIRNESS_WINDOW_RUNS.safeParse(env.FAIRNESS_WINDOW_RUNS);
  const max = adminMaxFairnessWindowRuns.safeParse(env.ADMIN_MAX_FAIRNESS_WINDOW_RUNS);
  // A value that is not a number in range is reported by the schema.
  if (!window.success || !max.success || window.data <= max.data) return [];
  return [`FAIRNESS_WINDOW_RUNS: must be at most ADMIN_MAX_FAIRNESS_WINDOW_RUNS (${max.data}), the largest window a channel admin may set`];
}

/** Variables of functions that call Slack. */
export const slackConfigShape = {
  SLACK_BOT_TOKEN: z.string().min(1),
  SLACK_API_URL: optionalUrl,
  /**
   * Where a `response_url` may point (comma-separated prefixes): Slack's only. The URL comes in the
   * request body, so without this a signed request could make the bot POST to any host.
   */
  SLACK_RESPONSE_URL_PREFIXES: z
    .string()
    .default('https://hooks.slack.com/')
    .transform((value) =>
      value
        .split(',')
        .map((prefix) => prefix.trim())
        .filter(Boolean),
    ),
  SLACK_TIMEOUT_MS: z.coerce.number().int().min(100).default(1_500),
  SLACK_EFFECT_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** The corporate proxy for Slack's https:// addresses (Web API and `response_url`), e.g. `http://proxy.corp:3128`. */
  HTTPS_PROXY: blankAsUnset(proxyUrl.optional()),
  /** The proxy for plain http:// Slack addresses (an emulator); `HTTPS_PROXY` does not cover them. */
  HTTP_PROXY: blankAsUnset(proxyUrl.optional()),
  /** Hosts reached without the proxy, comma-separated (`.example.internal`, `10.0.0.1`, `host:port`, `*`). */
  NO_PROXY: blankAsUnset(z.string().optional()),
};

/** The Slack variables, as loaded. */
export type SlackSettings = z.infer<z.ZodObject<typeof slackConfigShape>>;

/**
 * How long a Slack request may take before it is answered anyway (Slack gives up at 3 s): a
 * command's answer then goes to its response_url, a modal is told to try again.
 */
export const slackAckDeadlineMs = z.coerce.number().int().min(100).max(2900).default(2500);

/** Variables of functions that receive Slack requests. */
export const slackIngressConfigShape = {
  SLACK_SIGNING_SECRET: z.string().min(1),
  DEFAULT_TIME_ZONE: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin').default('UTC'),
};

const timeZoneChecks = new Map<string, boolean>();

/** True for a time zone name this runtime's Intl knows (IANA names such as `Europe/Berlin`). */
export function isTimeZone(name: string): boolean {
  let known = timeZoneChecks.get(name);
  if (known === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: name });
      known = true;
    } catch {
      known = false;
    }
    // Building a formatter costs ~0.1 ms and `/coffee` asks on every start; the zones seen are few.
    if (timeZoneChecks.size < 1_000) timeZoneChecks.set(name, known);
  }
  return known;
}
