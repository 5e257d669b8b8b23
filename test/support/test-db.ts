import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { createDb, type Pool } from '../../shared/db/client.ts';
import { migrate } from '../../shared/db/migrate.ts';

/** The server the tests use: `DATABASE_URL` if set, else the local Postgres on 127.0.0.1:5432. */
export function adminDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** A migrated, throw-away database on the real Postgres server. */
export interface TestDatabase {
  url: string;
  sql: Pool;
  drop(): Promise<void>;
}

/**
 * Create a fresh database with every migration applied (with `migrated: false` an empty one, for
 * the migration tools' own tests); `drop()` removes it.
 */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = adminDatabaseUrl();
  const name = `coffeebuddy_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const sql = createDb(url.toString(), { max: 10 });
  if (options.migrated ?? true) await migrate(sql);
  return {
    url: url.toString(),
    sql,
    async drop() {
      await sql.end({ timeout: 5 });
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}
