import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { build } from 'esbuild';

/** The page's files, ready to serve; or why they could not be built (the API still works then). */
export type PageAssets = { ok: true; html: string; js: string; css: string } | { ok: false; error: string };

/** scripts/local/sandbox/page/, next to this file. */
export const defaultPageDir = fileURLToPath(new URL('./page/', import.meta.url));

/**
 * Reads index.html and style.css and bundles main.ts with esbuild, in memory, once: the page is
 * TypeScript like the rest of the repo, and `npm start` serves it without a build step on disk.
 */
export async function buildPageAssets(pageDir = defaultPageDir): Promise<PageAssets> {
  try {
    const [html, css, bundle] = await Promise.all([
      readFile(join(pageDir, 'index.html'), 'utf8'),
      readFile(join(pageDir, 'style.css'), 'utf8'),
      build({
        entryPoints: [join(pageDir, 'main.ts')],
        bundle: true,
        write: false,
        format: 'esm',
        target: 'es2022',
        platform: 'browser',
        minify: true,
        sourcemap: 'inline',
        logLevel: 'silent',
      }),
    ]);
    return { ok: true, html, css, js: bundle.outputFiles[0]?.text ?? '' };
  } catch (error) {
    return { ok: false, error: `The sandbox page in ${pageDir} did not build: ${error instanceof Error ? error.message : String(error)}` };
  }
}
