/**
 * The setup Job's tools (knative/setup-job.yaml) as the image runs them: what `npm run build`
 * writes, copied alone into an empty folder (no node_modules, no sources), started from there on
 * the image's Node.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrate, migrationsDir } from '../../shared/db/migrate.ts';
import { seedRuns } from '../support/seed-runs.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-db.ts';
import { buildAll } from '../../scripts/bundle.ts';
import { bundleCoverageEnv } from '../support/bundle-coverage.ts';
import { node24Binary } from '../../scripts/node-binaries.ts';

/** The first migration since the last release (0.1.0): the upgrade test starts just before it. */
const firstMigrationOfThisRelease = '0014_dead_letter_key.sql';

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('the setup Job tools, from dist/ alone on the image’s Node', () => {
  let buildDir: string;
  let imageDir: string;
  let migrations: string[];
  const databases: TestDatabase[] = [];

  beforeAll(async () => {
    buildDir = await mkdtemp(join(tmpdir(), 'coffeebuddy-build-'));
    await buildAll(buildDir);
    imageDir = await mkdtemp(join(tmpdir(), 'coffeebuddy-image-'));
    await cp(buildDir, join(imageDir, 'dist'), { recursive: true });
    migrations = (await readdir(migrationsDir)).filter((name) => name.endsWith('.sql')).sort();
  });
  afterAll(async () => {
    for (const db of databases) await db.drop();
    await rm(buildDir, { recursive: true, force: true });
    await rm(imageDir, { recursive: true, force: true });
  });

  /** The setup Job's command for one tool (scripts/manifests/setup-job.ts), with only `env` set. */
  async function runTool(tool: string, env: Record<string, string>): Promise<Exit> {
    const child = spawn(node24Binary(), ['--enable-source-maps', `dist/tools/${tool}.mjs`], {
      cwd: imageDir,
      env: { PATH: process.env.PATH, ...bundleCoverageEnv(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, stdout, stderr };
  }

  async function emptyDatabase(): Promise<TestDatabase> {
    const db = await createTestDatabase({ migrated: false });
    databases.push(db);
    return db;
  }

  const recorded = async (db: TestDatabase) => (await db.sql<{ name: string }[]>`select name from schema_migrations order by name`).map((row) => row.name);
  /** The names a run printed after `applied: ` (none when it found the database up to date). */
  const appliedBy = ({ stdout }: Exit) => (stdout.startsWith('applied: ') ? stdout.slice('applied: '.length).trim().split(', ') : []);

  it('dist/tools/migrate.mjs applies every migration to a fresh database, and finds it up to date the second time', async () => {
    const db = await emptyDatabase();
    const first = await runTool('migrate', { DATABASE_URL: db.url });
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(appliedBy(first)).toEqual(migrations);
    expect(await recorded(db)).toEqual(migrations);
    const [runs] = await db.sql<{ exists: boolean }[]>`select to_regclass('runs') is not null as exists`;
    expect(runs!.exists).toBe(true);

    expect(await runTool('migrate', { DATABASE_URL: db.url })).toEqual({ code: 0, stdout: 'up to date\n', stderr: '' });
  });

  it('two dist/tools/migrate.mjs at once both succeed, and each migration is applied once', async () => {
    const db = await emptyDatabase();
    const runs = await Promise.all([runTool('migrate', { DATABASE_URL: db.url }), runTool('migrate', { DATABASE_URL: db.url })]);
    for (const run of runs) expect(run).toMatchObject({ code: 0, stderr: '' });
    // Between them, every file once: one may have applied all of it, or they took turns.
    expect(runs.flatMap(appliedBy).sort()).toEqual(migrations);
    expect(await recorded(db)).toEqual(migrations);
  });

  it('dist/tools/migrate.mjs upgrades a database at the previous release, keeping its data', async () => {
    // The previous release's schema (the migrations before this release's first), applied as that
    // release did, then a channel's history and two copies of one dead letter, as it could write them.
    const db = await emptyDatabase();
    const previous = await mkdtemp(join(tmpdir(), 'coffeebuddy-previous-migrations-'));
    const thisRelease = migrations.filter((name) => name >= firstMigrationOfThisRelease);
    try {
      for (const name of migrations.filter((each) => !thisRelease.includes(each))) await cp(join(migrationsDir, name), join(previous, name));
      await migrate(db.sql, previous);
    } finally {
      await rm(previous, { recursive: true, force: true });
    }
    const seeded = await seedRuns(db.sql, { slackChannelId: 'CUPGRADE', count: 30, startedAt: new Date('2026-11-01T09:00:00Z'), status: 'completed' });
    const letter = (at: string) => db.sql`
      insert into dead_letter_events (consumer, event_id, type, source, attributes, error, attempts, created_at)
      values ('close-run', 'evt-1', 'com.coffeebuddy.run.close_requested', '/close-run', '{}', 'sink answered 400', 1, ${at})`;
    await letter('2026-11-02T10:00:00Z');
    await letter('2026-11-02T10:00:05Z');

    const run = await runTool('migrate', { DATABASE_URL: db.url });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(appliedBy(run)).toEqual(thisRelease);
    expect(await recorded(db)).toEqual(migrations);
    const [runs] = await db.sql<{ count: number }[]>`select count(*)::int as count from runs where channel_id = ${seeded.channelId}`;
    expect(runs!.count).toBe(30);
    const letters = await db.sql<{ createdAt: Date }[]>`select created_at from dead_letter_events where event_id = 'evt-1'`;
    expect(letters.map((row) => row.createdAt.toISOString())).toEqual(['2026-11-02T10:00:00.000Z']);
  });

  it('dist/tools/migrate.mjs says what is missing and exits 1 without DATABASE_URL', async () => {
    const run = await runTool('migrate', {});
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('DATABASE_URL: required but not set');
  });

  /**
   * kafkajs 2.2.4 passes setTimeout a negative delay, which Node 24 runs after 1 ms as Node 20
   * did, but now with this warning (tulios/kafkajs#1751): harmless, and nothing else may appear.
   */
  const withoutKafkajsTimeoutWarning = (stderr: string) =>
    stderr.replace(
      /^\(node:\d+\) TimeoutNegativeWarning: -\d+ is a negative number\.\nTimeout duration was set to 1\.\n(\(Use `node --trace-warnings \.\.\.` [^\n]*\n)?/gm,
      '',
    );

  it('dist/tools/create-topics.mjs creates the topics on the broker, and finds them the second time', async () => {
    const env = { KAFKA_BROKERS: inject('kafkaBrokers'), KAFKA_TOPIC_PREFIX: `setup${Date.now()}.`, KAFKA_REPLICATION_FACTOR: '1' };
    const first = await runTool('create-topics', env);
    expect({ ...first, stderr: withoutKafkajsTimeoutWarning(first.stderr) }).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(new RegExp(`^created: ${env.KAFKA_TOPIC_PREFIX.replace('.', '\\.')}`));
    const second = await runTool('create-topics', env);
    expect({ ...second, stderr: withoutKafkajsTimeoutWarning(second.stderr) }).toEqual({ code: 0, stdout: 'all topics exist\n', stderr: '' });
  });
});
