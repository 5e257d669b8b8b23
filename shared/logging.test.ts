import { describe, expect, it } from 'vitest';
import { createLogger } from './logging.ts';

describe('JSON logging', () => {
  it('writes one JSON object per line with the child’s correlation fields', () => {
    const lines: string[] = [];
    const log = createLogger({ write: (l) => lines.push(l), now: () => new Date('2026-01-01T00:00:00Z') });
    log.child({ runId: 'r-1' }).info('run started', { channel: 'C1' });
    expect(JSON.parse(lines[0]!)).toEqual({ time: '2026-01-01T00:00:00.000Z', level: 'info', msg: 'run started', runId: 'r-1', channel: 'C1' });
  });

  it('never writes secrets: secret-named keys, Slack tokens in text, URL credentials', () => {
    const lines: string[] = [];
    const log = createLogger({ write: (l) => lines.push(l) });
    log.error('failed', {
      config: { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: 'shh', DATABASE_URL: 'postgres://u:pw@db/x' },
      error: new Error('call with xoxb-123-456-secret failed'),
      headers: { authorization: 'Bearer xoxb-9' },
    });
    const line = lines[0]!;
    for (const secret of ['xoxb-1-2-abc', 'shh', ':pw@', 'xoxb-123-456-secret', 'Bearer xoxb-9']) expect(line).not.toContain(secret);
    expect(JSON.parse(line).config.SLACK_BOT_TOKEN).toBe('[REDACTED]');
  });

  it('drops lines below the configured level', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'warn', write: (l) => lines.push(l) });
    log.info('quiet');
    log.warn('loud');
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['loud']);
  });
});
