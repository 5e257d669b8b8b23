import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Pool } from './client.ts';

/** Where the plain-SQL migrations live. */
export const migrationsDir = fileURLToPath(new URL('./migrations/', import.meta.url));

/**
 * Apply every migration in `dir` not yet recorded in `schema_migrations`, in file-name order,
 * each in its own transaction. An advisory lock makes concurrent starts wait instead of racing.
 * Returns the names applied now.
 */
export async function migrate(sql: Pool, dir: string = migrationsDir): Promise<string[]> {
  const files = (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort();
  const applied: string[] = [];
  await sql.begin(async (tx) => {
    // Transaction-scoped lock: released at commit, so no connection is left holding it.
    await tx`select pg_advisory_xact_lock(7042024)`;
    await tx`
      create table if not exists schema_migrations (
        name text primary key,
        applied_at timestamptz not null default now()
      )
    `;
    const rows = await tx<{ name: string }[]>`select name from schema_migrations`;
    const done = new Set(rows.map((row) => row.name));
    for (const name of files) {
      if (done.has(name)) continue;
      const text = await readFile(`${dir}/${name}`, 'utf8');
      await tx.unsafe(text);
      await tx`insert into schema_migrations (name) values (${name})`;
      applied.push(name);
    }
  });
  return applied;
}
