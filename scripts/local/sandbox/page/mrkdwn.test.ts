import { describe, expect, it } from 'vitest';
import { formatSlackDate, mrkdwn, plainText, type MrkdwnContext } from './mrkdwn.ts';

const ctx = (viewerTz = 'Europe/Berlin'): MrkdwnContext => ({
  people: [{ id: 'U01', name: 'Ana Ruiz', realName: 'Ana Ruiz', tz: 'Europe/Berlin', isAdmin: true }],
  conversations: [{ id: 'C01', name: '#coffee', kind: 'channel' }],
  viewerTz,
  now: new Date('2026-11-30T12:00:00Z'),
});
const epoch = (iso: string) => Date.parse(iso) / 1000;

describe('mrkdwn escaping', () => {
  it('renders a <script> typed into text as inert text', () => {
    const html = mrkdwn('order: &lt;script&gt;alert(1)&lt;/script&gt; & "quotes"', ctx());
    expect(html).toBe('order: &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
    expect(html).not.toContain('<script');
  });

  it('keeps raw markup that is not a Slack token out of the page', () => {
    expect(mrkdwn('<img src=x onerror=alert(1)>', ctx())).not.toMatch(/<img/);
    expect(mrkdwn('x <b onclick="a">y</b>', ctx())).not.toMatch(/<b /);
  });

  it('cannot be tricked by placeholder characters in the input', () => {
    const html = mrkdwn('\uE0000\uE001 <@U01>', ctx());
    expect(html).not.toContain('\uE000');
    expect(html).toContain('@Ana Ruiz');
  });

  it('escapes inside code, links and mentions', () => {
    expect(mrkdwn('`&lt;b&gt; &amp;`', ctx())).toBe('<code class="mk-code">&lt;b&gt; &amp;</code>');
    // An unescaped `<b>` is a Slack link token to "b", which is no web link: shown as its text.
    expect(mrkdwn('`<b>`', ctx())).toBe('<code class="mk-code">b</code>');
    expect(mrkdwn('<https://x.test/?a=1&amp;b="2"|a &lt;i&gt;>', ctx())).toBe(
      '<a href="https://x.test/?a=1&amp;b=&quot;2&quot;" target="_blank" rel="noopener noreferrer">a &lt;i&gt;</a>',
    );
    expect(mrkdwn('<@U999|<b>x</b>>', ctx())).not.toContain('<b>');
  });
});

describe('mrkdwn formatting', () => {
  it('bold, italic, strike, code, line breaks', () => {
    expect(mrkdwn('*Pickup:* _soon_ ~never~ `/coffee`\nnext', ctx())).toBe(
      '<strong>Pickup:</strong> <em>soon</em> <s>never</s> <code class="mk-code">/coffee</code><br>next',
    );
  });

  it('does not treat markers inside words or code as formatting', () => {
    expect(mrkdwn('snake_case_name and 2*3*4', ctx())).toBe('snake_case_name and 2*3*4');
    expect(mrkdwn('`*not bold*`', ctx())).toBe('<code class="mk-code">*not bold*</code>');
  });

  it('preformatted blocks and quotes', () => {
    expect(mrkdwn('```a *b*\nc```', ctx())).toBe('<pre class="mk-pre">a *b*\nc</pre>');
    expect(mrkdwn('before\n> quoted\n&gt; too\nafter', ctx())).toBe('before<blockquote class="mk-quote">quoted<br>too</blockquote>after');
  });

  it('emoji shortcodes, unknown ones left as text', () => {
    expect(mrkdwn(':coffee: :no_entry_sign: :not_an_emoji:', ctx())).toBe('☕ 🚫 :not_an_emoji:');
    expect(plainText(':coffee: <b>', true)).toBe('☕ &lt;b&gt;');
    expect(plainText(':coffee:', false)).toBe(':coffee:');
  });
});

describe('mrkdwn links and mentions', () => {
  it('links open in a new tab without an opener', () => {
    expect(mrkdwn('<https://example.com|the docs>', ctx())).toBe('<a href="https://example.com" target="_blank" rel="noopener noreferrer">the docs</a>');
    expect(mrkdwn('<https://example.com>', ctx())).toContain('>https://example.com</a>');
  });

  it('never links javascript: URLs', () => {
    const html = mrkdwn('<javascript:alert(1)|click>', ctx());
    expect(html).toBe('click');
  });

  it('users by name, unknown ids as the id', () => {
    expect(mrkdwn('<@U01> and <@U404>', ctx())).toBe(
      '<span class="mk-mention" data-user-id="U01">@Ana Ruiz</span> and <span class="mk-mention" data-user-id="U404">@U404</span>',
    );
  });

  it('channels with and without a label, and broadcasts', () => {
    expect(mrkdwn('<#C01> <#C02|general> <#C03>', ctx())).toBe(
      '<span class="mk-channel">#coffee</span> <span class="mk-channel">#general</span> <span class="mk-channel">#C03</span>',
    );
    expect(mrkdwn('<!here> <!channel> <!everyone>', ctx())).toBe(
      ['here', 'channel', 'everyone'].map((c) => `<span class="mk-mention mk-broadcast">@${c}</span>`).join(' '),
    );
  });
});

describe('dates in the viewer’s zone', () => {
  const at = epoch('2026-11-30T08:30:00Z');

  it('renders the same instant in two zones', () => {
    expect(mrkdwn(`<!date^${at}^{time}|08:30 UTC>`, ctx('Europe/Berlin'))).toContain('>9:30 AM</time>');
    expect(mrkdwn(`<!date^${at}^{time}|08:30 UTC>`, ctx('America/New_York'))).toContain('>3:30 AM</time>');
  });

  it('every date token', () => {
    const format = (f: string, tz = 'Europe/Berlin') => formatSlackDate(at + 5, f, ctx(tz));
    expect(format('{date_num}')).toBe('2026-11-30');
    expect(format('{date}')).toBe('November 30th, 2026');
    expect(format('{date_short}')).toBe('Nov 30, 2026');
    expect(format('{date_long}')).toBe('Monday, November 30th, 2026');
    // Capitalised only where the format starts with it, as Slack does.
    expect(format('{date_pretty} {date_short_pretty} {date_long_pretty}')).toBe('Today today today');
    expect(format('until {date_short_pretty} at {time}')).toBe('until today at 9:30 AM');
    expect(format('{time_secs}')).toBe('9:30:05 AM');
    expect(format('at {time} on {date_slash} {unknown}')).toBe('at 9:30 AM on 30/11/2026 {unknown}');
  });

  it('Today, Tomorrow and Yesterday depend on the viewer’s calendar day', () => {
    const lateEvening = epoch('2026-11-30T23:30:00Z');
    expect(formatSlackDate(lateEvening, '{date_short_pretty} {time}', ctx('Europe/Berlin'))).toBe('Tomorrow 12:30 AM');
    expect(formatSlackDate(lateEvening, '{date_short_pretty} {time}', ctx('America/New_York'))).toBe('Today 6:30 PM');
    expect(formatSlackDate(epoch('2026-11-29T10:00:00Z'), '{date_pretty}', ctx())).toBe('Yesterday');
    expect(formatSlackDate(epoch('2026-11-27T10:00:00Z'), '{date_pretty}', ctx())).toBe('November 27th, 2026');
    expect(formatSlackDate(epoch('2026-12-02T10:00:00Z'), '{date}', ctx())).toBe('December 2nd, 2026');
    expect(formatSlackDate(epoch('2026-12-23T10:00:00Z'), '{date}', ctx())).toBe('December 23rd, 2026');
    expect(formatSlackDate(epoch('2026-12-11T10:00:00Z'), '{date}', ctx())).toBe('December 11th, 2026');
  });

  it('an optional link wraps the date; a bad zone shows the fallback', () => {
    expect(mrkdwn(`<!date^${at}^{time}^https://example.com|fallback>`, ctx())).toMatch(
      /^<a href="https:\/\/example.com" target="_blank" rel="noopener noreferrer"><time class="mk-date" datetime="2026-11-30T08:30:00.000Z">9:30 AM<\/time><\/a>$/,
    );
    expect(mrkdwn(`<!date^${at}^{time}|08:30 &lt;UTC&gt;>`, ctx('Not/AZone'))).toContain('>08:30 &lt;UTC&gt;</time>');
  });
});
