import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { startTestStack, type TestStack } from '../support/harness.ts';
import { slashCommandBody } from '../support/slack-requests.ts';

type SlackReply = { response_type?: string; text: string };
const replyOf = async (response: Promise<Response>) => (await (await response).json()) as SlackReply;

// 09:00 in Berlin (UTC+1 in November).
const morning = new Date('2026-11-23T08:00:00Z');

describe('/coffee over signed HTTP, against real Postgres and the Slack emulator', () => {
  let stack: TestStack;
  let channelSeq = 0;
  let channel: string;

  beforeAll(async () => {
    stack = await startTestStack({
      functions: registry,
      now: morning,
      users: {
        U0001: { name: 'ana', tz: 'Europe/Berlin' },
        U0002: { name: 'bo', tz: 'America/Los_Angeles' },
        U0003: { name: 'cy', tz: 'Asia/Tokyo' },
      },
    });
  });
  afterAll(async () => {
    await stack.close();
  });
  beforeEach(() => {
    stack.clock.now = morning;
    stack.slack.reset();
    channel = `C${String(++channelSeq).padStart(4, '0')}`;
  });

  const command = (text: string, fields: { userId?: string; responseUrl?: string } = {}) =>
    slashCommandBody({ trigger: stack.slack, text, channelId: channel, ...fields });
  const runsInChannel = () => stack.db.sql<{ id: string; status: string; note: string; pickupAt: Date | null; messageTs: string | null; timeZone: string }[]>`
    select r.id, r.status, r.note, r.pickup_at, r.message_ts, r.time_zone
    from runs r join channels c on c.id = r.channel_id
    where c.slack_channel_id = ${channel}`;

  it('starts a run: one transaction with its run.created event, then the run message with its ts stored', async () => {
    const response = await stack.postSigned('/slack/commands', command('10:30 Lobby cafe'));
    expect(response.status).toBe(200);

    const [run] = await runsInChannel();
    expect(run).toMatchObject({ status: 'open', note: 'Lobby cafe', timeZone: 'Europe/Berlin' });
    expect(run!.pickupAt!.toISOString()).toBe('2026-11-23T09:30:00.000Z');

    const [posted] = stack.slack.callsTo('chat.postMessage');
    expect(posted!.args.channel).toBe(channel);
    const blocks = JSON.stringify(posted!.args.blocks);
    expect(blocks).toContain('Lobby cafe');
    expect(blocks).toContain('<@U0001>');
    expect(blocks).toContain('0 people have ordered');
    for (const action of ['order.open', 'order.reuse_last', 'run.close']) expect(blocks).toContain(action);
    expect(blocks).toContain(`"value":"${run!.id}"`);
    expect(run!.messageTs).toBe(stack.slack.messages(channel)[0]!.ts);

    const outbox = await stack.db.sql<{ type: string; subject: string; partitionKey: string; data: { note: string } }[]>`
      select type, subject, partition_key, data from outbox where subject = ${run!.id}`;
    expect(outbox).toEqual([
      expect.objectContaining({ type: 'com.coffeebuddy.run.created', partitionKey: channel, data: expect.objectContaining({ note: 'Lobby cafe' }) }),
    ]);
  });

  it('reads the pickup time in the initiator’s own Slack time zone', async () => {
    await stack.postSigned('/slack/commands', command('2pm', { userId: 'U0002' }));
    const [run] = await runsInChannel();
    // 14:00 in Los Angeles (UTC-8) is 22:00 UTC.
    expect(run!.pickupAt!.toISOString()).toBe('2026-11-23T22:00:00.000Z');
  });

  it('keeps the zone users.info gave and reads later pickup times in it without asking Slack again', async () => {
    await stack.db.sql`
      insert into users (slack_user_id, slack_team_id, time_zone, time_zone_checked_at)
      values ('U0TOKYO', 'T0001', 'Asia/Tokyo', ${morning})`;
    await stack.postSigned('/slack/commands', command('11pm', { userId: 'U0TOKYO' }));
    const [run] = await runsInChannel();
    // 23:00 in Tokyo (UTC+9) is 14:00 UTC; the emulator does not even know this user.
    expect(run).toMatchObject({ timeZone: 'Asia/Tokyo' });
    expect(run!.pickupAt!.toISOString()).toBe('2026-11-23T14:00:00.000Z');
    expect(stack.slack.callsTo('users.info')).toEqual([]);
  });

  it('uses a day-old zone at once and refreshes it from users.info in the background', async () => {
    const twoDaysAgo = new Date(morning.getTime() - 2 * 24 * 3600 * 1000);
    await stack.db.sql`
      insert into users (slack_user_id, slack_team_id, time_zone, time_zone_checked_at)
      values ('U0003', 'T0001', 'Europe/Berlin', ${twoDaysAgo})`;
    await stack.postSigned('/slack/commands', command('2pm', { userId: 'U0003' }));
    const [run] = await runsInChannel();
    expect(run).toMatchObject({ timeZone: 'Europe/Berlin' });
    await expect
      .poll(
        async () =>
          (
            await stack.db.sql<{ timeZone: string; fresh: boolean }[]>`
        select time_zone, time_zone_checked_at >= ${morning} as fresh from users where slack_user_id = 'U0003'`
          )[0],
        // users.info, then the write: a refresh no drain sees, as nothing waits for it.
        { timeout: 10_000 },
      )
      .toEqual({ timeZone: 'Asia/Tokyo', fresh: true });
    expect(stack.slack.callsTo('users.info')).toHaveLength(1);
  });

  it('falls back to the configured default zone when Slack cannot say', async () => {
    stack.slack.failNext('users.info', { status: 503, times: 5 });
    await stack.postSigned('/slack/commands', command('10:30', { userId: 'U0999' }));
    const [run] = await runsInChannel();
    expect(run).toMatchObject({ timeZone: 'UTC' });
    expect(run!.pickupAt!.toISOString()).toBe('2026-11-23T10:30:00.000Z');
  });

  it('refuses unsigned, wrongly signed and stale requests with 401 and records nothing', async () => {
    const body = command('10:30 Lobby');
    const unsigned = await fetch(`${stack.url}/slack/commands`, { method: 'POST', body });
    const wrong = await stack.postSigned('/slack/commands', body, { secret: 'not-the-secret' });
    const stale = await stack.postSigned('/slack/commands', body, { at: new Date(morning.getTime() - 6 * 60_000) });
    expect([unsigned.status, wrong.status, stale.status]).toEqual([401, 401, 401]);
    expect(await runsInChannel()).toEqual([]);
    expect(await stack.db.sql`select 1 from channels where slack_channel_id = ${channel}`).toHaveLength(0);
    expect(stack.slack.calls).toEqual([]);
  });

  it('answers an oversized body with 413', async () => {
    const response = await stack.postSigned('/slack/commands', command('x'.repeat(70 * 1024)));
    expect(response.status).toBe(413);
    expect(await runsInChannel()).toEqual([]);
  });

  it('answers bad syntax and past times with an ephemeral hint and starts nothing', async () => {
    const bad = await replyOf(stack.postSigned('/slack/commands', command('25:00 Lobby')));
    expect(bad).toMatchObject({ response_type: 'ephemeral' });
    expect(bad.text).toContain('/coffee [pickup time] [note]');

    const past = await replyOf(stack.postSigned('/slack/commands', command('8:30 Lobby')));
    expect(past.response_type).toBe('ephemeral');
    expect(past.text).toMatch(/already passed/);
    expect(past.text).toMatch(/\/coffee in 15m/);
    expect(await runsInChannel()).toEqual([]);
    expect(stack.slack.callsTo('chat.postMessage')).toEqual([]);
  });

  it('says it is disabled in a disabled channel and records nothing', async () => {
    await stack.db.sql`insert into channels (slack_channel_id, slack_team_id, enabled) values (${channel}, 'T0001', false)`;
    const reply = await replyOf(stack.postSigned('/slack/commands', command('10:30')));
    expect(reply.text).toBe('CoffeeBuddy is disabled in this channel. A channel admin can turn it back on with `/coffee admin enable`.');
    expect(await runsInChannel()).toEqual([]);
    expect(
      await stack.db
        .sql`select 1 from outbox o join runs r on r.id::text = o.subject join channels c on c.id = r.channel_id where c.slack_channel_id = ${channel}`,
    ).toHaveLength(0);
  });

  it('refuses to start a run in a DM with the bot, pointing to a channel, but still answers other commands there', async () => {
    const dm = `D${channel.slice(1)}`;
    const inDm = (text: string, channelName: string, channelId = dm) =>
      replyOf(stack.postSigned('/slack/commands', slashCommandBody({ trigger: stack.slack, text, channelId, channelName })));

    for (const refused of [await inDm('in 20m', 'directmessage'), await inDm('10:30 Lobby', 'coffee'), await inDm('in 20m', 'directmessage', channel)]) {
      expect(refused.response_type).toBe('ephemeral');
      expect(refused.text).toContain('Start a coffee run in a channel: invite @CoffeeBuddy there');
    }
    expect(await stack.db.sql`select 1 from runs r join channels c on c.id = r.channel_id where c.slack_channel_id in (${dm}, ${channel})`).toEqual([]);
    expect(stack.slack.callsTo('chat.postMessage')).toEqual([]);
    expect((await inDm('help', 'directmessage')).text).toContain('*CoffeeBuddy* runs the office coffee run.');

    // A group DM is a conversation of several people: a run there is fine.
    await stack.postSigned(
      '/slack/commands',
      slashCommandBody({ trigger: stack.slack, text: 'in 20m', channelId: `G${channel.slice(1)}`, channelName: 'mpdm-ana--bo-1' }),
    );
    expect(stack.slack.callsTo('chat.postMessage')).toHaveLength(1);
  });

  it('keeps one open run per channel, even for simultaneous commands', async () => {
    const responses = await Promise.all([1, 2, 3].map(() => stack.postSigned('/slack/commands', command('10:30'))));
    const bodies = await Promise.all(responses.map((r) => r.text()));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(await runsInChannel()).toHaveLength(1);
    expect(bodies.filter((b) => b.includes('already an open coffee run'))).toHaveLength(2);
    expect(stack.slack.callsTo('chat.postMessage')).toHaveLength(1);
  });

  it('marks the run failed and tells the user how to fix it when Slack refuses the post', async () => {
    stack.slack.failNext('chat.postMessage', { error: 'not_in_channel' });
    const reply = await replyOf(stack.postSigned('/slack/commands', command('10:30')));
    expect(reply.text).toContain('/invite @CoffeeBuddy');
    const [run] = await runsInChannel();
    expect(run!.status).toBe('failed');
    const types = await stack.db.sql<{ type: string }[]>`select type from outbox where subject = ${run!.id} order by created_at, type`;
    expect(types.map((t) => t.type).sort()).toEqual(['com.coffeebuddy.run.created', 'com.coffeebuddy.run.failed']);
    // The channel is free again for a new run.
    expect((await stack.postSigned('/slack/commands', command('10:30'))).status).toBe(200);
    expect((await runsInChannel()).map((r) => r.status).sort()).toEqual(['failed', 'open']);
  });

  it('shows typed mentions and broadcasts in the note as harmless text', async () => {
    await stack.postSigned('/slack/commands', command('10:30 <!channel> meet <@U0002> & co'));
    const blocks = JSON.stringify(stack.slack.callsTo('chat.postMessage')[0]!.args.blocks);
    expect(blocks).toContain('&lt;!channel&gt; meet &lt;@U0002&gt; &amp; co');
    expect(blocks).not.toContain('<!channel>');
  });

  it('explains the commands and the runner rule on /coffee help', async () => {
    const reply = await replyOf(stack.postSigned('/slack/commands', command('help')));
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toContain('/coffee [pickup time] [note]');
    expect(reply.text).toContain("fewest of this channel's last 5 runs");
    expect(await runsInChannel()).toEqual([]);
  });

  it('counts started runs and slash requests in /metrics', async () => {
    await stack.postSigned('/slack/commands', command('10:30'));
    const text = await (await fetch(`${stack.url}/metrics`)).text();
    expect(text).toMatch(/coffeebuddy_runs_total\{status="open"\} [1-9]/);
    expect(text).toMatch(/coffeebuddy_requests_total\{type="slash"\} [1-9]/);
  });
});
