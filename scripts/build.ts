/** `npm run build`: bundle every function under dist/ and print each bundle's size. */
import { buildAll } from './bundle.ts';

const sizes = await buildAll();
for (const [name, { entryBytes, lazyBytes }] of Object.entries(sizes)) {
  const lazy = lazyBytes > 0 ? `  (+ ${(lazyBytes / 1024).toFixed(1)} KiB loaded on demand: dist/${name}/chunks/)` : '';
  process.stdout.write(`dist/${name}/index.mjs  ${(entryBytes / 1024).toFixed(1)} KiB${lazy}\n`);
}
