/** `npm run build`: bundle every function under dist/ and print each bundle's size. */
import { buildAll } from './bundle.ts';

const sizes = await buildAll();
for (const [name, bytes] of Object.entries(sizes)) {
  process.stdout.write(`dist/${name}/index.mjs  ${(bytes / 1024).toFixed(1)} KiB\n`);
}
