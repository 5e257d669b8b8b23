import { describe, expect, it } from 'vitest';
import { SlackCallError } from '../slack/port.ts';
import { defaultEffectPolicy, retryDelayMs } from './worker.ts';

describe('retryDelayMs', () => {
  it('doubles from 0.5 s (two failed posts still shown within 3 s) and never waits more than 30 s (± 20 % jitter), so Slack coming back is noticed within a minute', () => {
    const delays = Array.from({ length: 12 }, (_, i) => retryDelayMs(i + 1, new Error('down'), defaultEffectPolicy));
    expect(delays[0]).toBeGreaterThanOrEqual(400);
    expect(delays[0]).toBeLessThanOrEqual(600);
    expect(delays[0]! + delays[1]!).toBeLessThanOrEqual(1800);
    expect(delays[3]).toBeGreaterThanOrEqual(3200);
    expect(delays[3]).toBeLessThanOrEqual(4800);
    for (const delay of delays) expect(delay).toBeLessThanOrEqual(36_000);
    expect(delays.at(-1)).toBeGreaterThanOrEqual(24_000);
  });

  it("waits at least what Slack's Retry-After asked", () => {
    const limited = new SlackCallError('chat.update', 'rate_limited', { retryAfterSeconds: 7 });
    expect(retryDelayMs(1, limited, defaultEffectPolicy)).toBeGreaterThanOrEqual(7000);
  });
});
