import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { startTestStack, type TestStack } from '../support/harness.ts';
import { createRunDriver } from '../support/run-driver.ts';
import { slashCommandBody } from '../support/slack-requests.ts';

describe('Mark done is announced and the run is rated 1–5', () => {
  let stack: TestStack;
  let drive: ReturnType<typeof createRunDriver>;

  beforeAll(async () => {
    stack = await startTestStack({ functions: registry, busPolicy: { retries: 3, backoffDelayMs: 50, timeoutMs: 5000 } });
    drive = createRunDriver(stack);
  });
  afterAll(async () => {
    await stack.close();
  });

  const thread = (channel: string) => {
    const runMessageTs = stack.slack.messages(channel)[0]!.ts;
    return stack.slack.messages(channel).filter((m) => m.thread_ts === runMessageTs && m.ts !== runMessageTs);
  };
  const rated = async () => {
    const { values } = await stack.metrics.runRating.get();
    return {
      count: values.find((v) => v.metricName === 'coffeebuddy_run_rating_count')?.value ?? 0,
      sum: values.find((v) => v.metricName === 'coffeebuddy_run_rating_sum')?.value ?? 0,
    };
  };

  /** A run U002 carries, with orders from U002 and U003, marked done; returns its id. */
  async function doneRun(channel: string): Promise<string> {
    const runId = await drive.startRun(channel);
    await drive.order('U002', channel, runId, { drink: 'Latte', size: 'Small' });
    await drive.order('U003', channel, runId, { drink: 'Mocha', size: 'Small' });
    await drive.click('U002', channel, 'run.volunteer', runId);
    await drive.click('U001', channel, 'run.close', runId);
    await stack.drain();
    await drive.click('U002', 'DU002', 'runner.done', runId);
    expect(drive.lastEphemeral('U002')).toBe('Marked done. Thanks for the coffee run! :coffee:');
    await stack.drain();
    return runId;
  }

  it('tells the thread who completed the run, once, then asks for a 1–5 rating', async () => {
    const channel = 'CFEEDBACK1';
    const runId = await doneRun(channel);
    // A second click changes nothing and posts nothing more.
    await drive.click('U002', 'DU002', 'runner.done', runId);
    expect(drive.lastEphemeral('U002')).toBe('This run is already marked done. Thanks!');
    await stack.drain();
    expect(thread(channel).map((m) => m.text)).toEqual([
      ':white_check_mark: Completed by <@U002>',
      'How was this run? Rate it from 1 (poor) to 5 (great). Optional, for people who ordered; you can change your rating.',
    ]);
    const prompt = thread(channel)[1]!;
    const buttons = (prompt.blocks as { type: string; elements?: { action_id: string; text: { text: string }; value: string }[] }[]).find(
      (b) => b.type === 'actions',
    )!;
    expect(buttons.elements!.map((e) => [e.action_id, e.text.text, e.value])).toEqual([1, 2, 3, 4, 5].map((n) => [`rating.${n}`, String(n), runId]));
  });

  it('takes one changeable rating per participant; /coffee stats shows the average and count', async () => {
    const channel = 'CFEEDBACK2';
    const runId = await drive.startRun(channel);
    await drive.order('U002', channel, runId, { drink: 'Latte', size: 'Small' });
    // Before the run is done, a rating records nothing.
    await drive.click('U002', channel, 'rating.5', runId);
    expect(drive.lastEphemeral('U002')).toBe('You can rate this run once it is done.');
    await drive.order('U003', channel, runId, { drink: 'Mocha', size: 'Small' });
    await drive.click('U002', channel, 'run.volunteer', runId);
    await drive.click('U001', channel, 'run.close', runId);
    await stack.drain();
    await drive.click('U002', 'DU002', 'runner.done', runId);
    await stack.drain();

    const before = await rated();
    const runMessageTs = stack.slack.messages(channel)[0]!.ts;
    const promptTs = thread(channel).find((m) => m.text?.startsWith('How was this run?'))!.ts;
    await drive.click('U002', channel, 'rating.4', runId, { messageTs: promptTs, threadTs: runMessageTs });
    expect(stack.slack.ephemerals(channel).at(-1)).toMatchObject({ user: 'U002', thread_ts: runMessageTs, text: 'Thanks, you rated this run 4/5.' });
    await drive.click('U002', channel, 'rating.4', runId, { messageTs: promptTs, threadTs: runMessageTs });
    expect(drive.lastEphemeral('U002')).toBe('You already rated this run 4/5.');
    await drive.click('U003', channel, 'rating.2', runId);
    await drive.click('U003', channel, 'rating.5', runId);
    expect(drive.lastEphemeral('U003')).toBe('Thanks, you rated this run 5/5.');
    // U001 started the run but ordered nothing: not a participant.
    await drive.click('U001', channel, 'rating.1', runId);
    expect(drive.lastEphemeral('U001')).toBe('Only people who ordered in this run can rate it.');
    // A 👎 on a prompt posted before ratings counts as the bottom of the scale.
    await drive.click('U003', channel, 'feedback.down', runId);
    expect(drive.lastEphemeral('U003')).toBe('Thanks, you rated this run 1/5.');
    await drive.click('U003', channel, 'rating.5', runId);

    // Every new or changed rating is observed: 4, 2, 5, 1, 5.
    expect(await rated()).toEqual({ count: before.count + 5, sum: before.sum + 17 });
    const stats = await drive.command(channel, 'stats');
    expect(stats.split('\n').at(-1)).toBe('*How the runs went:* rated 4.5/5 by 2 (over 1 run)');
    // Rating posts nothing more in the thread.
    expect(thread(channel)).toHaveLength(2);
  });

  it('forget-me deletes the person’s ratings (here and in the channels before), and the average is without them', async () => {
    const channel = 'CFEEDBACK3';
    const runId = await doneRun(channel);
    await drive.click('U002', channel, 'rating.5', runId);
    await drive.click('U003', channel, 'rating.3', runId);
    expect((await drive.command(channel, 'stats')).split('\n').at(-1)).toBe('*How the runs went:* rated 4.0/5 by 2 (over 1 run)');
    // forget-me asks first; its button confirms.
    const asked = await stack.postSigned('/slack/commands', slashCommandBody({ trigger: stack.slack, text: 'forget-me', channelId: channel, userId: 'U003' }));
    const { blocks } = (await asked.json()) as { blocks: { elements?: { action_id: string; value: string }[] }[] };
    const confirm = blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === 'forget_me.confirm')!;
    await drive.click('U003', channel, confirm.action_id, confirm.value);
    expect(drive.lastEphemeral('U003').split('\n')[0]).toBe(
      'Done: CoffeeBuddy has forgotten you. Deleted: your saved last order (3 channels), 2 run ratings and your name and time zone.',
    );
    expect((await drive.command(channel, 'stats')).split('\n').at(-1)).toBe('*How the runs went:* rated 5.0/5 by 1 (over 1 run)');
  });

  it('retention deletes a run’s ratings with the run, and the stats line goes', async () => {
    const channel = 'CFEEDBACK4';
    const runId = await doneRun(channel);
    await drive.click('U003', channel, 'rating.4', runId);
    expect((await drive.command(channel, 'stats')).split('\n').at(-1)).toBe('*How the runs went:* rated 4.0/5 by 1 (over 1 run)');
    // The channel keeps 90 days (the default); 91 days on, the daily tick deletes the run.
    stack.clock.now = new Date(stack.clock.now.getTime() + 91 * 24 * 3600 * 1000);
    const tick = await fetch(`${stack.url}/ticks/retention`, { method: 'POST', headers: await stack.eventHeaders('admin') });
    expect(tick.status).toBe(200);
    expect(await stack.db.sql`select 1 from run_feedback where run_id = ${runId}`).toHaveLength(0);
    expect(await drive.command(channel, 'stats')).not.toContain('How the runs went');
  });
});
