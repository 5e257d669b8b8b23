import { checkServerIdentity, type ConnectionOptions } from 'node:tls';
import postgres from 'postgres';
import type { databaseSslModes } from '../config.ts';

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
export function createDb(
  url: string,
  options: { max?: number; connectTimeoutMs?: number; statementTimeoutMs?: number; applicationName?: string; tls?: DatabaseTls } = {},
): Pool {
  const statementTimeoutMs = options.statementTimeoutMs ?? 5_000;
  return postgres(url, {
    ...(options.tls?.mode ? { ssl: sslOption(url, options.tls) } : {}),
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

/** TLS to Postgres (`DATABASE_SSL_MODE`, `DATABASE_SSL_CA`); no mode: what `DATABASE_URL`'s `sslmode` says. */
export interface DatabaseTls {
  mode?: (typeof databaseSslModes)[number] | undefined;
  /** PEM certificates of the CA that signed the server's; without one, Node's CAs (and `NODE_EXTRA_CA_CERTS`). */
  ca?: string | undefined;
}

/**
 * libpq's modes in porsager/postgres's `ssl` option: `require` encrypts without checking the
 * certificate; `verify-ca` checks it was signed by the CA; `verify-full` also that it names the
 * host in `DATABASE_URL` (https://www.postgresql.org/docs/current/libpq-ssl.html#LIBPQ-SSL-PROTECTION).
 */
function sslOption(url: string, tls: DatabaseTls): false | 'require' | ConnectionOptions {
  if (tls.mode === 'disable') return false;
  if (tls.mode === 'require') return 'require';
  const verify: ConnectionOptions = { rejectUnauthorized: true, ...(tls.ca ? { ca: tls.ca } : {}) };
  if (tls.mode === 'verify-ca') return { ...verify, checkServerIdentity: () => undefined };
  // postgres.js sends no server name for an IP address, and Node then checks the certificate
  // against "localhost": check it against the host the URL names (any of them, for a list).
  const hosts = databaseHosts(url);
  return {
    ...verify,
    checkServerIdentity: (_name, certificate) => {
      const failures = hosts.map((host) => checkServerIdentity(host, certificate));
      return failures.includes(undefined) ? undefined : failures[0];
    },
  };
}

/** The host names of a `postgres://user@host:port,host2:port/db` URL. */
function databaseHosts(url: string): string[] {
  const authority = /^[a-z]+:\/\/(?:[^@/]*@)?([^/?]*)/i.exec(url)?.[1] ?? '';
  return authority
    .split(',')
    .map((hostPort) => {
      const bracketed = /^\[(.*)\](?::\d+)?$/.exec(hostPort);
      return decodeURIComponent(bracketed ? bracketed[1]! : hostPort.replace(/:\d+$/, ''));
    })
    .filter(Boolean);
}

/** A pool configured from the shared variables. */
export function createDbFromConfig(
  config: {
    DATABASE_URL: string;
    DATABASE_POOL_MAX: number;
    DATABASE_CONNECT_TIMEOUT_MS: number;
    DATABASE_STATEMENT_TIMEOUT_MS: number;
    DATABASE_SSL_MODE?: DatabaseTls['mode'];
    DATABASE_SSL_CA?: string | undefined;
  },
  applicationName: string,
): Pool {
  return createDb(config.DATABASE_URL, {
    max: config.DATABASE_POOL_MAX,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    applicationName,
    tls: { mode: config.DATABASE_SSL_MODE, ca: config.DATABASE_SSL_CA },
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
 * Open one connection now (it answers a trivial query), so readiness and the first request find it
 * open instead of paying for a connection and its authentication. Only one: opening the whole pool
 * at start forks a Postgres backend per connection while this process is still compiling, and on
 * a small node the first request waited ~50 ms more for that (README "Performance"); the others
 * open as concurrency asks for them. Never throws: a database that is not there yet is what
 * readiness reports, and connections open on demand later. Resolves to the failure (undefined when
 * it opened), for the start-up log.
 */
export async function warmPool(sql: Pool): Promise<unknown> {
  try {
    await sql`select 1`;
    return undefined;
  } catch (error) {
    return error;
  }
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
  // TLS (DATABASE_SSL_MODE verify-*): a certificate that does not check out is a database we cannot use now.
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
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
