import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { startTestStack, type TestStack } from '../support/harness.ts';
import { createRunDriver } from '../support/run-driver.ts';
import { slashCommandBody } from '../support/slack-requests.ts';

type Button = { action_id: string; value: string; style?: string; text: { text: string } };

describe('volunteering that tells the truth, and confirmations before canceling', () => {
  let stack: TestStack;
  let drive: ReturnType<typeof createRunDriver>;
  let channelSeq = 0;
  const newChannel = () => `CVOL${++channelSeq}`;

  beforeAll(async () => {
    stack = await startTestStack({
      functions: registry,
      users: { U001: { display_name: 'Alice' }, U002: { display_name: 'Bob' } },
      busPolicy: { retries: 3, backoffDelayMs: 50, timeoutMs: 5000 },
    });
    drive = createRunDriver(stack);
  });
  afterAll(async () => {
    await stack.close();
  });

  const buttonsOf = (blocks: unknown): Button[] =>
    ((blocks ?? []) as { elements?: Button[] }[]).flatMap((b) => b.elements ?? []).filter((e) => 'action_id' in e);
  /** The buttons of the last ephemeral a user got. */
  const lastButtons = (userId: string) =>
    buttonsOf(
      stack.slack
        .callsTo('chat.postEphemeral')
        .filter((c) => c.args.user === userId)
        .at(-1)?.args.blocks,
    );
  const runMessage = async (runId: string) => {
    const [row] = await stack.db.sql<{ messageTs: string | null; channel: string }[]>`
      select r.message_ts, c.slack_channel_id as channel from runs r join channels c on c.id = r.channel_id where r.id = ${runId}`;
    const message = stack.slack.messages(row!.channel).find((m) => m.ts === row!.messageTs);
    return JSON.stringify(message?.blocks ?? '');
  };
  const volunteers = async (runId: string) =>
    (
      await stack.db.sql<{ slackUserId: string }[]>`
      select u.slack_user_id from run_volunteers v join users u on u.id = v.user_id where v.run_id = ${runId} order by v.created_at`
    ).map((r) => r.slackUserId);
  const status = async (runId: string) => (await stack.db.sql<{ status: string }[]>`select status from runs where id = ${runId}`)[0]!.status;
  const summaries = (channel: string) =>
    stack.slack
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === channel && !c.args.thread_ts && String(c.args.text).startsWith(':coffee: Coffee run closed'));
  const threadNotices = (channel: string) =>
    stack.slack
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === channel && c.args.thread_ts)
      .map((c) => String(c.args.text));
  const dms = (user: string, channel: string) =>
    stack.slack
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === `D${user}` && String(c.args.text).includes(`<#${channel}>`))
      .map((c) => String(c.args.text));

  /** A run where U002 ordered and volunteered, closed by U001, its runner DM sent. */
  async function closedRun(channel: string): Promise<string> {
    const runId = await drive.startRun(channel);
    await drive.order('U002', channel, runId, { drink: 'Latte', size: 'Small' });
    await drive.order('U003', channel, runId, { drink: 'Mocha', size: 'Large' });
    await drive.click('U002', channel, 'run.volunteer', runId);
    await drive.click('U001', channel, 'run.close', runId);
    await expect.poll(() => dms('U002', channel).length, { timeout: 20_000 }).toBe(1);
    expect(await status(runId)).toBe('closed');
    return runId;
  }

  it('the first volunteer is shown on the run message; a second is told who and may be next in line; the first still runs', async () => {
    const channel = newChannel();
    const runId = await drive.startRun(channel);
    await drive.order('U002', channel, runId, { drink: 'Latte', size: 'Small' });
    await drive.order('U003', channel, runId, { drink: 'Mocha', size: 'Large' });

    await drive.click('U002', channel, 'run.volunteer', runId);
    expect(drive.lastEphemeral('U002')).toBe("Thanks! You're going when the run closes.");
    expect(lastButtons('U002').map((b) => b.action_id)).toEqual(['run.volunteer_withdraw']);
    await expect.poll(() => runMessage(runId), { timeout: 10_000 }).toContain('🙋 <@U002> volunteered to go');

    await drive.click('U003', channel, 'run.volunteer', runId);
    expect(drive.lastEphemeral('U003')).toBe("<@U002> already volunteered. Be next in line? You'd go if they can't.");
    expect(lastButtons('U003').map((b) => [b.action_id, b.text.text])).toEqual([['run.volunteer_too', 'Be next in line']]);
    expect(await volunteers(runId)).toEqual(['U002']);

    await drive.click('U003', channel, 'run.volunteer_too', runId);
    expect(drive.lastEphemeral('U003')).toBe("Thanks! You're next in line: you go if <@U002> can't.");
    expect(await volunteers(runId)).toEqual(['U002', 'U003']);
    await expect.poll(() => runMessage(runId), { timeout: 10_000 }).toContain('🙋 <@U002> volunteered to go · next in line: <@U003>');
    await drive.click('U003', channel, 'run.volunteer', runId);
    expect(drive.lastEphemeral('U003')).toBe("You're already next in line: you go if <@U002> can't.");

    await drive.click('U001', channel, 'run.close', runId);
    await expect.poll(() => summaries(channel).length, { timeout: 20_000 }).toBe(1);
    expect(String(summaries(channel)[0]!.args.text)).toContain('<@U002> is going');
  });

  it('someone without an order volunteers after "Volunteer anyway" and goes, even when the only one who ordered is away', async () => {
    const channel = newChannel();
    const runId = await drive.startRun(channel);
    await drive.order('U002', channel, runId, { drink: 'Latte', size: 'Small' });
    await drive.command(channel, 'away', 'U002');
    await drive.click('U004', channel, 'run.volunteer', runId);
    expect(drive.lastEphemeral('U004')).toBe("You haven't ordered in this run. Volunteer anyway? You'd carry everyone's orders when the run closes.");
    expect(lastButtons('U004').map((b) => [b.action_id, b.text.text])).toEqual([['run.volunteer_anyway', 'Volunteer anyway']]);
    expect(await volunteers(runId)).toEqual([]);

    await drive.click('U004', channel, 'run.volunteer_anyway', runId);
    expect(drive.lastEphemeral('U004')).toBe("Thanks! You're going when the run closes. Want a coffee too? *Place order*.");
    expect(await volunteers(runId)).toEqual(['U004']);
    await expect.poll(() => runMessage(runId), { timeout: 10_000 }).toContain('🙋 <@U004> volunteered to go');

    await drive.click('U001', channel, 'run.close', runId);
    await expect.poll(() => summaries(channel).length, { timeout: 20_000 }).toBe(1);
    expect(String(summaries(channel)[0]!.args.text)).toBe(':coffee: Coffee run closed: <@U004> is going (1 order)');
    await expect.poll(() => dms('U004', channel).length, { timeout: 20_000 }).toBe(1);
  });

  it("the next in line goes when the first volunteer can't", async () => {
    const channel = newChannel();
    const runId = await drive.startRun(channel);
    await drive.order('U002', channel, runId, { drink: 'Latte', size: 'Small' });
    await drive.order('U003', channel, runId, { drink: 'Mocha', size: 'Large' });
    await drive.click('U003', channel, 'run.volunteer', runId);
    await drive.click('U004', channel, 'run.volunteer', runId);
    await drive.click('U004', channel, 'run.volunteer_too', runId);
    await drive.click('U001', channel, 'run.close', runId);
    await expect.poll(() => dms('U003', channel).length, { timeout: 20_000 }).toBe(1);

    await drive.click('U003', 'DU003', 'runner.decline', runId);
    await expect.poll(() => dms('U004', channel).length, { timeout: 20_000 }).toBe(1);
    // The one summary is edited to name the new runner.
    const summaryNow = () => stack.slack.messages(channel).find((m) => String(m.text).startsWith(':coffee: Coffee run closed'))?.text;
    await expect.poll(summaryNow, { timeout: 20_000 }).toBe(":coffee: Coffee run closed: <@U003> can't go, so <@U004> is going (2 orders)");
  });

  it("when the only one who ordered can't go, the channel is asked, and they can still change their mind", async () => {
    const channel = newChannel();
    const runId = await drive.startRun(channel);
    await drive.order('U002', channel, runId, { drink: 'Latte', size: 'Small' });
    await drive.click('U001', channel, 'run.close', runId);
    await expect.poll(() => dms('U002', channel).length, { timeout: 20_000 }).toBe(1);

    await drive.click('U002', 'DU002', 'runner.decline', runId);
    expect(drive.lastEphemeral('U002')).toBe(
      "Got it, you're off this run. The next person who can go is picked; if nobody can, the channel is asked who can take it.",
    );
    const summaryNow = () => stack.slack.messages(channel).find((m) => String(m.text).startsWith(':coffee: Coffee run closed'));
    await expect
      .poll(() => summaryNow()?.text, { timeout: 20_000 })
      .toBe(":coffee: Coffee run closed: nobody can go yet. Everyone who ordered said they can't go.");
    await expect
      .poll(() => stack.slack.messages('DU002').find((m) => String(m.text).includes(`<#${channel}>`))?.text, { timeout: 20_000 })
      .toBe(`No need to go for <#${channel}> any more: nobody else who ordered can go, so the channel is asked who can take it.`);

    await drive.click('U002', channel, 'runner.take', runId);
    expect(drive.lastEphemeral('U002')).toBe("Thanks! You're the runner: the order list is on its way to your DM.");
    await expect.poll(() => summaryNow()?.text, { timeout: 20_000 }).toBe(':coffee: Coffee run closed: <@U002> is going (1 order)');
    // Their DM from before, which said there was no need to go, shows the order list again.
    await expect
      .poll(() => stack.slack.messages('DU002').find((m) => String(m.text).includes(`<#${channel}>`))?.text, { timeout: 20_000 })
      .toBe(`You're the coffee runner for <#${channel}>: 1 order.`);
    await drive.click('U002', channel, 'runner.take', runId);
    expect(drive.lastEphemeral('U002')).toBe("You're already the runner: the order list is in your DM.");
  });

  it('a volunteer can withdraw until close; the run message follows', async () => {
    const channel = newChannel();
    const runId = await drive.startRun(channel);
    await drive.order('U002', channel, runId, { drink: 'Latte', size: 'Small' });
    await drive.click('U002', channel, 'run.volunteer', runId);
    await expect.poll(() => runMessage(runId), { timeout: 10_000 }).toContain('🙋 <@U002> volunteered to go');

    await drive.click('U002', channel, 'run.volunteer_withdraw', runId);
    expect(drive.lastEphemeral('U002')).toMatch(/no longer volunteering/);
    expect(await volunteers(runId)).toEqual([]);
    await expect.poll(() => runMessage(runId), { timeout: 10_000 }).not.toContain('volunteered to go');
    await drive.click('U002', channel, 'run.volunteer_withdraw', runId);
    expect(drive.lastEphemeral('U002')).toMatch(/nothing to withdraw/);

    await drive.click('U002', channel, 'run.volunteer', runId);
    await drive.click('U001', channel, 'run.close', runId);
    await expect.poll(() => status(runId), { timeout: 20_000 }).toBe('closed');
    await drive.click('U002', channel, 'run.volunteer_withdraw', runId);
    expect(drive.lastEphemeral('U002')).toMatch(/no longer open/);
    expect(await volunteers(runId)).toEqual(['U002']);
  });

  it("canceling a closed run asks first, naming the runner; once confirmed the runner's DM is replaced by one saying so, and the notice pings nobody who knows", async () => {
    const channel = newChannel();
    const runId = await closedRun(channel);

    await drive.click('U001', channel, 'run.cancel', runId);
    expect(drive.lastEphemeral('U001')).toContain('<@U002> is going');
    expect(drive.lastEphemeral('U001')).toContain('Cancel it?');
    expect(lastButtons('U001').map((b) => [b.action_id, b.text.text, b.style])).toEqual([['run.cancel_confirm', 'Cancel the run', 'danger']]);
    expect(await status(runId)).toBe('closed');

    await drive.click('U003', channel, 'run.cancel_confirm', runId);
    expect(drive.lastEphemeral('U003')).toMatch(/Only <@U001>/);
    expect(await status(runId)).toBe('closed');

    await drive.click('U001', channel, 'run.cancel_confirm', runId);
    expect(drive.lastEphemeral('U001')).toContain('The run is canceled');
    expect(await status(runId)).toBe('canceled');
    await expect
      .poll(() => dms('U002', channel), { timeout: 20_000 })
      .toEqual([expect.stringContaining("You're the coffee runner"), `:ok_hand: The coffee run in <#${channel}> was canceled by @Alice: no need to go.`]);
    // One DM says it: the list with its live buttons is gone, not left beside it.
    await expect
      .poll(
        () =>
          stack.slack
            .messages('DU002')
            .filter((m) => String(m.text).includes(`<#${channel}>`))
            .map((m) => m.text),
        { timeout: 20_000 },
      )
      .toEqual([`:ok_hand: The coffee run in <#${channel}> was canceled by @Alice: no need to go.`]);
    await expect.poll(() => threadNotices(channel), { timeout: 20_000 }).toHaveLength(1);
    const [notice] = threadNotices(channel);
    expect(notice).toBe(
      ":no_entry_sign: This coffee run was canceled by @Alice. @Bob was going to pick it up and is told in a DM. <@U003>: your orders won't be picked up.",
    );
  });

  it('the notice does not ping the canceller, even one who ordered', async () => {
    const channel = newChannel();
    const runId = await drive.startRun(channel);
    await drive.order('U001', channel, runId, { drink: 'Latte', size: 'Small' });
    await drive.order('U003', channel, runId, { drink: 'Mocha', size: 'Small' });
    expect(await drive.command(channel, 'cancel', 'U001')).toMatch(/canceled/);
    await expect.poll(() => threadNotices(channel), { timeout: 20_000 }).toHaveLength(1);
    const [notice] = threadNotices(channel);
    expect(notice).not.toContain('<@U001>');
    expect(notice).toContain('canceled by @Alice');
    expect(notice).toContain("<@U003>: your orders won't be picked up");
  });

  it('/coffee cancel with only a closed run says which run and cancels only on the button', async () => {
    const channel = newChannel();
    const runId = await closedRun(channel);
    const response = await stack.postSigned('/slack/commands', slashCommandBody({ trigger: stack.slack, text: 'cancel', channelId: channel, userId: 'U001' }));
    expect(response.status).toBe(200);
    const reply = (await response.json()) as { text: string; blocks: unknown };
    expect(reply.text).toContain("There's no open coffee run here. Today's last run (*Lobby*, pickup <!date^");
    expect(reply.text).toContain('was started by <@U001> and closed at <!date^');
    expect(reply.text).toContain('; <@U002> is going. Cancel it?');
    const [button] = buttonsOf(reply.blocks);
    expect(button).toMatchObject({ action_id: 'run.cancel_confirm', value: runId, style: 'danger' });
    expect(await status(runId)).toBe('closed');

    await drive.click('U001', channel, button!.action_id, button!.value);
    expect(await status(runId)).toBe('canceled');
    await expect.poll(() => dms('U002', channel).length, { timeout: 20_000 }).toBe(2);
  });
});
