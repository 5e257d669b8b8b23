import { describe, expect, it } from 'vitest';
import { alreadyOpenReply, helpReply, postFailedReply, usageReply } from './messages.ts';
import { maxCommandTextChars, parseSlashCommand } from './schema.ts';

const form = (overrides: Record<string, string> = {}) => ({
  team_id: 'T1',
  channel_id: 'C1',
  user_id: 'U1',
  command: '/coffee',
  text: '10:30 Lobby',
  response_url: 'https://hooks.slack.test/commands/1',
  ...overrides,
});

describe('parseSlashCommand', () => {
  it('takes Slack’s form, with an empty text when none was typed', () => {
    const { text: _text, ...withoutText } = form();
    expect(parseSlashCommand(withoutText)).toMatchObject({ ok: true, command: { command: '/coffee', text: '' } });
  });

  it('names the fields that make a form no Slack payload', () => {
    expect(parseSlashCommand(form({ user_id: 'not an id', response_url: 'nope' }))).toEqual({ ok: false, fields: ['user_id', 'response_url'] });
  });

  it('answers text over 4,000 characters with its length and the usage', () => {
    const parsed = parseSlashCommand(form({ text: 'x'.repeat(maxCommandTextChars + 1) }));
    expect(parsed).toMatchObject({ ok: false, reason: 'text_too_long' });
    expect(parsed.ok === false && parsed.reply?.text).toMatch(
      /^That's too long for `\/coffee` \(4001 characters; the most it takes is 4000\), so nothing was done\.\nUsage: /,
    );
  });

  it.each([
    ['a NUL', 'Lobby\u0000'],
    ['a broken emoji', 'Lobby \ud83d'],
  ])('refuses text with %s', (_what, text) => {
    expect(parseSlashCommand(form({ text }))).toMatchObject({
      ok: false,
      reason: 'text_not_storable',
      reply: { text: expect.stringMatching(/^That text has characters I can't store/) },
    });
  });
});

describe('replies', () => {
  it('help explains the fairness rule with the channel’s window', () => {
    const { text } = helpReply(7);
    expect(text).toMatch(/^\*CoffeeBuddy\* runs the office coffee run\./);
    expect(text).toContain(
      "*How the runner is chosen:* Whoever presses \"I'll go\" first runs; otherwise it's whoever served fewest of this channel's last 7 runs",
    );
  });

  it('usage says what was wrong first, then every form', () => {
    const { text } = usageReply("I can't read `25:00` as a time.");
    expect(text.split('\n')[0]).toBe("I can't read `25:00` as a time.");
    expect(text).toContain('`/coffee forget-me`, `/coffee admin [show]`, `/coffee help`. See `/coffee help`.');
  });

  it('names who started the open run and its pickup, rendered in each reader’s zone', () => {
    expect(alreadyOpenReply('U9', new Date('2026-11-30T09:30:00Z'), 'Europe/Berlin').text).toBe(
      "There's already an open coffee run here (started by <@U9>, pickup <!date^1796031000^{time} {date_short_pretty}|10:30 Europe/Berlin>). Order from its message, or close it before starting a new one.",
    );
    expect(alreadyOpenReply('U9', null, 'UTC').text).toContain('(started by <@U9>).');
  });

  it.each(['not_in_channel', 'channel_not_found', 'is_archived'])('asks to be invited when Slack says %s', (error) => {
    expect(postFailedReply(error).text).toBe("I can't post in this channel. Invite me with `/invite @CoffeeBuddy`, then try `/coffee` again.");
  });

  it('says no run was started when Slack refused the run message for another reason', () => {
    expect(postFailedReply('msg_too_long').text).toBe("Slack didn't accept the run message just now, so no run was started. Please try again in a moment.");
  });
});
