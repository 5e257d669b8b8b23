import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import type { FunctionName } from '../../shared/function.ts';
import { build } from 'esbuild';
import { buildAll, unusedOptionalDependencies, type BundleSize } from '../../scripts/bundle.ts';
import { freePort } from '../../scripts/free-port.ts';
import { node24Binary } from '../../scripts/node-binaries.ts';
import { bundleCoverageEnv } from '../support/bundle-coverage.ts';

/** The image's Node (Dockerfile), not the one running the tests. */
const node = node24Binary();

async function waitForLive(url: string, child: ChildProcess, stderr: () => string): Promise<Response> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${stderr()}`);
    try {
      return await fetch(`${url}/health/live`);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`never answered: ${stderr()}`);
}

describe("npm run build: one bundle per function, each starting alone on the image's Node", () => {
  let outRoot: string;
  let sizes: Record<string, BundleSize>;
  let inputs: Record<string, string[]>;
  beforeAll(async () => {
    outRoot = await mkdtemp(join(tmpdir(), 'coffeebuddy-dist-'));
    ({ functions: sizes, inputs } = await buildAll(outRoot));
  });
  afterAll(async () => {
    await rm(outRoot, { recursive: true, force: true });
  });

  it("builds each function from its own folder and shared/ only, and the setup Job's tools from shared/ and scripts/", () => {
    const allowed = (bundle: string) => (bundle === 'tools' ? /^(shared\/|scripts\/[^/]+\.ts$)/ : new RegExp(`^(shared/|functions/${bundle}/)`));
    const strays = Object.entries(inputs).flatMap(([bundle, files]) =>
      files.filter((file) => !allowed(bundle).test(file)).map((file) => `${bundle} takes ${file}`),
    );
    expect(strays).toEqual([]);
    expect(Object.keys(inputs).sort()).toEqual([...registry.map((fn) => fn.name), 'tools'].sort());
  });

  it('bundles all six functions', () => {
    expect(Object.keys(sizes).sort()).toEqual(registry.map((fn) => fn.name).sort());
    expect(Object.keys(sizes)).toHaveLength(6);
  });

  it('keeps what each function loads at start within 540 KiB, with kafkajs split off to load on demand', () => {
    for (const [name, { entryBytes, lazyBytes }] of Object.entries(sizes)) {
      expect({ name, startKiB: Math.ceil(entryBytes / 1024) <= 540 }).toEqual({ name, startKiB: true });
      expect(lazyBytes / 1024).toBeGreaterThan(200);
    }
  });

  it('fails the build when project code imports a module the bundles stub out', async () => {
    const entry = join(outRoot, 'imports-a-stub.ts');
    await writeFile(entry, "import JSONbig from 'json-bigint';\nexport const parse = JSONbig.parse;\n");
    const attempt = build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
      plugins: [unusedOptionalDependencies],
    });
    await expect(attempt).rejects.toThrow(/json-bigint is stubbed out of the bundles .* imports it/);
  });

  it.each(registry.map((fn) => fn.name))(
    '%s answers /health/live with Postgres, Kafka, Slack and the OIDC issuer unreachable, reports not ready, refuses /sweep without a token, and drains on SIGTERM',
    async (name) => {
      const port = await freePort();
      const child = spawn(node, [join(outRoot, name, 'index.mjs')], {
        env: {
          PATH: process.env.PATH,
          ...bundleCoverageEnv(),
          PORT: String(port),
          DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere',
          SLACK_BOT_TOKEN: 'xoxb-unused',
          SLACK_API_URL: 'http://127.0.0.1:1/api/',
          SLACK_SIGNING_SECRET: 'unused',
          KAFKA_BROKERS: '127.0.0.1:1',
          // Nothing is fetched from the issuer before a token arrives (start-up stays lazy).
          AUTH_OIDC_ISSUER: 'http://127.0.0.1:1/issuer',
          AUTH_OIDC_SUBJECTS: 'system:serviceaccount:coffeebuddy:rehearsal-source',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      let stdout = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      try {
        const url = `http://127.0.0.1:${port}`;
        const live = await waitForLive(url, child, () => stderr);
        expect(live.status).toBe(200);
        // Knative routes nothing to a pod that is not ready, so the pod says why once, at start.
        await expect
          .poll(() => stdout, { timeout: 10_000 })
          .toMatch(/"level":"warn","msg":"database not reachable at start; \/health\/ready answers 503 until it is".*"code":"ECONNREFUSED"/);
        const ready = await fetch(`${url}/health/ready`);
        expect(ready.status).toBe(503);
        const { checks } = (await ready.json()) as { checks: Record<string, boolean> };
        expect(checks.database).toBe(false);
        // Kafka is reported for functions that publish events (advisory: the outbox rides out an outage).
        const publishes = registry.find((fn) => fn.name === name)!.publishes.length > 0;
        expect(checks.events).toBe(publishes ? false : undefined);
        // Refused before the issuer is asked or the database touched.
        for (const authorization of [undefined, 'Bearer a.b.c']) {
          const sweep = await fetch(`${url}/sweep`, { method: 'POST', headers: authorization ? { authorization } : {} });
          expect(sweep.status).toBe(401);
          expect(await sweep.json()).toMatchObject({ error: 'unauthorized' });
        }
        child.kill('SIGTERM');
        const [code] = await once(child, 'exit');
        expect(code).toBe(0);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    },
  );

  it('refuses to start with missing configuration, naming every missing variable', async () => {
    const child = spawn(node, [join(outRoot, 'slash-command', 'index.mjs')], {
      env: { PATH: process.env.PATH, ...bundleCoverageEnv() },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    for (const name of ['DATABASE_URL', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET']) expect(stderr).toContain(name);
    expect(stderr).toContain('AUTH_OIDC_ISSUER: required but not set');
    expect(stderr).not.toContain('    at ');
  });

  it('refuses to start without an OIDC issuer unless AUTH_DISABLED=true, which it warns about', async () => {
    const start = (extra: Record<string, string>) =>
      spawn(node, [join(outRoot, 'close-run', 'index.mjs')], {
        env: {
          PATH: process.env.PATH,
          ...bundleCoverageEnv(),
          PORT: '0',
          DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere',
          SLACK_BOT_TOKEN: 'xoxb-unused',
          KAFKA_BROKERS: '127.0.0.1:1',
          ...extra,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    const refused = start({});
    let stderr = '';
    refused.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    refused.stdout!.resume();
    const [code] = await once(refused, 'exit');
    expect(code).toBe(1);
    expect(stderr).toContain('close-run: Invalid configuration:\n  - AUTH_OIDC_ISSUER: required but not set\n  - AUTH_OIDC_SUBJECTS: required but not set');

    const disabled = start({ AUTH_DISABLED: 'true' });
    let stdout = '';
    disabled.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    try {
      await expect.poll(() => stdout, { timeout: 10_000 }).toContain('"msg":"listening"');
      expect(stdout).toMatch(/"level":"warn","msg":"AUTH_DISABLED=true: \/events\/\* and \/sweep accept requests without a token/);
    } finally {
      disabled.kill('SIGTERM');
      await once(disabled, 'exit');
    }

    // In a pod (Kubernetes sets KUBERNETES_SERVICE_HOST) it refuses to start that way at all.
    const inCluster = start({ AUTH_DISABLED: 'true', KUBERNETES_SERVICE_HOST: '10.96.0.1' });
    let refusal = '';
    inCluster.stderr!.on('data', (chunk: Buffer) => (refusal += chunk.toString()));
    inCluster.stdout!.resume();
    const [inClusterCode] = await once(inCluster, 'exit');
    expect(inClusterCode).toBe(1);
    expect(refusal).toContain('close-run: AUTH_DISABLED=true is refused in a cluster (KUBERNETES_SERVICE_HOST is set)');
  });

  it('refuses to start a function that publishes events without KAFKA_BROKERS, unless EVENTS_OUTBOX_ONLY=true outside a cluster', async () => {
    const start = (name: FunctionName, extra: Record<string, string>) => {
      const child = spawn(node, [join(outRoot, name, 'index.mjs')], {
        env: {
          PATH: process.env.PATH,
          ...bundleCoverageEnv(),
          PORT: '0',
          DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere',
          SLACK_BOT_TOKEN: 'xoxb-unused',
          SLACK_SIGNING_SECRET: 'unused',
          AUTH_DISABLED: 'true',
          ...extra,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      return { child, output: () => output };
    };
    const refused = start('slash-command', {});
    const [code] = await once(refused.child, 'exit');
    expect(code).toBe(1);
    expect(refused.output()).toBe('slash-command: Invalid configuration:\n  - KAFKA_BROKERS: required but not set\n');

    // admin publishes nothing: it needs no broker.
    const admin = start('admin', {});
    const outboxOnly = start('slash-command', { EVENTS_OUTBOX_ONLY: 'true' });
    try {
      for (const started of [admin, outboxOnly]) await expect.poll(started.output, { timeout: 10_000 }).toContain('"msg":"listening"');
      expect(outboxOnly.output()).toContain('"msg":"EVENTS_OUTBOX_ONLY=true: events wait in the outbox until another process publishes them"');
    } finally {
      for (const { child } of [admin, outboxOnly]) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    }

    const inCluster = start('slash-command', {
      EVENTS_OUTBOX_ONLY: 'true',
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      AUTH_DISABLED: 'false',
      AUTH_OIDC_ISSUER: 'http://127.0.0.1:1/issuer',
      AUTH_OIDC_SUBJECTS: 'system:serviceaccount:coffeebuddy:rehearsal-source',
    });
    const [inClusterCode] = await once(inCluster.child, 'exit');
    expect(inClusterCode).toBe(1);
    expect(inCluster.output()).toContain('slash-command: EVENTS_OUTBOX_ONLY=true is refused in a cluster (KUBERNETES_SERVICE_HOST is set)');
  });
});
