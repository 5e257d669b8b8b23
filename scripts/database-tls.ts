/**
 * The operator tools' TLS to Postgres (migrate, dead-letters): `DATABASE_SSL_MODE` and
 * `DATABASE_SSL_CA` / `DATABASE_SSL_CA_FILE`, read and checked as the functions read them.
 */
import { z } from 'zod';
import { ConfigError, databaseTlsConfigShape, loadConfig } from '../shared/config.ts';
import type { DatabaseTls } from '../shared/db/client.ts';

/** The TLS settings from the environment; exits with the problems listed when they are wrong. */
export function databaseTls(env: NodeJS.ProcessEnv = process.env): DatabaseTls {
  try {
    const config = loadConfig(z.object(databaseTlsConfigShape), env);
    return { mode: config.DATABASE_SSL_MODE, ca: config.DATABASE_SSL_CA };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}
