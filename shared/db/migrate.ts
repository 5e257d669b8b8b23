import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { TransactionSql } from 'postgres';
import type { Pool } from './client.ts';

/** Where the plain-SQL migrations live. */
export const migrationsDir = fileURLToPath(new URL('./migrations/', import.meta.url));

/**
 * Apply every migration in `dir` not yet recorded in `schema_migrations`, in file-name order,
 * each in its own transaction: a file that fails is rolled back alone, and the ones before it stay
 * applied and recorded, so the next run starts from it. Every transaction first takes the same
 * advisory lock, so concurrent runs (two setup Jobs, or the tests' databases) wait for each other
 * and then find the file recorded. Returns the names applied by this run.
 */
export async function migrate(sql: Pool, dir: string = migrationsDir): Promise<string[]> {
  const files = (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort();
  const done = await sql.begin(async (tx) => {
    await lockMigrations(tx);
    await tx`
      create table if not exists schema_migrations (
        name text primary key,
        applied_at timestamptz not null default now()
      )
    `;
    const rows = await tx<{ name: string }[]>`select name from schema_migrations`;
    return new Set(rows.map((row) => row.name));
  });
  const applied: string[] = [];
  for (const name of files) {
    if (done.has(name)) continue;
    const text = await readFile(`${dir}/${name}`, 'utf8');
    const ran = await sql.begin(async (tx) => {
      await lockMigrations(tx);
      // Read after the lock: a concurrent run may have applied this file while we waited.
      const [recorded] = await tx`select 1 from schema_migrations where name = ${name}`;
      if (recorded) return false;
      await tx.unsafe(text);
      await tx`insert into schema_migrations (name) values (${name})`;
      return true;
    });
    if (ran) applied.push(name);
  }
  return applied;
}

/** Transaction-scoped, so released at commit or rollback: no connection is left holding it. */
async function lockMigrations(tx: TransactionSql): Promise<void> {
  await tx`select pg_advisory_xact_lock(7042024)`;
}
