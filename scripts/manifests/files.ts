/** Reading and writing the generated files: what is committed, what differs, what is stale. */
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { generatedDirectories, generatedRootFiles } from './generate.ts';

/** Every file under `dir` (recursive), relative to `root`, with `/` separators. */
async function listFiles(root: string, dir: string): Promise<string[]> {
  const entries = await readdir(join(root, dir), { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(entries.map((entry) => (entry.isDirectory() ? listFiles(root, join(dir, entry.name)) : [join(dir, entry.name)])));
  return nested.flat().map((path) => relative(root, join(root, path)).split('\\').join('/'));
}

/** The committed files the generator owns (its directories and root files), path → content. */
export async function readCommitted(root: string): Promise<Map<string, string>> {
  const paths = [...(await Promise.all(generatedDirectories.map((dir) => listFiles(root, dir)))).flat(), ...generatedRootFiles];
  const files = new Map<string, string>();
  for (const path of paths.sort()) {
    const content = await readFile(join(root, path), 'utf8').catch(() => null);
    if (content !== null) files.set(path, content);
  }
  return files;
}

/** What differs between the generated and the committed files. */
export interface Drift {
  changed: string[];
  missing: string[];
  stale: string[];
}

/** Compare generated with committed files: changed, missing (not committed) and stale (no longer generated). */
export function compare(generated: ReadonlyMap<string, string>, committed: ReadonlyMap<string, string>): Drift {
  const changed: string[] = [];
  const missing: string[] = [];
  for (const [path, content] of generated) {
    const current = committed.get(path);
    if (current === undefined) missing.push(path);
    else if (current !== content) changed.push(path);
  }
  const stale = [...committed.keys()].filter((path) => !generated.has(path));
  return { changed, missing, stale };
}

/** Write the generated files under `root` and delete stale ones; returns what changed. */
export async function writeGenerated(root: string, generated: ReadonlyMap<string, string>): Promise<Drift> {
  const drift = compare(generated, await readCommitted(root));
  for (const path of [...drift.changed, ...drift.missing]) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), generated.get(path)!);
  }
  for (const path of drift.stale) await rm(join(root, path));
  return drift;
}
