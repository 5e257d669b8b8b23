import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { startTestStack, type TestStack } from '../support/harness.ts';
import { createRunDriver } from '../support/run-driver.ts';
import { blockActionBody, interactionBody } from '../support/slack-requests.ts';

describe('/coffee admin: settings, authorization, audit and reset requests', () => {
  let stack: TestStack;
  let drive: ReturnType<typeof createRunDriver>;
  let seq = 0;
  const newChannel = () => `CADM${++seq}`;

  beforeAll(async () => {
    stack = await startTestStack({
      functions: registry,
      users: {
        UOWNER: { name: 'olga', is_admin: true },
        UALICE: { name: 'alice', real_name: 'Alice Ames' },
        UBOB: { name: 'bob', real_name: 'Bob Berg' },
        UCAROL: { name: 'carol' },
        UCHLOE: { name: 'chloé', real_name: 'Chloé Martin', display_name: 'chloé' },
        UALEXK: { name: 'alex.k', real_name: 'Alex Kim', display_name: 'alex' },
        UALEXS: { name: 'alex.s', real_name: 'Alex Smith', display_name: 'alex' },
        UGONE: { name: 'dora', real_name: 'Dora Gone', deleted: true },
      },
    });
    drive = createRunDriver(stack);
  });
  afterAll(async () => {
    await stack.close();
  });

  const admin = (channel: string, text: string, user: string) => drive.command(channel, `admin ${text}`.trim(), user);
  const settings = async (channel: string) =>
    (
      await stack.db.sql<
        {
          enabled: boolean;
          remindersEnabled: boolean;
          reminderOffsetMinutes: number | null;
          fairnessWindowRuns: number | null;
          dataRetentionDays: number;
          adminSlackUserIds: string[];
        }[]
      >`
      select enabled, reminders_enabled, reminder_offset_minutes, fairness_window_runs, data_retention_days, admin_slack_user_ids
      from channels where slack_channel_id = ${channel}`
    )[0];
  const audit = (channel: string) =>
    stack.db.sql<{ actorSlackUserId: string; action: string; changes: Record<string, { from: unknown; to: unknown }> }[]>`
      select actor_slack_user_id, action, changes from channel_admin_actions where slack_channel_id = ${channel} order by created_at, id`;

  it('nobody takes a channel over by being first: its creator and workspace admins configure it and add admins; others are refused (audited, nothing changed)', async () => {
    const channel = newChannel();
    stack.slack.setChannelCreator(channel, 'UALICE');
    // A member of a channel nobody has configured yet is refused, and told who may.
    expect(await admin(channel, 'retention 1', 'UBOB')).toBe(
      "Only <@UALICE> (who created this channel) or a workspace admin can change CoffeeBuddy's settings here. Nothing was changed.",
    );
    expect(await admin(channel, 'log', 'UBOB')).toBe("Only <@UALICE> (who created this channel) or a workspace admin can see CoffeeBuddy's admin log here.");
    expect(await admin(channel, 'reset', 'UBOB')).toBe('Only <@UALICE> (who created this channel) or a workspace admin can reset CoffeeBuddy here.');
    expect((await settings(channel))!.dataRetentionDays).toBe(90);

    expect(await admin(channel, 'window 8', 'UALICE')).toContain('Fairness window:* last 8 runs');
    expect(await settings(channel)).toMatchObject({ fairnessWindowRuns: 8, adminSlackUserIds: [] });
    expect(await admin(channel, 'admins add <@UBOB|bob>', 'UOWNER')).toContain('*Channel admins:* <@UBOB>');
    expect(await admin(channel, 'retention 30', 'UBOB')).toContain('Retention:* 30 days');
    expect(await admin(channel, 'window 3', 'UCAROL')).toBe(
      "Only <@UALICE> (who created this channel), <@UBOB> or a workspace admin can change CoffeeBuddy's settings here. Nothing was changed.",
    );
    expect(await audit(channel)).toEqual([
      { actorSlackUserId: 'UBOB', action: 'refused:retention', changes: {} },
      { actorSlackUserId: 'UBOB', action: 'refused:log', changes: {} },
      { actorSlackUserId: 'UBOB', action: 'refused:reset', changes: {} },
      { actorSlackUserId: 'UALICE', action: 'window', changes: { fairnessWindowRuns: { from: null, to: 8 } } },
      { actorSlackUserId: 'UOWNER', action: 'admins add', changes: { adminSlackUserIds: { from: [], to: ['UBOB'] } } },
      { actorSlackUserId: 'UBOB', action: 'retention', changes: { dataRetentionDays: { from: 90, to: 30 } } },
      { actorSlackUserId: 'UCAROL', action: 'refused:window', changes: {} },
    ]);
    const events = await stack.db.sql`select 1 from outbox where type = 'com.coffeebuddy.admin.settings_changed' and subject = ${channel}`;
    expect(events).toHaveLength(3);
  });

  it('refuses values outside the bounds with the allowed range, and writes nothing', async () => {
    const channel = newChannel();
    expect(await admin(channel, 'offset 90', 'UOWNER')).toBe('The reminder offset (minutes before pickup) must be a whole number from 0 to 60.');
    expect(await admin(channel, 'window 0', 'UOWNER')).toBe('The fairness window (runs) must be a whole number from 1 to 50.');
    expect(await admin(channel, 'retention 400', 'UOWNER')).toBe('The retention (days) must be a whole number from 1 to 365.');
    expect(await admin(channel, 'retention lots', 'UOWNER')).toContain('from 1 to 365');
    expect(await admin(channel, 'frobnicate', 'UOWNER')).toContain("I don't know `/coffee admin frobnicate`");
    expect(await audit(channel)).toEqual([]);
  });

  it('disable stops /coffee in the channel with an honest hint, enable brings it back; show lists every setting', async () => {
    const channel = newChannel();
    await admin(channel, 'disable', 'UOWNER');
    expect(await drive.command(channel, 'in 10m Lobby', 'UCAROL')).toBe(
      'CoffeeBuddy is disabled in this channel. A channel admin can turn it back on with `/coffee admin enable`.',
    );
    await admin(channel, 'enable', 'UOWNER');
    expect(await drive.command(channel, 'in 10m Lobby', 'UCAROL')).toBe('');
    await admin(channel, 'reminders off', 'UOWNER');
    const shown = await admin(channel, 'show', 'UCAROL');
    expect(shown).toContain('*CoffeeBuddy here:* enabled');
    expect(shown).toContain('*Runner reminders:* off, 5 min before pickup (default)');
    expect(shown).toContain('*Last call:* on, 5 min before a scheduled close (default)');
  });

  it('opens the settings modal with the current values, and a submission is bounds-checked, re-authorized and audited', async () => {
    const channel = newChannel();
    await admin(channel, 'admins add <@UALICE|alice>', 'UOWNER');
    expect(await admin(channel, '', 'UALICE')).toContain('Opening the CoffeeBuddy settings');
    const view = stack.slack.callsTo('views.open').at(-1)!.args.view as { callback_id: string; private_metadata: string; blocks: { block_id: string }[] };
    expect(view.callback_id).toBe('admin.settings');
    expect(view.blocks.map((b) => b.block_id)).toEqual(['channel', 'switches', 'offset', 'lastcall_minutes', 'window', 'retention', 'admins']);
    // Slack shows a mention only in mrkdwn, never in a plain-text label.
    expect(JSON.stringify(view.blocks[0])).toContain(`"type":"mrkdwn","text":"Settings for <#${channel}>"`);

    const submit = (user: string, values: { window: string; offset: string; switches: string[] }) => {
      const body = interactionBody({
        type: 'view_submission',
        user: { id: user, team_id: 'T0001' },
        team: { id: 'T0001' },
        view: {
          id: 'V1',
          callback_id: 'admin.settings',
          private_metadata: view.private_metadata,
          state: {
            values: {
              switches: { value: { type: 'checkboxes', selected_options: values.switches.map((value) => ({ value })) } },
              offset: { value: { type: 'number_input', value: values.offset } },
              lastcall_minutes: { value: { type: 'number_input', value: '5' } },
              window: { value: { type: 'number_input', value: values.window } },
              retention: { value: { type: 'number_input', value: '90' } },
              admins: { value: { type: 'multi_users_select', selected_users: ['UALICE'] } },
            },
          },
        },
      });
      return stack.postSigned('/slack/interactions', body).then(async (r) => ({ status: r.status, body: await r.text() }));
    };
    const tooBig = await submit('UALICE', { window: '51', offset: '5', switches: ['enabled', 'reminders', 'lastcall'] });
    expect(JSON.parse(tooBig.body)).toEqual({
      response_action: 'errors',
      errors: { window: 'The fairness window (runs) must be a whole number from 1 to 50.' },
    });
    // A form opened by an admin and saved by someone who is not one (or no longer one): named in plain text.
    const refused = await submit('UBOB', { window: '7', offset: '5', switches: ['enabled'] });
    expect(JSON.parse(refused.body).errors).toEqual({ switches: 'Only alice or a workspace admin can change these settings now, so nothing was saved.' });
    const saved = await submit('UALICE', { window: '7', offset: '10', switches: ['enabled', 'lastcall'] });
    expect(saved).toEqual({ status: 200, body: '' });
    expect(drive.lastEphemeral('UALICE').split('\n')[0]).toBe(
      'Settings saved: you turned runner reminders off, set runner reminders to 10 min before pickup (was not set, 5 min by default) and set the fairness window to the last 7 runs (was not set, 5 by default).',
    );
    expect(await settings(channel)).toMatchObject({ fairnessWindowRuns: 7, reminderOffsetMinutes: 10, remindersEnabled: false, enabled: true });
    expect((await audit(channel)).map((a) => a.action)).toEqual(['admins add', 'refused:settings', 'settings']);
  });

  it('reset: blocked by an open run; confirmed by an admin within 5 minutes it is audited and requested once; an expired button does nothing', async () => {
    const channel = newChannel();
    stack.slack.setChannelCreator(channel, 'UALICE');
    const runId = await drive.startRun(channel, 'in 20m Lobby', 'UALICE');
    expect(await admin(channel, 'reset', 'UOWNER')).toContain("There's an open coffee run here");
    await drive.click('UALICE', channel, 'run.cancel', runId);

    const prompt = await stack.postSigned(
      '/slack/commands',
      new URLSearchParams({
        token: 't',
        team_id: 'T0001',
        team_domain: 'x',
        channel_id: channel,
        channel_name: 'c',
        user_id: 'UOWNER',
        user_name: 'o',
        command: '/coffee',
        text: 'admin reset',
        response_url: stack.slack.responseUrl('reset'),
        trigger_id: '1.2.3',
      }).toString(),
    );
    const { blocks } = (await prompt.json()) as { blocks: { elements?: { action_id: string; value: string }[] }[] };
    const button = blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === 'admin.reset_confirm')!;
    const click = (user: string, value: string) =>
      stack.postSigned(
        '/slack/interactions',
        blockActionBody({ trigger: stack.slack, userId: user, channelId: channel, actionId: 'admin.reset_confirm', value }),
      );

    await click('UOWNER', new Date(stack.clock.now.getTime() - 1000).toISOString());
    expect(drive.lastEphemeral('UOWNER')).toContain('This reset button has expired');
    await click('UALICE', button.value);
    expect(drive.lastEphemeral('UALICE')).toContain("Resetting this channel's CoffeeBuddy data");
    const requests = await stack.db.sql`select 1 from outbox where type = 'com.coffeebuddy.channel.reset_requested' and subject = ${channel}`;
    expect(requests).toHaveLength(1);
    expect((await audit(channel)).map((a) => a.action)).toContain('reset');
  });

  it('the admin log says who did what in plain words, newest first, refusals included; only admins read it', async () => {
    const channel = newChannel();
    stack.slack.setChannelCreator(channel, 'UALICE');
    await admin(channel, 'window 6', 'UALICE');
    await admin(channel, 'offset 3', 'UALICE');
    await admin(channel, 'admins add @chloé', 'UALICE');
    await admin(channel, 'disable', 'UBOB');
    await admin(channel, 'retention 30', 'UCHLOE');
    await admin(channel, 'admins remove <@UCHLOE>', 'UOWNER');
    await admin(channel, 'lastcall off', 'UOWNER');
    const log = (await admin(channel, 'log', 'UALICE')).split('\n');
    // Each line starts with a date Slack shows in the reader's time zone.
    expect(log.slice(1).every((line) => /^• <!date\^\d+\^\{date_short_pretty\} \{time\}\|[^>]+>: /.test(line))).toBe(true);
    expect([log[0], ...log.slice(1).map((line) => line.replace(/^• <!date[^>]+>: /, '• '))]).toEqual([
      '*Admin log* (page 1 of 1, newest first)',
      '• <@UOWNER> turned last call off',
      '• <@UOWNER> removed <@UCHLOE> as admin',
      '• <@UCHLOE> set data retention to 30 days (was 90)',
      '• <@UBOB> tried to disable CoffeeBuddy (not an admin)',
      '• <@UALICE> made <@UCHLOE> an admin',
      '• <@UALICE> set runner reminders to 3 min before pickup (was not set, 5 min by default)',
      '• <@UALICE> set the fairness window to the last 6 runs (was not set, 5 by default)',
    ]);
    expect(await admin(channel, 'log', 'UBOB')).toBe("Only <@UALICE> (who created this channel) or a workspace admin can see CoffeeBuddy's admin log here.");
    expect((await admin(channel, 'log', 'UALICE')).split('\n')[1]).toMatch(/: <@UBOB> tried to read the admin log \(not an admin\)$/);
  });

  it('admins are added and removed by a typed @name (as Slack sends it unescaped), by escaped mention or id; unclear names are asked about', async () => {
    const channel = newChannel();
    stack.slack.setChannelCreator(channel, 'UALICE');
    expect((await admin(channel, 'admins add @chloé', 'UALICE')).split('\n')[0]).toBe('Done: you made <@UCHLOE> an admin.');
    // Case, accents and a full name with a space all find the same person.
    expect((await admin(channel, 'admins remove @Chloe', 'UALICE')).split('\n')[0]).toBe('Done: you removed <@UCHLOE> as admin.');
    expect((await admin(channel, 'admins add @Chloé Martin', 'UALICE')).split('\n')[0]).toBe('Done: you made <@UCHLOE> an admin.');
    expect((await admin(channel, 'admins add <@UBOB|bob>', 'UALICE')).split('\n')[0]).toBe('Done: you made <@UBOB> an admin.');
    expect(await admin(channel, 'admins add @alex', 'UALICE')).toBe(
      '2 people are called `@alex`: <@UALEXK> (Alex Kim, @alex.k) and <@UALEXS> (Alex Smith, @alex.s). ' +
        'Say which with their username, e.g. `/coffee admin admins add @alex.k`, or pick them in the settings form: `/coffee admin`.',
    );
    expect((await admin(channel, 'admins add @alex.s', 'UALICE')).split('\n')[0]).toBe('Done: you made <@UALEXS> an admin.');
    // Deactivated accounts are in Slack's directory but nobody can be made an admin through them.
    expect(await admin(channel, 'admins add @dora', 'UALICE')).toBe(
      "I couldn't find anyone called `@dora` here (I looked at usernames, display names and full names). Check the spelling, or pick them in the settings form: `/coffee admin`.",
    );
    expect(await admin(channel, 'admins add @<!channel>', 'UALICE')).toBe(
      "I couldn't find anyone called `@&lt;!channel&gt;` here (I looked at usernames, display names and full names). Check the spelling, or pick them in the settings form: `/coffee admin`.",
    );
    expect(await admin(channel, 'admins add', 'UALICE')).toBe('Say `/coffee admin admins add @someone` or `/coffee admin admins remove @someone`.');
    stack.slack.failNext('users.list', { status: 503 });
    expect(await admin(channel, 'admins add @carol', 'UALICE')).toBe(
      "I couldn't ask Slack who `@carol` is just now. Try again in a minute, or pick them in the settings form: `/coffee admin`.",
    );
    expect((await settings(channel))!.adminSlackUserIds).toEqual(['UCHLOE', 'UBOB', 'UALEXS']);
    // A name that is not an admin here changes nothing, and says so.
    expect((await admin(channel, 'admins remove @carol', 'UALICE')).split('\n')[0]).toBe('Nothing to change: that is the setting already.');
  });

  it('someone who may not change the settings sees them read-only, with who can change them; an admin gets the form', async () => {
    const channel = newChannel();
    stack.slack.setChannelCreator(channel, 'UALICE');
    await admin(channel, 'admins add @bob', 'UALICE');
    await admin(channel, 'retention 30', 'UALICE');
    expect(await admin(channel, '', 'UCAROL')).toBe('Opening the CoffeeBuddy settings for this channel…');
    const readOnly = stack.slack.callsTo('views.open').at(-1)!.args.view as Record<string, unknown> & { blocks: Record<string, unknown>[] };
    expect(readOnly.submit).toBeUndefined();
    expect(readOnly.close).toEqual({ type: 'plain_text', text: 'Close' });
    expect(readOnly.blocks).toEqual([
      { type: 'section', block_id: 'channel', text: { type: 'mrkdwn', text: `Settings for <#${channel}>` } },
      {
        type: 'section',
        block_id: 'settings',
        text: {
          type: 'mrkdwn',
          text: [
            '*CoffeeBuddy here:* enabled',
            '*Runner reminders:* on, 5 min before pickup (default)',
            '*Last call:* on, 5 min before a scheduled close (default)',
            '*Fairness window:* last 5 runs (default)',
            '*Retention:* 30 days',
            "*Channel admins:* <@UBOB> · the channel's creator and workspace admins always may",
          ].join('\n'),
        },
      },
      {
        type: 'context',
        block_id: 'who',
        elements: [
          {
            type: 'mrkdwn',
            text: 'Only <@UALICE> (who created this channel), <@UBOB> or a workspace admin can change these. Ask one of them if something should be different.',
          },
        ],
      },
    ]);
    // A trigger Slack no longer takes: the settings come as text instead, with how to get the form.
    stack.slack.failNext('views.open', { error: 'expired_trigger_id' });
    expect((await admin(channel, '', 'UCAROL')).split('\n\n')[0]).toBe(
      "The settings form couldn't open in the 3 seconds Slack allows, so here they are as text. Run `/coffee admin` again for the form.",
    );
    await admin(channel, '', 'UBOB');
    const form = stack.slack.callsTo('views.open').at(-1)!.args.view as { submit?: unknown; callback_id?: string };
    expect(form).toMatchObject({ callback_id: 'admin.settings', submit: { type: 'plain_text', text: 'Save' } });
  });
});
