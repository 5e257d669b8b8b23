/** The part of @bcoe/v8-coverage (which ships no types) that the coverage provider uses. */
declare module '@bcoe/v8-coverage' {
  import type { Profiler } from 'node:inspector';
  /** Adds up the coverage of several processes, script by script (same URL) and range by range. */
  export function mergeProcessCovs(processCovs: readonly { result: Profiler.ScriptCoverage[] }[]): { result: Profiler.ScriptCoverage[] };
}
