import postgres from 'postgres';

/** A connection pool: what `begin` transactions start from. */
export type Pool = postgres.Sql;

/** The handle every repository function takes: the pool or a transaction inside `pool.begin`. */
export type Sql = postgres.Sql | postgres.TransactionSql;

/**
 * Create a connection pool. Connections open lazily, so building it never touches the network;
 * columns come back camelCased. Query text and parameters stay out of error messages we log.
 *
 * Every wait is bounded: connecting (`connect_timeout`), a statement (`statement_timeout`), a
 * transaction left idle by a stuck caller (`idle_in_transaction_session_timeout`, which frees its
 * locks), and a connection's life (`max_lifetime`, so one that went bad is replaced). Without
 * them a database outage holds requests as long as it lasts.
 */
export function createDb(url: string, options: { max?: number; connectTimeoutMs?: number; statementTimeoutMs?: number; applicationName?: string } = {}): Pool {
  const statementTimeoutMs = options.statementTimeoutMs ?? 5_000;
  return postgres(url, {
    max: options.max ?? 5,
    connect_timeout: (options.connectTimeoutMs ?? 2_000) / 1000,
    idle_timeout: 30,
    max_lifetime: 30 * 60,
    connection: {
      application_name: options.applicationName ?? 'coffeebuddy',
      statement_timeout: statementTimeoutMs,
      idle_in_transaction_session_timeout: Math.max(10_000, statementTimeoutMs * 2),
    },
    onnotice: () => undefined,
    transform: postgres.camel,
  });
}

/** A pool configured from the shared variables. */
export function createDbFromConfig(
  config: { DATABASE_URL: string; DATABASE_POOL_MAX: number; DATABASE_CONNECT_TIMEOUT_MS: number; DATABASE_STATEMENT_TIMEOUT_MS: number },
  applicationName: string,
): Pool {
  return createDb(config.DATABASE_URL, {
    max: config.DATABASE_POOL_MAX,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    applicationName,
  });
}

/** True when the database answers a trivial query within the timeout. */
export async function pingDb(sql: Pool, timeoutMs = 1000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([sql`select 1`.then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Open the pool's connections now (each answers a trivial query), so the first requests find them
 * open instead of each paying for a connection and its authentication. Never throws: a database
 * that is not there yet is what readiness reports, and connections open on demand later.
 */
export async function warmPool(sql: Pool, connections: number): Promise<void> {
  await Promise.allSettled(Array.from({ length: connections }, () => sql`select 1`));
}

/** True for Postgres unique-violation errors (SQLSTATE 23505), optionally on a given constraint. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (!(error instanceof postgres.PostgresError) || error.code !== '23505') return false;
  return constraint === undefined || error.constraint_name === constraint;
}

// Connection-level failures (porsager/postgres codes and socket errors) and server states that
// mean "the database is not there right now", as opposed to a bad query.
const unavailableCodes = new Set([
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  // SQLSTATE: query_canceled (statement_timeout), admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections
  '57014',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

/** True when an error says the database is unreachable or too slow, so "try again in a minute" is the honest answer. */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && unavailableCodes.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
