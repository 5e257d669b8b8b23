import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { startTestStack, type TestStack } from '../support/harness.ts';
import { createRunDriver } from '../support/run-driver.ts';
import { interactionBody } from '../support/slack-requests.ts';

describe("FAIRNESS_WINDOW_RUNS: a channel's fairness window until its admins set one", () => {
  let stack: TestStack;
  let drive: ReturnType<typeof createRunDriver>;
  let seq = 0;
  const newChannel = () => `CWIN${++seq}`;

  beforeAll(async () => {
    // 2, not the built-in 5: a pick, a rule line or stats by 5 would show here.
    stack = await startTestStack({ functions: registry, users: { UADMIN: { is_admin: true } }, env: { FAIRNESS_WINDOW_RUNS: '2' } });
    drive = createRunDriver(stack);
  });
  afterAll(async () => {
    await stack.close();
  });

  /**
   * Served runs, oldest first: UANN twice, then UBEN, then UCAT. In the last 2 UANN ran none and
   * UBEN one; in the last 5 UANN ran two and UBEN one. UCAT ran last time, so is skipped either way.
   */
  async function seedHistory(channel: string): Promise<void> {
    const [channelRow] = await stack.db.sql<{ id: string }[]>`
      insert into channels (slack_channel_id, slack_team_id) values (${channel}, 'T0001') returning id`;
    for (const [daysAgo, runner] of [
      [40, 'UANN'],
      [30, 'UANN'],
      [20, 'UBEN'],
      [10, 'UCAT'],
    ] as const) {
      await stack.db.sql`insert into users (slack_user_id, slack_team_id) values (${runner}, 'T0001') on conflict do nothing`;
      await stack.db.sql`
        insert into runs (channel_id, initiator_id, runner_id, status, time_zone, started_at, closed_at, completed_at)
        select ${channelRow!.id}, u.id, u.id, 'completed', 'UTC', now() - make_interval(days => ${daysAgo}), now() - make_interval(days => ${daysAgo}), now() - make_interval(days => ${daysAgo})
        from users u where u.slack_user_id = ${runner}`;
    }
  }

  /** A run UANN, UBEN and UCAT order in, closed: who was picked and why, and the run message's rule line. */
  async function pick(channel: string): Promise<{ runner: string; reason: string; ruleLine: string }> {
    const runId = await drive.startRun(channel, 'in 30m Lobby', 'UCAT');
    for (const user of ['UANN', 'UBEN', 'UCAT']) await drive.order(user, channel, runId, { drink: 'Latte', size: 'Small' });
    // The run message as the last order left it (re-rendered by the interaction function).
    await stack.drain();
    const [open] = await stack.db.sql<{ messageTs: string }[]>`select message_ts from runs where id = ${runId}`;
    const blocks = stack.slack.messages(channel).find((m) => m.ts === open!.messageTs)!.blocks as { block_id?: string; elements?: { text: string }[] }[];
    const ruleLine = blocks.find((b) => b.block_id === 'run.fairness')!.elements![0]!.text;
    await drive.click('UCAT', channel, 'run.close', runId);
    await stack.drain();
    const [row] = await stack.db.sql<{ runner: string; reason: string }[]>`
      select u.slack_user_id as runner, r.runner_reason as reason from runs r join users u on u.id = r.runner_id where r.id = ${runId}`;
    // Done, so the next run can start and counts as served.
    await stack.db.sql`update runs set status = 'completed', completed_at = now() where id = ${runId}`;
    return { ...row!, ruleLine };
  }

  it('a channel with no window of its own follows the deployment: the pick, the run message, stats, help and the admin screens say the same', async () => {
    const channel = newChannel();
    await seedHistory(channel);
    expect((await stack.db.sql`select fairness_window_runs from channels where slack_channel_id = ${channel}`)[0]).toEqual({ fairnessWindowRuns: null });

    const first = await pick(channel);
    expect(first.runner).toBe('UANN');
    expect(first.reason).toContain('<@UANN>: 0 of the last 2 runs, the fewest (next: <@UBEN> with 1). <@UCAT> ran last time, so was skipped.');
    expect(first.ruleLine).toContain("whoever served fewest of this channel's last 2 runs,");

    const stats = await drive.command(channel, 'stats', 'UBEN');
    expect(stats.split('\n').slice(0, 4)).toEqual([
      '*Who ran how often here* (the fairness window is the last 2 runs)',
      '• <@UANN>: ran 1 of the last 2 · 3 all time · carried 2 cups for others · received no cups',
      '• <@UCAT>: ran 1 of the last 2 · 1 all time · carried no cups for others · received 1 cup',
      '• <@UBEN>: ran 0 of the last 2 · 1 all time · carried no cups for others · received 1 cup',
    ]);
    expect(await drive.command(channel, 'help', 'UBEN')).toContain("fewest of this channel's last 2 runs,");
    expect(await drive.command(channel, 'admin show', 'UBEN')).toContain('*Fairness window:* last 2 runs (default)\n');

    // The settings form shows the default; saved as shown, the channel keeps following the deployment.
    expect(await drive.command(channel, 'admin', 'UADMIN')).toBe('Opening the CoffeeBuddy settings for this channel…');
    const form = stack.slack.callsTo('views.open').at(-1)!.args.view as {
      private_metadata: string;
      blocks: { block_id: string; element?: { initial_value?: string } }[];
    };
    expect(form.blocks.find((b) => b.block_id === 'window')!.element!.initial_value).toBe('2');
    const number = (value: string) => ({ value: { type: 'number_input', value } });
    const saved = await stack.postSigned(
      '/slack/interactions',
      interactionBody({
        type: 'view_submission',
        user: { id: 'UADMIN', team_id: 'T0001' },
        team: { id: 'T0001' },
        view: {
          id: 'V1',
          callback_id: 'admin.settings',
          private_metadata: form.private_metadata,
          state: {
            values: {
              switches: { value: { type: 'checkboxes', selected_options: ['enabled', 'reminders', 'lastcall'].map((value) => ({ value })) } },
              offset: number('5'),
              lastcall_minutes: number('5'),
              window: number('2'),
              retention: number('90'),
              admins: { value: { type: 'multi_users_select', selected_users: [] } },
            },
          },
        },
      }),
    );
    expect(saved.status).toBe(200);
    expect(drive.lastEphemeral('UADMIN')).toBe('Nothing changed: the settings were already as you saved them.');
    expect((await stack.db.sql`select fairness_window_runs from channels where slack_channel_id = ${channel}`)[0]).toEqual({ fairnessWindowRuns: null });
  });

  it("an admin's own window wins over the deployment's, and the log says what it replaced", async () => {
    const channel = newChannel();
    await seedHistory(channel);
    expect(await drive.command(channel, 'admin window 5', 'UADMIN')).toContain(
      'Done: you set the fairness window to the last 5 runs (was not set, 2 by default).\n',
    );
    expect(await drive.command(channel, 'admin show', 'UADMIN')).toContain('*Fairness window:* last 5 runs\n');

    const picked = await pick(channel);
    expect(picked.runner).toBe('UBEN');
    // Only 4 runs were served, so the window of 5 counts all 4.
    expect(picked.reason).toContain('<@UBEN>: 1 of the last 4 runs, the fewest (next: <@UANN> with 2). <@UCAT> ran last time, so was skipped.');
    expect(picked.ruleLine).toContain("whoever served fewest of this channel's last 5 runs,");
    expect((await drive.command(channel, 'stats', 'UBEN')).split('\n')[0]).toBe('*Who ran how often here* (the fairness window is the last 5 runs)');
    expect((await drive.command(channel, 'admin log', 'UADMIN')).split('\n')[1]).toMatch(
      /: <@UADMIN> set the fairness window to the last 5 runs \(was not set, 2 by default\)$/,
    );
  });
});
