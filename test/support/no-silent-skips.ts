/**
 * `npm test`'s last step: fail when a test was skipped (or left as todo) without saying why in its
 * name, e.g. "… (skipped when no GPU: …)". A skipped test prints as a dash among hundreds of ticks
 * and CI stays green, so a suite that quietly stopped running would pass unnoticed. Reads the
 * report Vitest's json reporter wrote (vitest.config.ts).
 */
import { readFileSync } from 'node:fs';

interface JsonReport {
  numTotalTests: number;
  testResults: { name: string; assertionResults: { fullName: string; status: string }[] }[];
}

const reportPath = process.argv[2] ?? 'reports/vitest.json';
const report = JSON.parse(readFileSync(reportPath, 'utf8')) as JsonReport;
/** A name that says why the test may not run. */
const saysWhy = /\bskipped (because|when|where|unless)\b/i;
const silent = report.testResults.flatMap((file) =>
  file.assertionResults
    .filter((test) => test.status !== 'passed' && test.status !== 'failed' && !saysWhy.test(test.fullName))
    .map((test) => `${file.name}: ${test.fullName} (${test.status})`),
);
if (silent.length > 0) {
  process.stderr.write(
    `${silent.length} test(s) did not run and their names do not say why ("skipped because/when …"):\n${silent.map((line) => `  - ${line}`).join('\n')}\n`,
  );
  process.exit(1);
}
if (report.numTotalTests === 0) {
  process.stderr.write(`${reportPath}: no test ran\n`);
  process.exit(1);
}
process.stdout.write(`No silent skips among ${report.numTotalTests} tests.\n`);
