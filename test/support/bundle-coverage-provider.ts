/**
 * Vitest's V8 coverage, plus the coverage of the bundles the tests start from `dist/` (the code the
 * image runs): the bundles write their V8 coverage through NODE_V8_COVERAGE (bundle-coverage.ts),
 * and this provider adds it to vitest's own before the reports and the thresholds, so both see one
 * map. A bundle is minified, so its code is converted with its source map by the converter vitest
 * itself uses (ast-v8-to-istanbul), and only the statements, branches and functions that start
 * exactly where vitest's own map has one count, as hits of that one: minification reshapes some code
 * (an `if` becomes `&&`), and such entries would otherwise be counted twice, once in each shape.
 */
import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Profiler } from 'node:inspector';
import { mergeProcessCovs } from '@bcoe/v8-coverage';
import { eachMapping, type EncodedSourceMap, TraceMap } from '@jridgewell/trace-mapping';
import convert from 'ast-v8-to-istanbul';
import v8Module from '@vitest/coverage-v8';
import { V8CoverageProvider } from '@vitest/coverage-v8/dist/provider.js';
import type { CoverageMap, FileCoverageData, Range } from 'istanbul-lib-coverage';
import { parseAstAsync, type ReportContext } from 'vitest/node';
import { buildAll } from '../../scripts/bundle.ts';
import { bundleCoverageDir } from './bundle-coverage.ts';

/** A bundle's path inside `dist/`: `<function>/index.mjs`, `<function>/chunks/<chunk>.mjs` or `tools/<tool>.mjs`. */
function pathInDist(url: string): string | undefined {
  const parts = fileURLToPath(url).split('/');
  const tail = parts.at(-2) === 'chunks' ? parts.slice(-3) : parts.slice(-2);
  return url.endsWith('.mjs') ? tail.join('/') : undefined;
}

/** Where an entry starts: a minified bundle's source map places starts exactly, not always ends. */
const start = (range: Range) => `${range.start.line}:${range.start.column}`;

/**
 * `bundle`'s hits, on the entries of `canonical` (vitest's own map of the file) that start where a
 * bundle's entry starts, in `canonical`'s shape so that merging adds hits and never entries; a
 * bundle's entry with no such place (code minification reshaped) is left out.
 */
function atCanonicalPlaces(bundle: FileCoverageData, canonical: FileCoverageData): FileCoverageData {
  const statements = new Map(Object.values(canonical.statementMap).map((range) => [start(range), range]));
  const functions = new Map(Object.values(canonical.fnMap).map((fn) => [start(fn.loc), fn]));
  const branches = new Map(Object.values(canonical.branchMap).map((branch) => [branch.locations.map(start).join('|'), branch]));
  const kept: FileCoverageData = { path: canonical.path, statementMap: {}, s: {}, fnMap: {}, f: {}, branchMap: {}, b: {} };
  for (const [id, range] of Object.entries(bundle.statementMap)) {
    const place = statements.get(start(range));
    if (!place) continue;
    kept.statementMap[id] = place;
    kept.s[id] = bundle.s[id]!;
  }
  for (const [id, fn] of Object.entries(bundle.fnMap)) {
    const place = functions.get(start(fn.loc));
    if (!place) continue;
    kept.fnMap[id] = place;
    kept.f[id] = bundle.f[id]!;
  }
  for (const [id, branch] of Object.entries(bundle.branchMap)) {
    const place = branches.get(branch.locations.map(start).join('|'));
    if (!place) continue;
    kept.branchMap[id] = place;
    kept.b[id] = bundle.b[id]!;
  }
  return kept;
}

/** The offsets in `code` (sorted) of the source map's mappings into the files the gate measures. */
function measuredOffsets(code: string, sourceMap: TraceMap, measured: ReadonlySet<string>): number[] {
  const lineStarts = [0];
  for (let i = code.indexOf('\n'); i !== -1; i = code.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const offsets: number[] = [];
  eachMapping(sourceMap, (mapping) => {
    if (mapping.source !== null && measured.has(mapping.source)) offsets.push(lineStarts[mapping.generatedLine - 1]! + mapping.generatedColumn);
  });
  return offsets.sort((a, b) => a - b);
}

/** Whether sorted `offsets` has one in [start, end). */
function anyWithin(offsets: readonly number[], start: number, end: number): boolean {
  let low = 0;
  let high = offsets.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (offsets[middle]! < start) low = middle + 1;
    else high = middle;
  }
  return low < offsets.length && offsets[low]! < end;
}

const percent = (map: CoverageMap) => {
  const summary = map.getCoverageSummary();
  return `lines ${summary.lines.pct}%, branches ${summary.branches.pct}%, functions ${summary.functions.pct}%, statements ${summary.statements.pct}%`;
};

class BundleCoverageProvider extends V8CoverageProvider {
  override async generateCoverage(context: ReportContext): Promise<CoverageMap> {
    const map = (await super.generateCoverage(context)) as CoverageMap;
    const files = (await readdir(bundleCoverageDir).catch(() => [])).filter((file) => file.endsWith('.json'));
    if (files.length === 0) return map;
    const before = percent(map);
    const started = performance.now();
    // The bundles every test built are the same bytes (esbuild is deterministic): one build here
    // stands for all of them, and gives the code and source maps the conversion needs.
    const reference = await mkdtemp(join(tmpdir(), 'coffeebuddy-coverage-dist-'));
    try {
      await buildAll(reference);
      const processes = [];
      for (const file of files) {
        const { result } = JSON.parse(await readFile(join(bundleCoverageDir, file), 'utf8')) as Profiler.TakePreciseCoverageReturnType;
        const scripts = result.flatMap((script) => {
          const path = script.url.startsWith('file://') ? pathInDist(script.url) : undefined;
          return path ? [{ ...script, url: pathToFileURL(join(reference, path)).href }] : [];
        });
        processes.push({ result: scripts });
      }
      const merged = mergeProcessCovs(processes);
      const measured = new Set(map.files());
      for (const script of merged.result) {
        const path = fileURLToPath(script.url);
        const code = await readFile(path, 'utf8').catch(() => undefined);
        if (code === undefined) continue; // not a file this build writes
        const sourceMap = JSON.parse(await readFile(`${path}.map`, 'utf8')) as EncodedSourceMap;
        const offsets = measuredOffsets(code, new TraceMap(sourceMap, path), measured);
        const converted = await convert({
          code,
          sourceMap,
          ast: parseAstAsync(code),
          coverage: { url: script.url, functions: script.functions },
          // Most of a bundle is its dependencies: code with no mapping into a measured file is not walked.
          ignoreNode: (node) => {
            const { start, end } = node as unknown as { start: number; end: number }; // the parser's offsets
            return anyWithin(offsets, start, end) ? undefined : 'ignore-this-and-nested-nodes';
          },
        });
        for (const [source, data] of Object.entries(converted)) {
          if (!measured.has(source)) continue; // node_modules, or code the gate leaves out
          const bundle = 'data' in data ? (data.data as FileCoverageData) : (data as FileCoverageData);
          map.fileCoverageFor(source).merge(atCanonicalPlaces(bundle, map.fileCoverageFor(source).data));
        }
      }
    } finally {
      await rm(reference, { recursive: true, force: true });
      await rm(bundleCoverageDir, { recursive: true, force: true });
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    this.ctx.logger.log(
      `Coverage without the bundles: ${before}\nCoverage with the bundles (${files.length} processes, added in ${seconds} s): ${percent(map)}`,
    );
    return map;
  }
}

export default {
  ...v8Module,
  getProvider: () => new BundleCoverageProvider(),
};
