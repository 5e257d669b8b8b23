import type { Sql } from '../db/client.ts';
import type { DeadLetter } from './in-process-bus.ts';

/** Park an undeliverable event in `dead_letter_events`, where an operator can inspect and replay it. */
export async function storeDeadLetter(sql: Sql, letter: DeadLetter): Promise<void> {
  const { event } = letter;
  const { data, ...attributes } = event.toJSON() as Record<string, unknown>;
  await sql`
    insert into dead_letter_events (
      consumer, event_id, type, source, subject, attributes, data, status_code, error, attempts
    ) values (
      ${letter.consumer},
      ${event.id},
      ${event.type},
      ${event.source},
      ${event.subject ?? null},
      ${sql.json(attributes as never)},
      ${data === undefined ? null : sql.json(data as never)},
      ${letter.statusCode},
      ${letter.error.slice(0, 1000)},
      ${letter.attempts}
    )
  `;
}
