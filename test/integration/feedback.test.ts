import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { startTestStack, type TestStack } from '../../shared/testing/harness.ts';
import { createRunDriver } from '../../shared/testing/run-driver.ts';

describe('"How was this run?" after Mark done', () => {
  let stack: TestStack;
  let drive: ReturnType<typeof createRunDriver>;

  beforeAll(async () => {
    stack = await startTestStack({ functions: registry, busPolicy: { retries: 3, backoffDelayMs: 50, timeoutMs: 5000 } });
    drive = createRunDriver(stack);
  });
  afterAll(async () => {
    await stack.close();
  });

  const prompts = (channel: string) =>
    stack.slack
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === channel && c.args.thread_ts && String(c.args.text).startsWith('How was this run?'));
  const counted = async (answer: string) => (await stack.metrics.feedbackTotal.get()).values.find((v) => v.labels.answer === answer)?.value ?? 0;

  it('posts one prompt in the thread; participants answer once each, may change it, and /coffee stats shows the answers', async () => {
    const channel = 'CFEEDBACK1';
    const runId = await drive.startRun(channel);
    await drive.order('U002', channel, runId, { drink: 'Latte', size: 'Small' });
    await drive.order('U003', channel, runId, { drink: 'Mocha', size: 'Small' });
    // Before the run is done, the buttons (if clicked from an old message) record nothing.
    await drive.click('U002', channel, 'feedback.up', runId);
    expect(drive.lastEphemeral('U002')).toBe('You can rate this run once it is done.');

    await drive.click('U002', channel, 'run.volunteer', runId);
    await drive.click('U001', channel, 'run.close', runId);
    await expect.poll(async () => (await stack.db.sql`select 1 from runs where id = ${runId} and runner_id is not null`).length, { timeout: 20_000 }).toBe(1);
    await drive.click('U002', 'DU002', 'runner.done', runId);
    await expect.poll(() => prompts(channel).length, { timeout: 20_000 }).toBe(1);
    const [prompt] = prompts(channel);
    expect(JSON.stringify(prompt!.args.blocks)).toContain('"action_id":"feedback.down"');

    const upBefore = await counted('up');
    const downBefore = await counted('down');
    // The answer comes in the thread, where the prompt is.
    const runMessageTs = stack.slack.messages(channel)[0]!.ts;
    const promptTs = stack.slack.messages(channel).find((m) => m.thread_ts === runMessageTs && m.text?.startsWith('How was this run?'))!.ts;
    await drive.click('U002', channel, 'feedback.up', runId, { messageTs: promptTs, threadTs: runMessageTs });
    expect(drive.lastEphemeral('U002')).toBe('Thanks, noted :+1:.');
    expect(stack.slack.ephemerals(channel).at(-1)).toMatchObject({ user: 'U002', thread_ts: runMessageTs, text: 'Thanks, noted :+1:.' });
    // A click on the thread's parent (its thread_ts is its own ts) is answered in the channel.
    await drive.click('U002', channel, 'feedback.up', runId, { messageTs: runMessageTs, threadTs: runMessageTs });
    expect(drive.lastEphemeral('U002')).toBe('You already answered :+1:.');
    expect(stack.slack.ephemerals(channel).at(-1)).not.toHaveProperty('thread_ts');
    await drive.click('U003', channel, 'feedback.up', runId);
    await drive.click('U003', channel, 'feedback.down', runId);
    expect(drive.lastEphemeral('U003')).toBe('Thanks, noted :-1:.');
    // U001 started the run but ordered nothing: not a participant.
    await drive.click('U001', channel, 'feedback.down', runId);
    expect(drive.lastEphemeral('U001')).toBe('Only people who ordered in this run can rate it.');

    expect(await counted('up')).toBe(upBefore + 2);
    expect(await counted('down')).toBe(downBefore + 1);
    const answers = await stack.db.sql<{ answer: string }[]>`select answer from run_feedback where run_id = ${runId} order by answer`;
    expect(answers.map((a) => a.answer)).toEqual(['down', 'up']);
    expect(await drive.command(channel, 'stats')).toContain('*How the runs went:* :+1: 1 · :-1: 1 (1 run rated)');
    // Answering posts nothing more in the thread.
    expect(prompts(channel)).toHaveLength(1);
  });
});
