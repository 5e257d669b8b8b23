/**
 * The bundles' own coverage: every test that starts a `dist/` bundle (or a tool from `dist/tools/`)
 * adds `bundleCoverageEnv()` to its environment, so under `--coverage` Node writes the process's V8
 * coverage into one folder per run; test/support/bundle-coverage-provider.ts maps it back to the
 * TypeScript sources and adds it to vitest's own before the reports and the gate.
 */
import { join } from 'node:path';
import { inject } from 'vitest';

/**
 * Where the spawned bundles write their V8 coverage: inside the coverage reports' folder, which vitest
 * empties at the start of a run; the provider removes it once it has read it.
 */
export const bundleCoverageDir = join(process.cwd(), 'reports', 'coverage', '.bundles-v8');

declare module 'vitest' {
  export interface ProvidedContext {
    /** `bundleCoverageDir` when the run measures coverage, else null. */
    bundleCoverageDir: string | null;
  }
}

/** `NODE_V8_COVERAGE` for a spawned bundle when the run measures coverage; nothing otherwise. */
export function bundleCoverageEnv(): Record<string, string> {
  const dir = inject('bundleCoverageDir');
  return dir ? { NODE_V8_COVERAGE: dir } : {};
}
