/**
 * `/coffee` side by side with a minimal Slack Bolt app (./bolt-app.ts): both bundled and run as
 * their own processes on this machine, on the Node given (the image's), against the same Postgres
 * database and the same Slack emulator, measured in alternating rounds so that whatever else the
 * machine does weighs on both. Every request is signed and starts a run in a new channel; any
 * answer but 200 stops the bench (BundleFailure).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { startSlackEmulator } from '../local/emulator.ts';
import { createTestDatabase } from '../../test/support/test-db.ts';
import { slackHeaders, slashCommandBody, unissuedTrigger } from '../../test/support/slack-requests.ts';
import { freePort } from '../free-port.ts';
import { BundleFailure } from './bundle-failure.ts';
import { benchSigningSecret, bundleEnv, ms, percentile } from './bundle-env.ts';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

type AppName = 'bolt' | 'coffeebuddy';

interface Load {
  throughput: number[];
  latencies: number[];
  /** CPU seconds per round: the app's process, the local Postgres server's processes, and this one (load generator and Slack emulator). */
  cpu: { app: number; postgres: number; bench: number; requests: number }[];
}

/** CPU seconds a process has used (user + system), from /proc (Linux). */
function processCpu(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds used by every process of this machine's Postgres server (0 when it runs elsewhere). */
function postgresCpu(): number {
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/stat`, 'utf8').includes('(postgres)')) total += processCpu(Number(pid));
    } catch {
      // The process ended while being read.
    }
  }
  return total;
}

const benchCpu = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};

/** Bundle the Bolt baseline like a CoffeeBuddy function (`<outRoot>/bolt/index.mjs`). */
async function buildBolt(outRoot: string): Promise<string> {
  const outfile = join(outRoot, 'bolt', 'index.mjs');
  await build({
    entryPoints: ['scripts/bench/bolt-app.ts'],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify: true,
    logLevel: 'warning',
    banner: { js: "import { createRequire as __cbCreateRequire } from 'node:module'; const require = __cbCreateRequire(import.meta.url);" },
  });
  return outfile;
}

let nextChannel = 0;
/** CoffeeBuddy's ephemeral answers other than the posted run message (an empty 200), counted. */
const answers = new Map<string, number>();

/** A bundle as the bench names it: its path in the copied folder (`dist/slash-command/index.mjs`). */
interface Bundle {
  name: string;
  url: string;
}

/** Post signed `/coffee` requests until one is answered 200 (connection refused: not up yet). */
async function firstCoffee(bundle: Bundle, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${bundle.name} exited with ${child.exitCode} before answering /coffee`);
    try {
      await coffee(bundle);
      return;
    } catch (error) {
      if ((error as { cause?: { code?: string } }).cause?.code !== 'ECONNREFUSED') throw error;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
}

/** One signed `/coffee`; throws BundleFailure unless it is answered 200. */
async function coffee(bundle: Bundle): Promise<void> {
  const body = slashCommandBody({ trigger: unissuedTrigger, text: 'in 30m Lobby', channelId: `CSIDE${nextChannel++}`, userId: 'U0001' });
  const response = await fetch(`${bundle.url}/slack/commands`, { method: 'POST', headers: slackHeaders(benchSigningSecret, body, new Date()), body });
  const text = await response.text();
  if (response.status !== 200) throw new BundleFailure(bundle.name, 'POST /slack/commands (/coffee in 30m Lobby)', response.status, text);
  // CoffeeBuddy answers an empty 200 when the run message is posted; anything else is counted.
  if (text) {
    const reply = JSON.parse(text) as { text?: string };
    if (reply.text) answers.set(reply.text, (answers.get(reply.text) ?? 0) + 1);
  }
}

async function load(
  bundle: Bundle & { pid: number },
  requests: number,
  concurrency: number,
  into: Omit<Load, 'cpu'> & Partial<Pick<Load, 'cpu'>>,
): Promise<void> {
  const before = { app: processCpu(bundle.pid), postgres: postgresCpu(), bench: benchCpu() };
  let next = 0;
  const latencies: number[] = [];
  const worker = async () => {
    while (next < requests) {
      next++;
      const started = performance.now();
      await coffee(bundle);
      latencies.push(performance.now() - started);
    }
  };
  const wall = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  into.throughput.push(requests / ((performance.now() - wall) / 1000));
  into.latencies.push(...latencies);
  into.cpu?.push({ app: processCpu(bundle.pid) - before.app, postgres: postgresCpu() - before.postgres, bench: benchCpu() - before.bench, requests });
}

/**
 * `coffeeBuddyBundle` is the slash-command bundle in `outRoot`, where the Bolt app is bundled too;
 * both run on `node`.
 */
export async function benchSideBySide(options: {
  coffeeBuddyBundle: string;
  outRoot: string;
  node: string;
  rounds: number;
  coldStarts: number;
}): Promise<void> {
  const db = await createTestDatabase();
  const slack = await startSlackEmulator({
    users: { U0001: { name: 'ana', tz: 'Europe/Berlin' } },
    rateLimitsOff: { reason: 'the bench times each bundle at a rate of /coffee no Slack workspace would allow' },
  });
  const children = new Set<ChildProcess>();
  try {
    await db.sql`
      create table bench_bolt_runs (
        id bigint generated always as identity primary key,
        slack_channel_id text not null,
        slack_user_id text not null,
        note text not null,
        created_at timestamptz not null default now()
      )`;
    const bundles: Record<AppName, string> = { bolt: await buildBolt(options.outRoot), coffeebuddy: options.coffeeBuddyBundle };
    // The Bolt app reads the same variables (it publishes nothing either).
    const env = (port: number) => bundleEnv({ port, databaseUrl: db.url, slackUrl: slack.url });
    const start = async (app: AppName): Promise<{ bundle: Bundle & { pid: number }; child: ChildProcess; coldMs: number }> => {
      const port = await freePort();
      const started = performance.now();
      const child = spawn(options.node, [bundles[app]], { env: env(port), stdio: 'ignore' });
      children.add(child);
      const bundle = { name: relative(options.outRoot, bundles[app]), url: `http://127.0.0.1:${port}`, pid: child.pid! };
      await firstCoffee(bundle, child);
      return { bundle, child, coldMs: performance.now() - started };
    };
    const stop = async (child: ChildProcess) => {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
      children.delete(child);
    };

    // Cold start: process spawn to the first /coffee answered 200, alternating. The user has
    // started runs before (as in a workspace a while after install), the channel is new.
    const cold: Record<AppName, number[]> = { bolt: [], coffeebuddy: [] };
    for (let i = 0; i < options.coldStarts; i++) {
      for (const app of ['bolt', 'coffeebuddy'] as const) {
        const { child, coldMs } = await start(app);
        cold[app].push(coldMs);
        await stop(child);
      }
    }

    const running = { bolt: await start('bolt'), coffeebuddy: await start('coffeebuddy') };
    for (const concurrency of [20, 100]) {
      const requests = concurrency * 40;
      const results: Record<AppName, Load> = { bolt: { throughput: [], latencies: [], cpu: [] }, coffeebuddy: { throughput: [], latencies: [], cpu: [] } };
      // One unmeasured round each first: JIT, pool and sockets warm.
      for (const app of ['bolt', 'coffeebuddy'] as const) await load(running[app].bundle, requests / 2, concurrency, { throughput: [], latencies: [] });
      for (let round = 0; round < options.rounds; round++) {
        for (const app of round % 2 === 0 ? (['bolt', 'coffeebuddy'] as const) : (['coffeebuddy', 'bolt'] as const)) {
          await load(running[app].bundle, requests, concurrency, results[app]);
        }
      }
      const line = (app: AppName) => {
        const sorted = [...results[app].latencies].sort((a, b) => a - b);
        return (
          `${app.padEnd(11)} ${median(results[app].throughput).toFixed(0).padStart(5)} req/s ` +
          `(rounds ${results[app].throughput.map((t) => t.toFixed(0)).join(', ')}), ` +
          `p50 ${ms(percentile(sorted, 50))}, p95 ${ms(percentile(sorted, 95))}, p99 ${ms(percentile(sorted, 99))}`
        );
      };
      const p99 = (app: AppName) =>
        percentile(
          [...results[app].latencies].sort((a, b) => a - b),
          99,
        );
      console.log(`/coffee side by side, ${options.rounds} alternating rounds of ${requests} at concurrency ${concurrency}:`);
      for (const [text, count] of answers) console.log(`  (coffeebuddy answered ${count}x: ${text})`);
      answers.clear();
      console.log(`  ${line('bolt')}`);
      console.log(`  ${line('coffeebuddy')}`);
      console.log(
        `  ratio coffeebuddy/bolt: throughput ${(median(results.coffeebuddy.throughput) / median(results.bolt.throughput)).toFixed(2)}x, ` +
          `p99 ${(p99('coffeebuddy') / p99('bolt')).toFixed(2)}x`,
      );
      // Where the machine's CPU went, per request answered: what bounds the throughput on a small machine.
      for (const app of ['bolt', 'coffeebuddy'] as const) {
        const perRequest = (part: 'app' | 'postgres' | 'bench') => {
          const cpu = results[app].cpu;
          return `${((cpu.reduce((sum, round) => sum + round[part], 0) / cpu.reduce((sum, round) => sum + round.requests, 0)) * 1000).toFixed(2)} ms`;
        };
        console.log(
          `  CPU per request, ${app.padEnd(11)}: its process ${perRequest('app')}, Postgres ${perRequest('postgres')}, load generator and emulator ${perRequest('bench')}`,
        );
      }
    }
    await stop(running.bolt.child);
    await stop(running.coffeebuddy.child);
    const [rows] = await db.sql<{ bolt: number; coffeebuddy: number }[]>`
      select (select count(*)::int from bench_bolt_runs) as bolt, (select count(*)::int from runs where message_ts is not null) as coffeebuddy`;
    console.log(
      `  (rows written: bolt ${rows!.bolt}, coffeebuddy runs with their message ${rows!.coffeebuddy}; the emulator took ${slack.callsTo('chat.postMessage').length} posts)`,
    );

    console.log(`cold start, process spawn to first /coffee 200 (${options.coldStarts} each, alternating):`);
    for (const app of ['bolt', 'coffeebuddy'] as const) {
      console.log(`  ${app.padEnd(11)} median ${ms(median(cold[app]))} (${cold[app].map((n) => n.toFixed(0)).join(', ')})`);
    }
    console.log(`  ratio coffeebuddy/bolt: ${(median(cold.coffeebuddy) / median(cold.bolt)).toFixed(2)}x`);
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await slack.close();
    await db.drop();
  }
}
