import { defineConfig } from 'vitest/config';

/**
 * The fast tier alone (`npm run test:unit`): the `*.unit.test.ts` files, which call handlers and
 * message builders with fakes (test/support/fakes.ts) and need no Kafka, Postgres or Slack
 * emulator, so none is started (vitest.config.ts's global setup starts a broker for every run).
 */
export default defineConfig({
  test: {
    include: ['functions/**/*.unit.test.ts', 'shared/**/*.unit.test.ts', 'scripts/**/*.unit.test.ts', 'test/**/*.unit.test.ts'],
    pool: 'forks',
  },
});
