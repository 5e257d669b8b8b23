/** `npm run build`: everything the image carries under dist/ (scripts/bundle.ts), each bundle's size printed. */
import { readdir } from 'node:fs/promises';
import { buildAll } from './bundle.ts';

const { functions, tools } = await buildAll();
for (const [name, { entryBytes, lazyBytes }] of Object.entries(functions)) {
  const lazy = lazyBytes > 0 ? `  (+ ${(lazyBytes / 1024).toFixed(1)} KiB loaded on demand: dist/${name}/chunks/)` : '';
  process.stdout.write(`dist/${name}/index.mjs  ${(entryBytes / 1024).toFixed(1)} KiB${lazy}\n`);
}
for (const [name, bytes] of Object.entries(tools)) process.stdout.write(`dist/tools/${name}.mjs  ${(bytes / 1024).toFixed(1)} KiB\n`);
process.stdout.write(`dist/tools/migrations/  ${(await readdir('dist/tools/migrations')).length} SQL files\n`);
