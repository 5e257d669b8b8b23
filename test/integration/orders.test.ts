import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { startTestStack, type TestStack } from '../support/harness.ts';
import { createRunDriver } from '../support/run-driver.ts';
import { interactionBody, type ModalInput } from '../support/slack-requests.ts';

const users = Array.from({ length: 30 }, (_, i) => `U${String(i + 1).padStart(3, '0')}`);
const drinks = ['Latte', 'Espresso', 'Cappuccino', 'Americano', 'Mocha'];
const orderFor = (i: number): ModalInput => ({
  drink: drinks[i % 5],
  size: ['Small', 'Medium', 'Large'][i % 3],
  customizations: i % 4 === 0 ? 'oat milk' : '',
});

describe('orders through POST /slack/interactions, against real Postgres and the Slack emulator', () => {
  let stack: TestStack;
  let channelSeq = 0;

  beforeAll(async () => {
    stack = await startTestStack({ functions: registry, now: new Date('2026-11-23T08:00:00Z') });
  });
  afterAll(async () => {
    await stack.close();
  });
  beforeEach(() => stack.slack.reset());

  const newChannel = () => `CORD${++channelSeq}`;
  const drive = () => createRunDriver(stack);
  const startRun = (channel: string) => drive().startRun(channel);
  const click = (userId: string, channel: string, actionId: string, runId: string) => drive().click(userId, channel, actionId, runId);
  const openModal = (userId: string, channel: string, runId: string) => drive().openModal(userId, channel, runId);
  const submit = (userId: string, privateMetadata: string, input: ModalInput) => drive().submit(userId, privateMetadata, input);
  const runMessage = (channel: string) => JSON.stringify(stack.slack.messages(channel)[0]!.blocks);
  // The run message's chat.update is Tier 3 (50 a minute) on Slack and in the emulator; 30 people
  // ordering at once spend that, and the refresh waits out Retry-After (a few seconds) before it shows.
  const refreshed = { timeout: 15_000, interval: 100 };
  const activeOrders = (runId: string) =>
    stack.db.sql<{ slackUserId: string; drink: string | null; size: string | null; customizations: string | null; freeText: string | null }[]>`
      select u.slack_user_id, o.drink, o.size, o.customizations, o.free_text
      from orders o join users u on u.id = o.user_id
      where o.run_id = ${runId} and o.status = 'active' order by u.slack_user_id`;

  it('30 people order (ten at once), one edits, one withdraws, a double submit stays one order — and the next run reuses each last order in one click', async () => {
    const channel = newChannel();
    const runId = await startRun(channel);
    const modals = new Map<string, string>();
    for (const user of users) modals.set(user, (await openModal(user, channel, runId)).private_metadata);

    for (const [i, user] of users.slice(0, 20).entries()) expect(await submit(user, modals.get(user)!, orderFor(i))).toBeNull();
    await Promise.all(users.slice(20).map((user, i) => submit(user, modals.get(user)!, orderFor(20 + i))));
    expect(await activeOrders(runId)).toHaveLength(30);
    // Refreshes of the run message coalesce while one is running; the last one shows everyone.
    await expect.poll(() => runMessage(channel), refreshed).toContain('30 people have ordered');
    for (const user of users) expect(runMessage(channel)).toContain(`<@${user}>`);
    expect(stack.slack.callsTo('chat.postEphemeral').filter((c) => String(c.args.text).startsWith('Your order is in'))).toHaveLength(30);

    // U001 edits: still 30, the message shows the new order.
    expect(await submit('U001', modals.get('U001')!, { drink: 'Mocha', size: 'Large', customizations: 'extra hot' })).toBeNull();
    expect(await activeOrders(runId)).toHaveLength(30);
    await expect.poll(() => runMessage(channel), refreshed).toContain('<@U001> Mocha · Large · extra hot');
    expect(String(stack.slack.callsTo('chat.postEphemeral').at(-1)!.args.text)).toBe('Your order is updated: Mocha · Large · extra hot');

    // U002 withdraws: 29.
    await click('U002', channel, 'order.withdraw', runId);
    expect(await activeOrders(runId)).toHaveLength(29);
    await expect.poll(() => runMessage(channel), refreshed).toContain('29 people have ordered');
    await expect.poll(() => runMessage(channel), refreshed).not.toContain('<@U002>');

    // U002 double-submits the modal: one order.
    await Promise.all([1, 2].map(() => submit('U002', modals.get('U002')!, { freeText: 'Flat white, please' })));
    const u002 = (await activeOrders(runId)).filter((o) => o.slackUserId === 'U002');
    expect(u002).toEqual([expect.objectContaining({ freeText: 'Flat white, please' })]);
    await expect.poll(() => runMessage(channel), refreshed).toContain('30 people have ordered');
    const previous = await activeOrders(runId);

    // The next run: "Use my last order" reproduces everyone's order in one click.
    await stack.db.sql`update runs set status = 'completed' where id = ${runId}`;
    const nextRunId = await startRun(channel);
    for (const user of users) await click(user, channel, 'order.reuse_last', nextRunId);
    expect(await activeOrders(nextRunId)).toEqual(previous);
    await expect.poll(() => runMessage(channel), refreshed).toContain('30 people have ordered');
  });

  it('refuses an empty drink and a 201-character customization on the right field', async () => {
    const channel = newChannel();
    const runId = await startRun(channel);
    const { private_metadata: metadata } = await openModal('U001', channel, runId);
    expect(await submit('U001', metadata, { size: 'Small' })).toEqual({
      response_action: 'errors',
      errors: { drink: expect.stringContaining('Choose a drink') },
    });
    expect(await submit('U001', metadata, { drink: 'Latte', size: 'Small', customizations: 'x'.repeat(201) })).toEqual({
      response_action: 'errors',
      errors: { customizations: 'Keep it to 200 characters (this is 201).' },
    });
    expect(await activeOrders(runId)).toEqual([]);
    expect(await submit('U001', metadata, { drink: 'Latte', size: 'Small', customizations: 'x'.repeat(200) })).toBeNull();
  });

  it('shows an order containing <!channel>, <@U…> and & harmlessly', async () => {
    const channel = newChannel();
    const runId = await startRun(channel);
    const { private_metadata: metadata } = await openModal('U001', channel, runId);
    await submit('U001', metadata, { freeText: '<!channel> <!here> tea for <@U002> & <https://evil|me>' });
    const [order] = await activeOrders(runId);
    expect(order!.freeText).toBe('<!channel> <!here> tea for <@U002> & <https://evil|me>');
    await expect.poll(() => runMessage(channel), refreshed).toContain('&lt;!channel&gt; &lt;!here&gt; tea for &lt;@U002&gt; &amp; &lt;https://evil|me&gt;');
    const message = runMessage(channel);
    expect(message).not.toContain('<!channel>');
    expect(message).not.toContain('<!here>');
  });

  it('confirms a free-text order with mrkdwn characters without wrapping it in formatting', async () => {
    const channel = newChannel();
    const runId = await startRun(channel);
    const { private_metadata: metadata } = await openModal('U001', channel, runId);
    await submit('U001', metadata, { freeText: '*stars* and _tea_' });
    const [confirmation] = stack.slack.callsTo('chat.postEphemeral');
    const [section] = confirmation!.args.blocks as { text: { text: string } }[];
    expect(section!.text.text).toBe(':white_check_mark: *Your order is in:* *stars* and _tea_');
  });

  it('pre-fills the modal with the current order, else the last one, and offers the usuals', async () => {
    const channel = newChannel();
    const first = await startRun(channel);
    const empty = await openModal('U005', channel, first);
    expect(JSON.stringify(empty.blocks)).not.toContain('initial_value');
    expect(empty.blocks.map((b) => b.block_id)).not.toContain('usual');
    await submit('U005', empty.private_metadata, { drink: 'Cappuccino', size: 'Large', customizations: 'cinnamon' });
    const current = await openModal('U005', channel, first);
    expect(JSON.stringify(current.blocks)).toContain('"initial_value":"cinnamon"');

    await stack.db.sql`update runs set status = 'completed' where id = ${first}`;
    const second = await startRun(channel);
    const prefilled = await openModal('U005', channel, second);
    expect(JSON.stringify(prefilled.blocks)).toContain('"initial_value":"cinnamon"');
    const usual = prefilled.blocks.find((b) => b.block_id === 'usual');
    expect(JSON.stringify(usual)).toContain('Cappuccino · Large · cinnamon');
    expect(await submit('U005', prefilled.private_metadata, { usual: '0' })).toBeNull();
    expect(await activeOrders(second)).toEqual([expect.objectContaining({ drink: 'Cappuccino', customizations: 'cinnamon' })]);
  });

  it('says kindly there is no last order yet and opens the modal instead', async () => {
    const channel = newChannel();
    const runId = await startRun(channel);
    await click('U009', channel, 'order.reuse_last', runId);
    const view = stack.slack.callsTo('views.open').at(-1)!.args.view;
    expect(JSON.stringify(view)).toContain("You don't have a last order in this channel yet");
    expect(await activeOrders(runId)).toEqual([]);
  });

  it('answers actions on closed, canceled or unknown runs clearly and changes nothing', async () => {
    const channel = newChannel();
    const runId = await startRun(channel);
    const { private_metadata: metadata } = await openModal('U001', channel, runId);
    await stack.db.sql`update runs set status = 'closed' where id = ${runId}`;
    await click('U001', channel, 'order.reuse_last', runId);
    expect(String(stack.slack.callsTo('chat.postEphemeral').at(-1)!.args.text)).toMatch(/closed, so orders are frozen/);
    const late = await submit('U001', metadata, { drink: 'Latte', size: 'Small' });
    expect(late).toMatchObject({ response_action: 'update' });
    expect(JSON.stringify(late!.view)).toContain('Your order was not recorded');

    await stack.db.sql`update runs set status = 'canceled' where id = ${runId}`;
    await click('U001', channel, 'order.open', runId);
    expect(String(stack.slack.callsTo('chat.postEphemeral').at(-1)!.args.text)).toMatch(/canceled/);

    await click('U001', channel, 'order.open', '00000000-0000-4000-8000-000000000000');
    expect(String(stack.slack.callsTo('chat.postEphemeral').at(-1)!.args.text)).toMatch(/can't find that coffee run/);
    // A run id from another channel is not trusted either.
    await click('U001', 'COTHER', 'order.open', runId);
    expect(String(stack.slack.callsTo('chat.postEphemeral').at(-1)!.args.text)).toMatch(/can't find that coffee run/);
    expect(stack.slack.callsTo('views.open')).toHaveLength(1);
    expect(await activeOrders(runId)).toEqual([]);

    // Someone whose order stood before the close is told it still stands: only the change was not saved.
    const ordered = newChannel();
    const orderedRun = await startRun(ordered);
    const first = await openModal('U002', ordered, orderedRun);
    expect(await submit('U002', first.private_metadata, { drink: 'Mocha', size: 'Large' })).toBeNull();
    const second = await openModal('U002', ordered, orderedRun);
    await stack.db.sql`update runs set status = 'closed' where id = ${orderedRun}`;
    const change = await submit('U002', second.private_metadata, { drink: 'Latte', size: 'Small' });
    expect(JSON.stringify(change!.view)).toContain('Your earlier order stands; this change was not saved.');
  });

  it('writes each order change and its event in one transaction', async () => {
    const channel = newChannel();
    const runId = await startRun(channel);
    const { private_metadata: metadata } = await openModal('U003', channel, runId);
    await submit('U003', metadata, { drink: 'Latte', size: 'Small' });
    await submit('U003', metadata, { drink: 'Latte', size: 'Large' });
    await click('U003', channel, 'order.withdraw', runId);
    const events = await stack.db.sql<{ type: string }[]>`
      select type from outbox where subject = ${runId} and type like 'com.coffeebuddy.order.%' order by seq`;
    expect(events.map((e) => e.type)).toEqual(['com.coffeebuddy.order.placed', 'com.coffeebuddy.order.updated', 'com.coffeebuddy.order.withdrawn']);
    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    expect(metrics).toMatch(/coffeebuddy_orders_total\{drink="Latte",change="placed"\} [1-9]/);
    expect(metrics).toMatch(/coffeebuddy_requests_total\{type="interaction"\} [1-9]/);
  });

  it('answers unsigned interactions 401, malformed ones 400 and types it does not handle 200', async () => {
    const body = interactionBody({ type: 'block_actions', user: { id: 'U1' } });
    expect((await fetch(`${stack.url}/slack/interactions`, { method: 'POST', body })).status).toBe(401);
    expect((await stack.postSigned('/slack/interactions', 'payload=%7Bnot-json')).status).toBe(400);
    expect((await stack.postSigned('/slack/interactions', body)).status).toBe(400);
    expect((await stack.postSigned('/slack/interactions', interactionBody({ type: 'shortcut', user: { id: 'U1' } }))).status).toBe(200);
  });
});
