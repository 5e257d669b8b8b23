/**
 * A throw-away PostgreSQL that accepts TLS connections only: initdb in a temporary folder, a
 * certificate for 127.0.0.1 from a test CA (test-certificates.ts), `ssl=on` and a pg_hba.conf of
 * `hostssl` lines only (a plain connection is refused).
 * As root, the server runs as the `postgres` user (PostgreSQL refuses root).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../scripts/free-port.ts';
import { makeTestCertificates } from './test-certificates.ts';

const run = promisify(execFile);
const asRoot = process.getuid?.() === 0;

export interface TlsPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`, no `sslmode` in it. */
  url: string;
  /** PEM of the CA that signed the server's certificate. */
  ca: string;
  /** PEM of a CA that signed nothing of this server's. */
  otherCa: string;
  close(): Promise<void>;
}

/** The `postgres` user's uid (`-u`) or gid (`-g`). */
async function idOf(flag: '-u' | '-g'): Promise<number> {
  const { stdout } = await run('id', [flag, 'postgres']);
  return Number(stdout.trim());
}

/** Start it; `close()` stops the server and deletes its folder. */
export async function startTlsPostgres(): Promise<TlsPostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'coffeebuddy-tls-pg-'));
  const data = join(dir, 'data');
  let server: ChildProcess | undefined;
  try {
    const user: { uid?: number; gid?: number } = asRoot ? { uid: await idOf('-u'), gid: await idOf('-g') } : {};
    const { ca, otherCa, certFile, keyFile } = await makeTestCertificates(dir);
    if (user.uid !== undefined && user.gid !== undefined) {
      for (const path of [dir, keyFile, certFile]) await chown(path, user.uid, user.gid);
    }
    await run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C'], user);
    // TLS or nothing: a plain connection finds no pg_hba.conf line.
    await writeFile(join(data, 'pg_hba.conf'), 'hostssl all all 127.0.0.1/32 trust\n');
    const port = await freePort();
    server = spawn(
      'postgres',
      [
        '-D',
        data,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'ssl=on',
        // A test server: its data is thrown away anyway.
        '-c',
        'fsync=off',
        '-c',
        `ssl_cert_file=${certFile}`,
        '-c',
        `ssl_key_file=${keyFile}`,
      ],
      { ...user, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    server.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    for (let i = 0; !log.includes('ready to accept connections'); i++) {
      if (server.exitCode !== null || i > 300) throw new Error(`the TLS PostgreSQL did not start:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const running = server;
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      ca,
      otherCa,
      async close() {
        running.kill('SIGINT');
        if (running.exitCode === null) await once(running, 'exit');
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    server?.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
