/** Structured JSON-lines logging with correlation ids and secret redaction. */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

/** A logger writes one JSON object per line; `child` adds fields (such as the run id) to every line. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const levels: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Keys whose values never reach a log line, whatever their nesting. */
const secretKey = /(secret|token|password|passwd|authorization|cookie|signature|api[-_]?key|private[-_]?key)/i;
/** Values that look like Slack tokens or credentials inside URLs, in case they hide in free text. */
const secretValue = /(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|\/\/[^/\s:@]+:[^/\s@]+@)/g;

/** Replace secrets in a value before it is logged. Exported for tests and error reporting. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(secretValue, '[REDACTED]');
  if (value instanceof Error) return { name: value.name, message: redact(value.message, depth + 1) };
  if (value === null || typeof value !== 'object' || depth > 6) return value;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = secretKey.test(key) ? '[REDACTED]' : redact(item, depth + 1);
  }
  return out;
}

/** Create a logger writing JSON lines to `write` (stdout by default). */
export function createLogger(options: { level?: LogLevel; fields?: LogFields; write?: (line: string) => void; now?: () => Date }): Logger {
  const min = levels[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const base = options.fields ?? {};

  const emit = (level: LogLevel, message: string, fields: LogFields | undefined): void => {
    if (levels[level] < min) return;
    const record = redact({ ...base, ...fields }) as LogFields;
    write(JSON.stringify({ time: now().toISOString(), level, msg: message, ...record }));
  };

  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}

/** A logger that drops everything, for tests that do not look at logs. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
