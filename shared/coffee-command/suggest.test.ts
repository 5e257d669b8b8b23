import { describe, expect, it } from 'vitest';
import { checkFirstWord, closestSubcommand, editDistance, otherDayReply, suggestionReply } from './suggest.ts';
import { suggestionActions } from '../slack/interaction-ids.ts';

describe('checkFirstWord', () => {
  it.each([
    ['histroy', 'history'],
    ['histroy 2', 'history 2'],
    ['cancle', 'cancel'],
    ['stast', 'stats'],
    ['clsoe', 'close'],
    ['admni show', 'admin show'],
    ['hepl', 'help'],
    ['forget_me', 'forget-me'],
  ])('suggests a subcommand for a typo: %s', (text, command) => {
    expect(checkFirstWord(text)).toEqual({ kind: 'suggest', word: text.split(' ')[0], command });
  });

  it.each([
    ['config', 'admin'],
    ['Settings', 'admin'],
    ['reset', 'admin'],
    ['optout', 'away'],
    ['opt-out', 'away'],
    ['setup', 'admin'],
    ['status', 'stats'],
    ['list', 'history'],
  ])('suggests a subcommand for the reserved word %s', (word, command) => {
    expect(checkFirstWord(`${word} please`)).toMatchObject({ kind: 'suggest', word, command });
  });

  it('answers join and order with a hint, not a command', () => {
    expect(checkFirstWord('join')).toMatchObject({ kind: 'suggest', command: null, hint: expect.stringContaining('Place order') });
    expect(checkFirstWord('order latte')).toMatchObject({ kind: 'suggest', command: null });
  });

  it.each([
    ['tomorrow 9am', 'tomorrow'],
    ['Friday 10:30', 'on Friday'],
    ['12/24 Lobby', 'on that day'],
    ['2026-12-24', 'on that day'],
  ])('refuses a day other than today: %s', (text, when) => {
    expect(checkFirstWord(text)).toMatchObject({ kind: 'day', when });
  });

  it.each([
    '10:30 reset the machine',
    'in 15m config',
    '2pm tomorrow',
    'Lobby cafe',
    'back door',
    'black coffee for all',
    'way too early',
    'hello team',
    'closes in 10m',
    'history',
    'cancel',
    'away for 2w',
    '10.30 Lobby',
    '',
  ])('leaves an ordinary run or subcommand alone: %j', (text) => {
    expect(checkFirstWord(text)).toBeNull();
  });
});

describe('closestSubcommand and editDistance', () => {
  it('counts an adjacent swap as one edit', () => {
    expect(editDistance('histroy', 'history')).toBe(1);
    expect(editDistance('stast', 'stats')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
  it('takes short subcommands only with letters swapped', () => {
    expect(closestSubcommand('bakc')).toBe('back');
    expect(closestSubcommand('hack')).toBeNull();
    expect(closestSubcommand('stay')).toBeNull();
  });
});

describe('replies', () => {
  it('offers the command and the run as typed', () => {
    const reply = suggestionReply({ kind: 'suggest', word: 'histroy', command: 'history' }, 'histroy');
    expect(reply.text).toContain('Did you mean `/coffee history`?');
    const buttons = (reply.blocks![1] as { elements: { action_id: string; value: string; text: { text: string } }[] }).elements;
    expect(buttons.map((b) => [b.action_id, b.value, b.text.text])).toEqual([
      [suggestionActions.runCommand, 'history', '/coffee history'],
      [suggestionActions.startRun, 'histroy', "Start a run with note 'histroy'"],
    ]);
  });
  it('keeps button labels within Block Kit’s 75 characters', () => {
    const text = `config ${'x'.repeat(200)}`;
    const reply = suggestionReply({ kind: 'suggest', word: 'config', command: 'admin' }, text);
    const buttons = (reply.blocks![1] as { elements: { value: string; text: { text: string } }[] }).elements;
    for (const button of buttons) expect(button.text.text.length).toBeLessThanOrEqual(75);
    expect(buttons[1]!.value).toBe(text);
  });
  it('shows typed text back as text: a typed <!channel> or <@U…> neither pings nor renders as a mention', () => {
    const check = checkFirstWord('hsitory <!channel> <@U123>');
    expect(check).toEqual({ kind: 'suggest', word: 'hsitory', command: 'history <!channel> <@U123>' });
    const reply = suggestionReply(check as Extract<typeof check, { kind: 'suggest' }>, 'hsitory <!channel> <@U123>');
    const section = (reply.blocks![0] as { text: { text: string } }).text.text;
    expect(section).toBe('Did you mean `/coffee history &lt;!channel&gt; &lt;@U123&gt;`?');
    expect(reply.text).not.toMatch(/<!channel>|<@U123>/);
  });
  it('never suggests for a word far longer than any command', () => {
    expect(closestSubcommand('h'.repeat(4000))).toBeNull();
    expect(checkFirstWord(`${'x'.repeat(4000)} <!here>`)).toBeNull();
  });
  it('says runs are for today', () => {
    expect(otherDayReply({ kind: 'day', word: 'tomorrow', when: 'tomorrow' }).text).toMatch(
      /^CoffeeBuddy runs are for today: start it tomorrow, or use `in 2h`/,
    );
  });
});
