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
 * Read configuration once: validate `env` against `schema`, resolving `NAME_FILE` for every key
 * of the schema, and throw one ConfigError naming every missing or invalid variable.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const names = Object.keys(schema.shape);
  const { env: resolved, problems } = resolveFileVariables(env, names);
  const parsed = schema.safeParse(resolved);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = issue.path.join('.') || '(config)';
      problems.push(resolved[name] === undefined ? `${name}: required but not set` : `${name}: ${issue.message}`);
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return parsed.data;
}

// 0 asks the OS for a free port (tests, local runs).
const port = z.coerce.number().int().min(0).max(65535);
const optionalUrl = z.url().optional();

/** Kafka: where events are published (optional under `npm start`, which has an in-process bus). */
export const kafkaConfigShape = {
  KAFKA_BROKERS: z.string().optional(),
  KAFKA_TOPIC_PREFIX: z.string().default(''),
  KAFKA_CLIENT_ID: z.string().default('coffeebuddy'),
};

/** Variables every function reads. */
export const baseConfigShape = {
  ...kafkaConfigShape,
  PORT: port.default(8080),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  DATABASE_URL: z.string().min(1),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(5),
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).default(2_000),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
  SWEEP_INTERVAL_MS: z.coerce.number().int().min(0).default(10_000),
  HTTP_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(64 * 1024),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
};

/** Variables of functions that call Slack. */
export const slackConfigShape = {
  SLACK_BOT_TOKEN: z.string().min(1),
  SLACK_API_URL: optionalUrl,
  SLACK_TIMEOUT_MS: z.coerce.number().int().min(100).default(1_500),
  SLACK_EFFECT_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
};

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


/** True for a time zone name this runtime's Intl knows (IANA names such as `Europe/Berlin`). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
