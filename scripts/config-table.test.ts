import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registry } from '../functions/registry.ts';
import { configSchemaFor } from '../shared/runtime.ts';
import { configRows, functionsReading, variableDocs, withConfigTable } from './config-table.ts';

const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');

describe("README's configuration table", () => {
  it('is what the schemas generate (on failure: npm run config-table)', () => {
    expect(withConfigTable(readme)).toBe(readme);
  });

  it('documents every variable a function reads, and no variable nothing reads', () => {
    const read = new Set(registry.flatMap((fn) => Object.keys(configSchemaFor([fn]).shape)));
    const documented = Object.keys(variableDocs);
    expect([...read].filter((name) => !documented.includes(name))).toEqual([]);
    const unread = documented.filter((name) => !read.has(name));
    // What only npm start or the operator tools read says so.
    for (const name of unread) expect(variableDocs[name]!.alsoReadBy, name).toBeDefined();
  });

  it('names who reads each variable as the code does', () => {
    const row = (name: string) => configRows().find(([variable]) => variable === `\`${name}\``)!;
    expect(row('SLACK_API_URL')[1]).toBe('slash-command, interaction, close-run, reminder-due, admin');
    expect(row('KAFKA_BROKERS')[1]).toBe('slash-command, interaction, close-run, fairness-assign, reminder-due, `npm run kafka:topics` (the setup job)');
    expect(row('REMINDER_OFFSET_MINUTES')[1]).toBe('slash-command, interaction, reminder-due');
    expect(row('PORT')[1]).toBe('all functions');
    expect(row('DATABASE_SSL_MODE')[2]).toBe("unset: `DATABASE_URL`'s `sslmode`, else none");
    expect(row('DATABASE_POOL_MAX')[2]).toBe('`5`');
    // admin publishes nothing, so it never connects to Kafka whatever its schema holds.
    expect(functionsReading('KAFKA_BROKERS')).not.toContain('admin');
    expect(functionsReading('OUTBOX_RETENTION_DAYS')).toEqual(['admin']);
  });
});
