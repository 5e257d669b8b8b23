import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['functions/**/*.test.ts', 'shared/**/*.test.ts', 'scripts/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    // The console, plus files for enterprise CI: JUnit for test results, and the JSON report that
    // test/support/no-silent-skips.ts reads after the run.
    reporters: ['default', 'junit', 'json'],
    outputFile: { junit: 'reports/junit.xml', json: 'reports/vitest.json' },
    coverage: {
      // Vitest's V8 provider, plus the coverage of the bundles the tests start from dist/.
      provider: 'custom',
      customProviderModule: 'test/support/bundle-coverage-provider.ts',
      // The gate is on what ships: the functions, the runtime library (shared/ holds nothing else),
      // and the operators' tools (manifests, migrate, topics, dead letters). npm start's local world
      // (scripts/local/) and the bench and test helpers (test/support/) keep their own tests but
      // are not what is measured.
      include: ['functions/**/*.ts', 'shared/**/*.ts', 'scripts/manifests/**/*.ts', 'scripts/{migrate,create-topics,dead-letters,manifests,bundle,build}.ts'],
      exclude: ['**/*.test.ts', '**/generated/**', '**/fixtures/**'],
      // The summary, then every file below 100% with its figures (files at 100% are left out).
      reporter: ['text-summary', ['text', { skipFull: true, maxCols: 140 }], 'cobertura', 'lcovonly'],
      reportsDirectory: 'reports/coverage',
      thresholds: { lines: 90, branches: 80 },
      // Vitest leaves the report out when a test fails unless told otherwise; the figures still matter then.
      reportOnFailure: true,
    },
  },
});
