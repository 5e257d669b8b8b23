import { describe, expect, it } from 'vitest';
import { slashCommand } from '../functions/slash-command/descriptor.ts';
import { capturingLogger, FakeSlack, fixedClock, noDatabase } from '../test/support/fakes.ts';
import { createMetrics } from './metrics.ts';
import { createRuntime, type BaseConfig } from './runtime.ts';

describe('createRuntime', () => {
  it('refuses to serve a Slack route whose handler was not built by slackRoute, so none skips the signature check', () => {
    const route = slashCommand.routes[0]!;
    const unchecked = (async () => ({ status: 200 })) as unknown as typeof route.handle;
    const slack = new FakeSlack();
    const start = () =>
      createRuntime({
        functions: [{ ...slashCommand, routes: [{ ...route, handle: unchecked } as typeof route] }],
        config: {} as BaseConfig,
        sql: noDatabase,
        slack,
        effectSlack: slack,
        transport: null,
        log: capturingLogger(),
        metrics: createMetrics(),
        now: fixedClock('2026-11-30T09:00:00Z'),
        sweepMs: 0,
      });
    expect(start).toThrow('Slack routes whose handler was not built by slackRoute: slash-command /slack/commands');
  });
});
