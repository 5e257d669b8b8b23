/** `npm run migrate`: apply pending SQL migrations to DATABASE_URL. */
import { createDb } from '../shared/db/client.ts';
import { databaseTls } from './database-tls.ts';
import { migrate } from '../shared/db/migrate.ts';

const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write('DATABASE_URL: required but not set (e.g. postgres://postgres@127.0.0.1:5432/coffeebuddy)\n');
  process.exit(1);
}
// A migration may rewrite a large table: no 5 s statement limit here.
const sql = createDb(url, { max: 1, statementTimeoutMs: 60 * 60 * 1000, applicationName: 'coffeebuddy-migrate', tls: databaseTls() });
try {
  const applied = await migrate(sql);
  process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'up to date\n');
} catch (error) {
  process.stderr.write(`migration failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await sql.end({ timeout: 5 });
}
