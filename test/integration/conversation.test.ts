import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { startTestStack, type TestStack } from '../support/harness.ts';
import { blockActionBody, slashCommandBody } from '../support/slack-requests.ts';
import { suggestionActions } from '../../shared/slack/interaction-ids.ts';

type Button = { action_id: string; value: string; text: { text: string } };
type SlackReply = { response_type?: string; text: string; blocks?: { type: string; elements?: Button[] }[] };

// 09:00 in Berlin (UTC+1 in November).
const morning = new Date('2026-11-23T08:00:00Z');

/** Words after `/coffee` are subcommands or hints, never silent notes (issue 13), over signed HTTP. */
describe('/coffee words: subcommands, hints and refusals', () => {
  let stack: TestStack;
  let channelSeq = 0;
  let channel: string;

  beforeAll(async () => {
    stack = await startTestStack({ functions: registry, now: morning, users: { U0001: { name: 'ana', tz: 'Europe/Berlin' } } });
  });
  afterAll(async () => {
    await stack.close();
  });
  beforeEach(() => {
    stack.clock.now = morning;
    stack.slack.reset();
    channel = `CW${String(++channelSeq).padStart(4, '0')}`;
  });

  const slash = async (text: string, command = '/coffee'): Promise<SlackReply> => {
    const body = new URLSearchParams(slashCommandBody({ trigger: stack.slack, text, channelId: channel, userId: 'U0001' }));
    body.set('command', command);
    const response = await stack.postSigned('/slack/commands', body.toString());
    expect(response.status).toBe(200);
    const raw = await response.text();
    return raw ? (JSON.parse(raw) as SlackReply) : { text: '' };
  };
  const buttonsOf = (reply: SlackReply) => reply.blocks?.find((b) => b.type === 'actions')?.elements ?? [];
  const click = async (button: Button, responseId: string) => {
    const response = await stack.postSigned(
      '/slack/interactions',
      blockActionBody({
        trigger: stack.slack,
        userId: 'U0001',
        channelId: channel,
        actionId: button.action_id,
        value: button.value,
        responseUrl: stack.slack.responseUrl(responseId),
      }),
    );
    expect(response.status).toBe(200);
    const answers = stack.slack.callsTo('response_url').filter((c) => c.responseId === responseId);
    return answers.at(-1)?.args as { text: string; response_type?: string; replace_original?: boolean } | undefined;
  };
  const runsInChannel = () => stack.db.sql<{ id: string; status: string; note: string; pickupAt: Date | null }[]>`
    select r.id, r.status, r.note, r.pickup_at
    from runs r join channels c on c.id = r.channel_id
    where c.slack_channel_id = ${channel}`;

  it('answers a typo with a hint and two buttons, and starts no run', async () => {
    const reply = await slash('histroy');
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toContain('Did you mean `/coffee history`?');
    expect(buttonsOf(reply).map((b) => [b.action_id, b.value, b.text.text])).toEqual([
      [suggestionActions.runCommand, 'history', '/coffee history'],
      [suggestionActions.startRun, 'histroy', "Start a run with note 'histroy'"],
    ]);
    expect(await runsInChannel()).toHaveLength(0);
    expect(stack.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === channel)).toHaveLength(0);
  });

  it('runs the suggested subcommand when its button is clicked, answering at response_url', async () => {
    const reply = await slash('cancle');
    const answer = await click(buttonsOf(reply)[0]!, 'suggest-cancel');
    expect(answer).toMatchObject({ response_type: 'ephemeral', replace_original: true });
    expect(answer!.text).toBe(
      "There's no open coffee run here, so there's nothing to cancel. Start one with `/coffee 10:30 Lobby`, or see past runs with `/coffee history`.",
    );
    expect(await runsInChannel()).toHaveLength(0);
  });

  it('clicking the suggestion reaches the real subcommand: history of a channel with a run', async () => {
    await slash('in 15m Lobby');
    const reply = await slash('histroy');
    const answer = await click(buttonsOf(reply)[0]!, 'suggest-history');
    expect(answer!.text).toContain('*Coffee runs in this channel* (page 1)');
    expect(answer!.text).toContain('open, no runner, 0 orders');
  });

  it('starts the run with the note as typed when "Start a run" is clicked', async () => {
    const reply = await slash('reset');
    expect(reply.text).toContain('Did you mean `/coffee admin`?');
    expect(await runsInChannel()).toHaveLength(0);
    const answer = await click(buttonsOf(reply)[1]!, 'suggest-start');
    const [run] = await runsInChannel();
    expect(run).toMatchObject({ status: 'open', note: 'reset', pickupAt: null });
    expect(stack.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === channel)).toHaveLength(1);
    expect(answer!.text).toContain('run is started');
  });

  it.each(['config', 'settings', 'optout', 'opt-out', 'status', 'list', 'join', 'order'])('never turns the reserved word %s into a note', async (word) => {
    const reply = await slash(word);
    expect(reply.text).not.toBe('');
    expect(buttonsOf(reply).some((b) => b.action_id === suggestionActions.startRun)).toBe(true);
    expect(await runsInChannel()).toHaveLength(0);
  });

  it.each(['tomorrow 9am', 'friday 10:30 Lobby', '12/24'])('refuses a run for another day: %s', async (text) => {
    const reply = await slash(text);
    expect(reply.text).toMatch(/^CoffeeBuddy runs are for today: start it .+, or use `in 2h`/);
    expect(buttonsOf(reply)).toHaveLength(0);
    expect(await runsInChannel()).toHaveLength(0);
  });

  it('takes words after a pickup time as the note: `10:30 reset the machine` is a run', async () => {
    expect(await slash('10:30 reset the machine')).toEqual({ text: '' });
    const [run] = await runsInChannel();
    expect(run).toMatchObject({ status: 'open', note: 'reset the machine' });
    expect(run!.pickupAt!.toISOString()).toBe('2026-11-23T09:30:00.000Z');
  });

  it('refuses a command other than /coffee, starting no run', async () => {
    const reply = await slash('10:30 Lobby', '/xyz');
    expect(reply).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringContaining("This app handles /coffee, /coffee-history and /coffee-cancel; `/xyz` isn't one of its commands"),
    });
    expect(await runsInChannel()).toHaveLength(0);
  });

  it('lists every form in /coffee help and in the usage hint', async () => {
    const help = await slash('help');
    const usage = await slash('25:00 Lobby');
    for (const form of ['[pickup time] [note]', 'closes', 'close', 'cancel', 'history [page | me]', 'stats', 'away', 'back', 'forget-me', 'admin', 'help']) {
      expect(help.text).toContain(`/coffee ${form}`.replace('/coffee closes', 'closes'));
      expect(usage.text).toContain(form);
    }
    expect(help.text).toContain('Runs are for today');
  });
});
