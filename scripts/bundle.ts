/**
 * One esbuild bundle per registered function under `<outRoot>/<name>/index.mjs` (ESM, node20,
 * with a sourcemap). `node dist/<name>/index.mjs` starts that function alone on `$PORT`.
 */
import { rm, stat } from 'node:fs/promises';
import { build, type Plugin } from 'esbuild';
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

/** Bundle every function; returns name → bytes of its bundle. */
export async function buildAll(outRoot = 'dist'): Promise<Record<string, number>> {
  await rm(outRoot, { recursive: true, force: true });
  const sizes: Record<string, number> = {};
  for (const fn of registry) {
    const outfile = `${outRoot}/${fn.name}/index.mjs`;
    await build({
      entryPoints: [`functions/${fn.name}/index.ts`],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      sourcemap: true,
      minify: true,
      legalComments: 'linked',
      logLevel: 'warning',
      plugins: [zodEnglishOnly],
      // Some dependencies are CommonJS and call require() for Node built-ins.
      banner: { js: "import { createRequire as __cbCreateRequire } from 'node:module'; const require = __cbCreateRequire(import.meta.url);" },
    });
    sizes[fn.name] = (await stat(outfile)).size;
  }
  return sizes;
}

