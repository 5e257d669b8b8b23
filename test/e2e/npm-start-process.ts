import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from '../../scripts/free-port.ts';

/** A running `npm start` (scripts/dev.ts as npm runs it), with its combined output so far. */
export interface NpmStart {
  url: string;
  output: () => string;
  child: ChildProcess;
}

/** `npm start` as a user runs it, with extra environment; resolves once its banner says it runs. */
export async function npmStart(env: Record<string, string>): Promise<NpmStart> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev.ts'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600 && !output.includes('CoffeeBuddy is running'); i++) {
    if (child.exitCode !== null) throw new Error(`npm start exited: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, output: () => output, child };
}

/** Stop `child` (SIGTERM, as Ctrl-C would) and wait for it to exit. */
export async function stopNpmStart(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}
