/**
 * Postgres over TLS as an on-prem database demands it: a real server that takes TLS connections
 * only, reached through the configuration a function reads (`DATABASE_SSL_MODE`,
 * `DATABASE_SSL_CA_FILE`), the pool it builds and the query it runs.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { createDbFromConfig, isDatabaseUnavailable } from '../../shared/db/client.ts';
import { loadFunctionsConfig } from '../../shared/runtime.ts';
import { startTlsPostgres, type TlsPostgres } from '../support/tls-postgres.ts';

const closeRun = registry.filter((fn) => fn.name === 'close-run');

describe('Postgres over TLS', () => {
  let server: TlsPostgres;
  let files: string;

  beforeAll(async () => {
    server = await startTlsPostgres();
    files = await mkdtemp(join(tmpdir(), 'coffeebuddy-db-ca-'));
    await writeFile(join(files, 'ca.pem'), server.ca);
    await writeFile(join(files, 'other-ca.pem'), server.otherCa);
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await rm(files, { recursive: true, force: true });
  });

  /** Connect as close-run would with these variables, and say whether the session is encrypted (or why it failed). */
  async function connectWith(env: Record<string, string>): Promise<{ encrypted: boolean } | { refused: string }> {
    const config = loadFunctionsConfig(closeRun, { DATABASE_URL: server.url, AUTH_DISABLED: 'true', SLACK_BOT_TOKEN: 'xoxb-unused', ...env });
    const sql = createDbFromConfig(config, 'coffeebuddy-tls-test');
    try {
      const [row] = await sql<{ ssl: boolean }[]>`select ssl from pg_stat_ssl where pid = pg_backend_pid()`;
      return { encrypted: row!.ssl };
    } catch (error) {
      // What users are told then: the database cannot be reached right now, never a generic failure.
      expect(isDatabaseUnavailable(error) || (error as { code?: string }).code === '28000').toBe(true);
      return { refused: String((error as { code?: string }).code ?? (error as Error).message) };
    } finally {
      await sql.end({ timeout: 1 });
    }
  }

  it('connects with verify-full when the server certificate is signed by DATABASE_SSL_CA_FILE and names the host', async () => {
    expect(await connectWith({ DATABASE_SSL_MODE: 'verify-full', DATABASE_SSL_CA_FILE: join(files, 'ca.pem') })).toEqual({ encrypted: true });
  });

  it('refuses a server whose certificate another CA signed', async () => {
    expect(await connectWith({ DATABASE_SSL_MODE: 'verify-full', DATABASE_SSL_CA_FILE: join(files, 'other-ca.pem') })).toEqual({
      refused: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
    expect(await connectWith({ DATABASE_SSL_MODE: 'verify-ca', DATABASE_SSL_CA_FILE: join(files, 'other-ca.pem') })).toEqual({
      refused: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
    // Without a CA file only Node's own CAs are trusted, which never signed a private server's.
    expect(await connectWith({ DATABASE_SSL_MODE: 'verify-full' })).toEqual({ refused: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });

  it('refuses a certificate that does not name the host with verify-full, and accepts it with verify-ca', async () => {
    const byName = server.url.replace('127.0.0.1', 'localhost');
    const ca = join(files, 'ca.pem');
    expect(await connectWith({ DATABASE_URL: byName, DATABASE_SSL_MODE: 'verify-full', DATABASE_SSL_CA_FILE: ca })).toEqual({
      refused: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
    expect(await connectWith({ DATABASE_URL: byName, DATABASE_SSL_MODE: 'verify-ca', DATABASE_SSL_CA_FILE: ca })).toEqual({ encrypted: true });
  });

  it('encrypts without checking with require, and is turned away by a TLS-only server with disable', async () => {
    expect(await connectWith({ DATABASE_SSL_MODE: 'require' })).toEqual({ encrypted: true });
    expect(await connectWith({ DATABASE_SSL_MODE: 'disable' })).toEqual({ refused: '28000' });
  });
});
