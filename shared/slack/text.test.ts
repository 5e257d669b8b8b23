import { describe, expect, it } from 'vitest';
import { escapeMrkdwn, slackTime, truncate } from './text.ts';

describe('escapeMrkdwn', () => {
  it('neutralises mentions, broadcasts and links typed by users', () => {
    expect(escapeMrkdwn('<!channel> & <@U123> <https://x|y>')).toBe('&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;https://x|y&gt;');
  });
  it('leaves ordinary text alone', () => {
    expect(escapeMrkdwn('Lobby café, 2nd floor')).toBe('Lobby café, 2nd floor');
  });
});

describe('slackTime', () => {
  it('renders a Slack date token with an escaped fallback', () => {
    expect(slackTime(new Date('2026-11-23T09:30:00Z'), '10:30 <CET>')).toBe('<!date^1795426200^{time}|10:30 &lt;CET&gt;>');
  });
  it('takes other Slack date tokens, e.g. a day and a time', () => {
    expect(slackTime(new Date('2026-11-23T09:30:00Z'), 'Mon 23 Nov 10:30', '{date_short_pretty} {time}')).toBe(
      '<!date^1795426200^{date_short_pretty} {time}|Mon 23 Nov 10:30>',
    );
  });
});

describe('truncate', () => {
  it('keeps text within the limit and marks the cut', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
  });
});
