/**
 * Everything the image carries, under `<outRoot>` (`dist/`): one esbuild bundle per registered
 * function under `<outRoot>/<name>/index.mjs` (ESM, with a sourcemap), and the setup Job's tools
 * (knative/setup-job.yaml) under `<outRoot>/tools/`. `node dist/<name>/index.mjs` starts that
 * function alone on `$PORT`. What a function loads only on demand (kafkajs, behind a dynamic
 * import) is split into `<outRoot>/<name>/chunks/`, so it is neither read nor parsed at start.
 */
import { cp, rm, stat } from 'node:fs/promises';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { registry } from '../functions/registry.ts';

/**
 * zod re-exports all of its ~40 message locales (a third of every bundle); CoffeeBuddy uses only
 * the default English one, so the bundles get an index that exports just that.
 */
const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes('/zod/') ? { path: 'zod-locales', namespace: 'zod-english-only' } : undefined,
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, () => ({
      contents: "export { default as en } from 'zod/v4/locales/en.js';",
      resolveDir: process.cwd(),
      loader: 'js',
    }));
  },
};

/**
 * Dependencies of our dependencies that CoffeeBuddy never reaches, replaced by a module that says
 * so if it ever were: cloudevents' `json-bigint` (only under `CE_USE_BIG_INT=true`, which nothing
 * sets). Each is stubbed only where the named dependency imports it; the build fails if the
 * project's own code (or any other package) imports a stubbed module, so a stub can never stand in
 * for something CoffeeBuddy uses (as `@opentelemetry/api` once did: every request answered 500).
 */
const stubbedDependencies: Readonly<Record<string, string>> = { 'json-bigint': '/node_modules/cloudevents/' };

export const unusedOptionalDependencies: Plugin = {
  name: 'unused-optional-dependencies',
  setup(pluginBuild) {
    const names = Object.keys(stubbedDependencies).map((name) => name.replace(/[/.]/g, '\\$&'));
    pluginBuild.onResolve({ filter: new RegExp(`^(${names.join('|')})$`) }, (args) => {
      const allowedImporter = stubbedDependencies[args.path]!;
      if (!args.importer.includes(allowedImporter)) {
        return {
          errors: [
            { text: `${args.path} is stubbed out of the bundles (scripts/bundle.ts) but ${args.importer} imports it: remove it from stubbedDependencies` },
          ],
        };
      }
      return { path: args.path, namespace: 'unused-optional-dependency' };
    });
    pluginBuild.onLoad({ filter: /.*/, namespace: 'unused-optional-dependency' }, (args) => ({
      contents: `const unused = () => { throw new Error(${JSON.stringify(`${args.path} is left out of the CoffeeBuddy bundles (scripts/bundle.ts)`)}); };
module.exports = new Proxy(unused, { get: (_target, key) => (key === '__esModule' ? false : unused()) });`,
      loader: 'js',
    }));
  },
};

/** A bundle's size: what loads at start (`index.mjs` and the chunks it imports) and the chunks loaded on demand. */
export interface BundleSize {
  entryBytes: number;
  lazyBytes: number;
}

/**
 * What every bundle shares: self-contained ESM for Node. The target is the oldest Node that runs
 * the bundles, development's 20 (the image runs 24, which runs anything built for 20).
 */
const nodeBundle = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  outExtension: { '.js': '.mjs' },
  sourcemap: true,
  minify: true,
  legalComments: 'linked',
  logLevel: 'warning',
  plugins: [zodEnglishOnly, unusedOptionalDependencies],
  // Some dependencies are CommonJS and call require() for Node built-ins.
  banner: { js: "import { createRequire as __cbCreateRequire } from 'node:module'; const require = __cbCreateRequire(import.meta.url);" },
} satisfies BuildOptions;

/** What `npm run build` writes: the sizes of the function bundles and of the setup Job's tools, and what each was built from. */
export interface BuildReport {
  functions: Record<string, BundleSize>;
  /** `tools/<name>.mjs` → bytes. */
  tools: Record<string, number>;
  /** A function's name or `tools` → the project's own source files in it (esbuild's metafile inputs, node_modules left out). */
  inputs: Record<string, string[]>;
}

/** Empty `outRoot`, then bundle every function and the setup Job's tools into it. */
export async function buildAll(outRoot = 'dist'): Promise<BuildReport> {
  await rm(outRoot, { recursive: true, force: true });
  const inputs: Record<string, string[]> = {};
  return { functions: await buildFunctions(outRoot, inputs), tools: await buildTools(outRoot, inputs), inputs };
}

/** The project's own files among a metafile's inputs. */
const ownInputs = (metafile: Metafile): string[] => Object.keys(metafile.inputs).filter((file) => !file.includes('node_modules/') && !file.includes(':'));

/**
 * The setup Job's tools (scripts/manifests/setup-job.ts runs them): `<outRoot>/tools/migrate.mjs`
 * with the SQL files in `<outRoot>/tools/migrations/`, where shared/db/migrate.ts looks for them
 * (`./migrations/` beside the module that contains it: this bundle, so not split into chunks), and
 * `<outRoot>/tools/create-topics.mjs`; and the operators' `<outRoot>/tools/dead-letters.mjs`
 * (`npm run dead-letters` inside the image). Returns name → bytes.
 */
async function buildTools(outRoot: string, inputs: Record<string, string[]>): Promise<Record<string, number>> {
  const outdir = `${outRoot}/tools`;
  const tools = ['migrate', 'create-topics', 'dead-letters'];
  const { metafile } = await build({
    ...nodeBundle,
    entryPoints: Object.fromEntries(tools.map((name) => [name, `scripts/${name}.ts`])),
    outdir,
    metafile: true,
  });
  inputs.tools = ownInputs(metafile);
  await cp('shared/db/migrations', `${outdir}/migrations`, { recursive: true });
  const sizes: Record<string, number> = {};
  for (const name of tools) sizes[name] = (await stat(`${outdir}/${name}.mjs`)).size;
  return sizes;
}

/** Bundle every function; returns name → its bundle's size. */
async function buildFunctions(outRoot: string, inputs: Record<string, string[]>): Promise<Record<string, BundleSize>> {
  const sizes: Record<string, BundleSize> = {};
  for (const fn of registry) {
    const outdir = `${outRoot}/${fn.name}`;
    const { metafile } = await build({
      ...nodeBundle,
      entryPoints: { index: `functions/${fn.name}/index.ts` },
      outdir,
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
      metafile: true,
    });
    inputs[fn.name] = ownInputs(metafile);
    // What `index.mjs` imports statically loads at start with it; the rest only on demand.
    const atStart = new Set<string>();
    const visit = (file: string) => {
      if (atStart.has(file)) return;
      atStart.add(file);
      for (const imported of metafile.outputs[file]!.imports) if (imported.kind === 'import-statement' && metafile.outputs[imported.path]) visit(imported.path);
    };
    visit(Object.keys(metafile.outputs).find((file) => file.endsWith(`${fn.name}/index.mjs`))!);
    const code = Object.entries(metafile.outputs).filter(([file]) => file.endsWith('.mjs'));
    sizes[fn.name] = {
      entryBytes: code.filter(([file]) => atStart.has(file)).reduce((sum, [, output]) => sum + output.bytes, 0),
      lazyBytes: code.filter(([file]) => !atStart.has(file)).reduce((sum, [, output]) => sum + output.bytes, 0),
    };
  }
  return sizes;
}
