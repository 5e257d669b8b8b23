import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['functions/**/*.test.ts', 'shared/**/*.test.ts', 'scripts/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    coverage: {
      provider: 'v8',
      include: ['functions/**/*.ts', 'shared/**/*.ts', 'scripts/**/*.ts'],
      // Test code and test helpers are not what is measured; the sandbox page is browser code,
      // covered by the browser test (test/e2e/sandbox.test.ts), which v8 in Node cannot see.
      exclude: ['**/*.test.ts', 'shared/testing/**', 'shared/sandbox/page/**', '**/generated/**', '**/fixtures/**'],
      // The summary, then every file below 100% with its figures (files at 100% are left out).
      reporter: ['text-summary', ['text', { skipFull: true, maxCols: 140 }]],
      thresholds: { lines: 80 },
      // Vitest leaves the report out when a test fails unless told otherwise; the figures still matter then.
      reportOnFailure: true,
    },
  },
});
