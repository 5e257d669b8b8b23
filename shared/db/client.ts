import postgres from 'postgres';

/** A connection pool: what `begin` transactions start from. */
export type Pool = postgres.Sql;

/** The handle every repository function takes: the pool or a transaction inside `pool.begin`. */
export type Sql = postgres.Sql | postgres.TransactionSql;

/**
 * Create a connection pool. Connections open lazily, so building it never touches the network;
 * columns come back camelCased. Query text and parameters stay out of error messages we log.
 */
export function createDb(url: string, options: { max?: number; connectTimeoutSeconds?: number } = {}): Pool {
  return postgres(url, {
    max: options.max ?? 5,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    idle_timeout: 30,
    onnotice: () => undefined,
    transform: postgres.camel,
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

/** True for Postgres unique-violation errors (SQLSTATE 23505), optionally on a given constraint. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (!(error instanceof postgres.PostgresError) || error.code !== '23505') return false;
  return constraint === undefined || error.constraint_name === constraint;
}
