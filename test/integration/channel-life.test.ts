import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { disabledText } from '../../shared/domain/channel-admin.ts';
import { pickupText } from '../../shared/domain/run-message.ts';
import { startTestStack, type TestStack } from '../support/harness.ts';
import { createRunDriver } from '../support/run-driver.ts';
import { interactionBody, slashCommandBody } from '../support/slack-requests.ts';
import { slackDateTime } from '../../shared/slack/text.ts';

// Monday 1 June 2026, 08:00 UTC (the tests' default zone): every run here starts and closes that day.
const start = new Date('2026-06-01T08:00:00Z');

type Block = { type: string; text?: { text: string }; accessory?: { action_id: string; value: string }; elements?: { action_id: string; value: string }[] };
type Reply = { text: string; blocks?: Block[] };

describe("a disabled channel, /coffee cancel with no open run, and a run's life on record", () => {
  let stack: TestStack;
  let drive: ReturnType<typeof createRunDriver>;

  beforeAll(async () => {
    stack = await startTestStack({ functions: registry, now: start });
    drive = createRunDriver(stack);
  });
  afterAll(async () => {
    await stack.close();
  });
  beforeEach(() => {
    stack.clock.now = start;
  });

  /** Any of the app's slash commands, with the whole ephemeral answer. */
  async function command(channel: string, text: string, userId: string, name = '/coffee'): Promise<Reply> {
    const response = await stack.postSigned('/slack/commands', slashCommandBody({ trigger: stack.slack, text, channelId: channel, userId, command: name }));
    expect(response.status).toBe(200);
    return (await response.json()) as Reply;
  }
  const run = async (runId: string) =>
    (
      await stack.db.sql<{ status: string; pickupAt: Date; closedAt: Date | null; startedAt: Date }[]>`
        select status, pickup_at, closed_at, started_at from runs where id = ${runId}`
    )[0]!;
  const life = (runId: string) =>
    stack.db.sql<
      { what: string; slackUserId: string | null; at: Date }[]
    >`select what, slack_user_id, at from run_life where run_id = ${runId} order by at, id`;
  const time = (at: Date) => slackDateTime(at, '{time}');
  const pickup = async (runId: string) => pickupText((await run(runId)).pickupAt, 'UTC');

  /** A run in `channel` started by U001 with orders from U002 and U003, U002 volunteering, closed by U001: U002 is going. */
  async function closedRun(channel: string): Promise<string> {
    const runId = await drive.startRun(channel, 'in 30m Lobby', 'U001');
    await drive.order('U002', channel, runId, { drink: 'Latte', size: 'Small' });
    await drive.order('U003', channel, runId, { drink: 'Mocha', size: 'Large' });
    await drive.click('U002', channel, 'run.volunteer', runId);
    await drive.click('U001', channel, 'run.close', runId);
    await stack.drain();
    expect((await run(runId)).status).toBe('closed');
    return runId;
  }

  it('keeps who started, closed, was picked, marked done; shows it under Details in /coffee history', async () => {
    const channel = 'CLIFE1';
    const runId = await closedRun(channel);
    await drive.click('U002', 'DU002', 'runner.decline', runId);
    await stack.drain();
    await drive.click('U003', 'DU003', 'runner.done', runId);
    await stack.drain();
    const steps = await life(runId);
    expect(steps.map((step) => [step.what, step.slackUserId])).toEqual([
      ['started', 'U001'],
      ['closed', 'U001'],
      ['picked', 'U002'],
      ['picked', 'U003'],
      ['completed', 'U003'],
    ]);

    const history = await command(channel, 'history', 'U004');
    const line = history.blocks?.[1];
    expect(line?.text?.text).toBe(
      `${slackDateTime((await run(runId)).startedAt, '{date_short} {time}')}: done, runner <@U003>, 2 orders · *Lobby*, pickup ${await pickup(runId)}`,
    );
    expect(line?.accessory).toMatchObject({ action_id: 'history.details', value: runId });

    await drive.click('U004', channel, 'history.details', runId);
    const [started, closed, picked, repicked, done] = steps.map((step) => time(step.at));
    expect(drive.lastEphemeral('U004')).toBe(
      [
        `*The run of ${slackDateTime((await run(runId)).startedAt, '{date_short_pretty}')} in <#${channel}>:* *Lobby*, pickup ${await pickup(runId)} · done`,
        'Ordered: <@U002>, <@U003>',
        `• ${started} started by <@U001>`,
        `• ${closed} closed by <@U001>`,
        `• ${picked} <@U002> picked as runner`,
        `• ${repicked} <@U003> picked as runner`,
        `• ${done} marked done by <@U003>`,
      ].join('\n'),
    );
    // A run of a channel you are not in, and did not take part in, stays private.
    await drive.click('U009', 'COTHER', 'history.details', runId);
    expect(drive.lastEphemeral('U009')).toBe("I can't show that run here: it may have been deleted (after the channel's retention period, or by a reset).");
  });

  it('a run closed by its schedule says so in its details', async () => {
    const channel = 'CLIFESCHED';
    const runId = await drive.startRun(channel, '09:30 Lobby closes 09:15', 'U001');
    await drive.order('U002', channel, runId, { drink: 'Latte', size: 'Small' });
    stack.clock.now = new Date('2026-06-01T09:15:00Z');
    const tick = await fetch(`${stack.url}/ticks/reminders`, { method: 'POST', headers: await stack.eventHeaders('reminder-due') });
    expect(tick.status).toBe(200);
    await stack.drain();
    expect((await run(runId)).status).toBe('closed');
    const steps = await life(runId);
    expect(steps.map((step) => [step.what, step.slackUserId])).toEqual([
      ['started', 'U001'],
      ['closed', null],
      ['picked', 'U002'],
    ]);
    await drive.click('U002', channel, 'history.details', runId);
    expect(drive.lastEphemeral('U002')).toContain(`\n• ${time(steps[1]!.at)} closed on schedule\n`);
  });

  it('/coffee-history and /coffee history me list your last runs in any channel; a canceled run says who canceled it', async () => {
    const channel = 'CLIFE2';
    const runId = await drive.startRun(channel, 'in 30m Kiosk', 'U011');
    await drive.order('U012', channel, runId, { drink: 'Latte', size: 'Small' });
    expect((await command(channel, 'cancel', 'U011')).text).toBe('The run is canceled; everyone who ordered is told in its thread.');
    const [started, canceled] = (await life(runId)).map((step) => time(step.at));
    expect((await life(runId)).map((step) => [step.what, step.slackUserId])).toEqual([
      ['started', 'U011'],
      ['canceled', 'U011'],
    ]);

    const when = slackDateTime((await run(runId)).startedAt, '{date_short} {time}');
    const mine = `*Your last coffee runs* (that you started, ordered in or ran)\n• ${when} in <#${channel}>: canceled, no runner, 1 order · *Kiosk*, pickup ${await pickup(runId)}`;
    // Anywhere: in a DM with the bot, or as `/coffee history me` in another channel.
    expect((await command('DU012', '', 'U012', '/coffee-history')).text).toBe(mine);
    expect((await command('CLIFE2B', 'history me', 'U012')).text).toBe(mine);
    expect((await command(channel, 'history me', 'U013')).text).toBe(
      "You haven't been part of a coffee run yet. Start one in a channel with `/coffee`, or order from a run message there.",
    );

    await drive.click('U012', 'DU012', 'history.details', runId);
    expect(drive.lastEphemeral('U012')).toBe(
      [
        `*The run of ${slackDateTime((await run(runId)).startedAt, '{date_short_pretty}')} in <#${channel}>:* *Kiosk*, pickup ${await pickup(runId)} · canceled`,
        'Ordered: <@U012>',
        `• ${started} started by <@U011>`,
        `• ${canceled} canceled by <@U011>`,
      ].join('\n'),
    );
  });

  it('/coffee cancel says what the run is and who may cancel it by name; with no run left today, that there is none', async () => {
    const nothing =
      "There's no open coffee run here, so there's nothing to cancel. Start one with `/coffee 10:30 Lobby`, or see past runs with `/coffee history`.";
    expect((await command('CLIFE3', 'cancel', 'U001')).text).toBe(nothing);

    const channel = 'CLIFE4';
    const openId = await drive.startRun(channel, 'in 30m Lobby', 'U001');
    expect((await command(channel, 'cancel', 'U003')).text).toBe(
      `The open run here (*Lobby*, pickup ${await pickup(openId)}) was started by <@U001>. Only <@U001> (who started it) or a channel admin can cancel it.`,
    );
    expect((await command(channel, 'cancel', 'U001')).text).toBe('The run is canceled; everyone who ordered is told in its thread.');

    const runId = await closedRun(channel);
    const which = `Today's last run (*Lobby*, pickup ${await pickup(runId)}) was started by <@U001> and closed at ${time((await run(runId)).closedAt!)}; <@U002> is going.`;
    expect((await command(channel, 'cancel', 'U003')).text).toBe(
      `There's no open coffee run here. ${which} Only <@U001> (who started it), <@U002> (its runner) or a channel admin can cancel it.`,
    );
    const prompt = await command(channel, '', 'U002', '/coffee-cancel');
    expect(prompt.text).toBe(`There's no open coffee run here. ${which} Cancel it? The runner is told in a DM that there is no need to go.`);
    expect(prompt.blocks?.[1]?.elements).toMatchObject([{ action_id: 'run.cancel_confirm', value: runId }]);
    expect((await run(runId)).status).toBe('closed');

    // The next day that run is history, not something to cancel.
    stack.clock.now = new Date(start.getTime() + 24 * 60 * 60 * 1000);
    expect((await command(channel, 'cancel', 'U001')).text).toBe(nothing);
  });

  it('disable with a run open asks first; then every form but help, admin and forget-me, and every earlier button, says it is disabled and records nothing', async () => {
    const channel = 'CLIFEOFF';
    stack.slack.setChannelCreator(channel, 'UOWNER');
    const runId = await drive.startRun(channel, 'in 30m Lobby', 'U001');
    await drive.order('U002', channel, runId, { drink: 'Latte', size: 'Small' });
    const form = await drive.openModal('U003', channel, runId);

    const asked = await command(channel, 'admin disable', 'UOWNER');
    expect(asked.text).toBe(
      `A coffee run is open here (*Lobby*, pickup ${await pickup(runId)}), started by <@U001>. Disabling CoffeeBuddy cancels it, and everyone who ordered is told in its thread. Cancel it and disable? (To keep it, do nothing.)`,
    );
    expect(asked.blocks?.[1]?.elements).toMatchObject([{ action_id: 'admin.disable_cancel_run', value: runId }]);
    expect((await run(runId)).status).toBe('open');
    expect((await command(channel, 'admin show', 'U002')).text).toContain('*CoffeeBuddy here:* enabled');

    await drive.click('UOWNER', channel, 'admin.disable_cancel_run', runId);
    expect(drive.lastEphemeral('UOWNER')).toBe(
      'The run is canceled; everyone who ordered is told in its thread. CoffeeBuddy is now disabled in this channel. Turn it back on with `/coffee admin enable`.',
    );
    await stack.drain();
    expect((await run(runId)).status).toBe('canceled');
    expect((await life(runId)).map((step) => [step.what, step.slackUserId])).toEqual([
      ['started', 'U001'],
      ['canceled', 'UOWNER'],
    ]);
    const thread = stack.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === channel && c.args.thread_ts);
    expect(thread.map((c) => String(c.args.text))).toEqual([expect.stringContaining('canceled')]);

    expect(disabledText).toBe('CoffeeBuddy is disabled in this channel. A channel admin can turn it back on with `/coffee admin enable`.');
    for (const text of ['in 10m Lobby', 'history', 'history me', 'stats', 'away', 'back', 'close', 'cancel']) {
      expect((await command(channel, text, 'U002')).text, text).toBe(disabledText);
    }
    expect((await command(channel, '', 'U002', '/coffee-cancel')).text).toBe(disabledText);
    expect((await command(channel, 'help', 'U002')).text).toMatch(/^\*CoffeeBuddy\* runs the office coffee run\./);
    expect((await command(channel, 'admin show', 'U002')).text).toContain('*CoffeeBuddy here:* disabled');
    expect(await stack.db.sql`select 1 from away_periods a join channels c on c.id = a.channel_id where c.slack_channel_id = ${channel}`).toHaveLength(0);

    // Buttons and a form opened before the disable record nothing.
    const orders = async () => (await stack.db.sql<{ count: number }[]>`select count(*)::int from orders where run_id = ${runId}`)[0]!.count;
    await drive.click('U002', channel, 'order.reuse_last', runId);
    expect(drive.lastEphemeral('U002')).toBe(disabledText);
    const answer = await drive.submit('U003', form.private_metadata, { drink: 'Mocha', size: 'Large' });
    expect(JSON.stringify(answer)).toContain(disabledText);
    expect(await orders()).toBe(1);
    const saved = await stack.db.sql`
      select 1 from user_preferences p join users u on u.id = p.user_id join channels c on c.id = p.channel_id
      where u.slack_user_id = 'U003' and c.slack_channel_id = ${channel}`;
    expect(saved).toHaveLength(0);
  });

  it('the settings modal saves nothing when it would disable a channel with a run open, and asks in the channel', async () => {
    const channel = 'CLIFEMODAL';
    stack.slack.setChannelCreator(channel, 'UOWNER');
    const runId = await drive.startRun(channel, 'in 30m Lobby', 'U001');
    expect((await command(channel, 'admin', 'UOWNER')).text).toContain('Opening the CoffeeBuddy settings');
    const view = stack.slack.callsTo('views.open').at(-1)!.args.view as { private_metadata: string };
    const body = interactionBody({
      type: 'view_submission',
      user: { id: 'UOWNER', team_id: 'T0001' },
      team: { id: 'T0001' },
      view: {
        id: 'V1',
        callback_id: 'admin.settings',
        private_metadata: view.private_metadata,
        state: {
          values: {
            // "enabled" unticked: disable; the window changed too.
            switches: { value: { type: 'checkboxes', selected_options: [{ value: 'reminders' }, { value: 'lastcall' }] } },
            offset: { value: { type: 'number_input', value: '5' } },
            lastcall_minutes: { value: { type: 'number_input', value: '5' } },
            window: { value: { type: 'number_input', value: '7' } },
            retention: { value: { type: 'number_input', value: '90' } },
            admins: { value: { type: 'multi_users_select', selected_users: [] } },
          },
        },
      },
    });
    const response = await stack.postSigned('/slack/interactions', body);
    expect(await response.json()).toEqual({
      response_action: 'errors',
      errors: {
        switches: 'A coffee run is open here, so nothing was saved. Keep CoffeeBuddy on, or see the question in the channel about canceling the run.',
      },
    });
    expect(drive.lastEphemeral('UOWNER')).toBe(
      `A coffee run is open here (*Lobby*, pickup ${await pickup(runId)}), started by <@U001>. Disabling CoffeeBuddy cancels it, and everyone who ordered is told in its thread. Cancel it and disable? (To keep it, do nothing.)`,
    );
    const [settings] = await stack.db.sql<{ enabled: boolean; fairnessWindowRuns: number | null }[]>`
      select enabled, fairness_window_runs from channels where slack_channel_id = ${channel}`;
    expect(settings).toEqual({ enabled: true, fairnessWindowRuns: null });
    expect((await run(runId)).status).toBe('open');
  });

  it("a runner's Mark done for a run of a disabled channel says so and changes nothing", async () => {
    const channel = 'CLIFEOFF2';
    stack.slack.setChannelCreator(channel, 'UOWNER');
    const runId = await closedRun(channel);
    expect((await command(channel, 'admin disable', 'UOWNER')).text).toMatch(/^Done: you disabled CoffeeBuddy here\./);
    await drive.click('U002', 'DU002', 'runner.done', runId);
    expect(drive.lastEphemeral('U002')).toBe(disabledText);
    expect((await run(runId)).status).toBe('closed');
  });
});
