import { describe, expect, it } from 'vitest';
import { fakeDeps } from '../../test/support/fakes.ts';
import { handleSlashCommand } from './handler.ts';
import { slashCommandConfig, type SlashCommand } from './schema.ts';
import { suggestionActions } from '../slack/interaction-ids.ts';

// `/coffee` answers that come before any query: nothing here reaches the database (fakeDeps has
// none) or Slack, so each case shows the answer a user gets and that no run was started.

const config = slashCommandConfig.parse({ SLACK_SIGNING_SECRET: 'unit-secret' });

function command(text: string, overrides: Partial<SlashCommand> = {}): SlashCommand {
  return {
    team_id: 'T1',
    channel_id: 'C1',
    user_id: 'U1',
    command: '/coffee',
    text,
    response_url: 'https://hooks.slack.test/commands/1',
    ...overrides,
  };
}

async function answer(text: string, overrides: Partial<SlashCommand> = {}) {
  const deps = fakeDeps(config);
  const reply = await handleSlashCommand(command(text, overrides), deps);
  expect(deps.slack.calls).toEqual([]);
  return reply;
}

type Button = { action_id: string; value: string };
const buttons = (reply: Awaited<ReturnType<typeof answer>>) => (reply?.blocks?.[1] as { elements: Button[] } | undefined)?.elements ?? [];

describe('/coffee answered before any query', () => {
  it('refuses another app’s command, naming it safely', async () => {
    const reply = await answer('10:30', { command: '/tea`s' });
    expect(reply?.text).toBe("This app handles /coffee, /coffee-history and /coffee-cancel; `/tea's` isn't one of its commands, so nothing was done.");
    expect((await answer('', { command: `/${'x'.repeat(100)}` }))?.text).toContain(`\`/${'x'.repeat(59)}\``);
  });

  it.each([
    ['histroy 2', 'history 2'],
    ['Config', 'admin'],
    ['stast', 'stats'],
  ])('asks "Did you mean" for `/coffee %s` instead of starting a run', async (text, suggested) => {
    const reply = await answer(text);
    expect(reply?.text).toMatch(new RegExp(`^Did you mean \`/coffee ${suggested}\`\\? To start a run with the note as typed, use the button`));
    expect(buttons(reply)).toMatchObject([
      { action_id: suggestionActions.runCommand, value: suggested },
      { action_id: suggestionActions.startRun, value: text },
    ]);
  });

  it('tells how to join instead of taking `join` for a note, with only the start-a-run button', async () => {
    const reply = await answer('  join  ');
    expect(reply?.text).toBe(
      "`join` isn't a CoffeeBuddy command. To join a run, use *Place order* on its message. To start a run with the note as typed, use the button. See `/coffee help` for every form.",
    );
    expect(buttons(reply)).toMatchObject([{ action_id: suggestionActions.startRun, value: 'join' }]);
  });

  it.each([
    ['tomorrow 9am', 'tomorrow'],
    ['FRIDAY', 'on Friday'],
    ['24/12 Lobby', 'on that day'],
  ])('refuses a run for another day: `/coffee %s`', async (text, when) => {
    expect((await answer(text))?.text).toBe(`CoffeeBuddy runs are for today: start it ${when}, or use \`in 2h\` for later today. No run was started.`);
  });

  it.each(['abc', '0', '10000', '-1'])('refuses `/coffee history %s` as no page number', async (page) => {
    expect((await answer(`history ${page}`))?.text).toBe(
      `\`${page}\` is not a page number. Try \`/coffee history\`, \`/coffee history 2\` or \`/coffee history me\`.`,
    );
  });

  it('says away and back work per channel when typed in a DM', async () => {
    expect((await answer('away for 2w', { channel_id: 'D1' }))?.text).toBe(
      'Away works per channel: say `/coffee away` in the channel whose coffee runs you want to sit out.',
    );
    expect((await answer('BACK', { channel_id: 'D1' }))?.text).toBe('Away works per channel: say `/coffee back` in the channel whose coffee runs you sat out.');
  });
});
