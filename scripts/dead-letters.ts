/**
 * `npm run dead-letters -- list | replay <id> | replay --all`: what gave up, and putting it back.
 *
 * Lists events no consumer could take and Slack effects that Slack refused or that stayed
 * undeliverable, then replays them: events are published again (consumers dedupe what they took),
 * effects are retried afresh. Both go out at the functions' next sweep (`SWEEP_INTERVAL_MS`, or
 * `POST /sweep`). Needs DATABASE_URL (npm start prints its embedded database's URL).
 */
import { parseArgs } from 'node:util';
import { createDb } from '../shared/db/client.ts';
import { databaseTls } from './database-tls.ts';
import { listParked, replayParked } from '../shared/events/dead-letters.ts';

const usage = 'usage: npm run dead-letters -- list | replay <id> | replay --all';
const { positionals, values } = parseArgs({ allowPositionals: true, options: { all: { type: 'boolean', default: false } } });
const [command, id] = positionals;
const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write('DATABASE_URL: required but not set (npm start prints the URL of its embedded database)\n');
  process.exit(2);
}
if (command !== 'list' && !(command === 'replay' && (id || values.all))) {
  process.stderr.write(`${usage}\n`);
  process.exit(2);
}

const sql = createDb(url, { max: 2, applicationName: 'coffeebuddy-dead-letters', tls: databaseTls() });
const out = (line: string) => process.stdout.write(`${line}\n`);
try {
  const parked = await listParked(sql);
  if (command === 'list') {
    if (parked.length === 0) out('Nothing parked.');
    for (const item of parked) {
      const status = item.statusCode === null ? 'no status' : `status ${item.statusCode}`;
      out(`${item.id}\t${item.kind}\t${item.what}\t${item.where}\t${status}\t${item.attempts} attempts\t${item.at.toISOString()}\t${item.error}`);
    }
  } else {
    const ids = values.all ? parked.map((item) => item.id) : [id!];
    const said = {
      replayed: 'replayed',
      superseded: 'superseded',
      not_found: 'not found (or already replayed)',
      not_replayable: 'not replayable: not one of our event types (kept for inspection)',
    } as const;
    let replayed = 0;
    for (const each of ids) {
      const outcome = await replayParked(sql, each, new Date());
      if (outcome === 'replayed') replayed++;
      out(`${each}\t${said[outcome]}`);
    }
    out(`${replayed} replayed; they go out at the next sweep of the running functions.`);
    if (!values.all && replayed === 0) process.exitCode = 1;
  }
} finally {
  await sql.end({ timeout: 5 });
}
