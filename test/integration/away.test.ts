import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { servedHistory } from '../../functions/fairness-assign/queries.ts';
import { registry } from '../../functions/registry.ts';
import { orderLines } from '../../shared/domain/order-list.ts';
import { listActiveOrders } from '../../shared/domain/run-queries.ts';
import { startTestStack, type TestStack } from '../support/harness.ts';
import { createRunDriver } from '../support/run-driver.ts';
import { slashCommandBody } from '../support/slack-requests.ts';

// Monday 1 June 2026, 10:00 in Berlin (UTC+2): no change of clocks in the weeks these tests span.
const start = new Date('2026-06-01T08:00:00Z');
const DAY = 24 * 60 * 60 * 1000;
const later = (days: number) => new Date(start.getTime() + days * DAY);
const seconds = (iso: string) => Date.parse(iso) / 1000;
const hint =
  'Try `/coffee away` (until you say `/coffee back`), `/coffee away for 3d` or `for 2w` (hours, days or weeks), ' +
  'or `/coffee away until 2026-12-24` (also `until friday`, `until 24 dec`, `until tomorrow`), dates read in your time zone';

describe('/coffee away, back and forget-me, through the whole stack', () => {
  let stack: TestStack;
  let drive: ReturnType<typeof createRunDriver>;

  beforeAll(async () => {
    stack = await startTestStack({
      functions: registry,
      now: start,
      // U005 is in Berlin; everyone else is unknown to Slack's users.info, so the default zone (UTC).
      users: { U005: { name: 'emi', tz: 'Europe/Berlin' } },
    });
    drive = createRunDriver(stack);
  });
  afterAll(async () => {
    await stack.close();
  });
  beforeEach(() => {
    stack.clock.now = start;
  });

  const summaries = (channel: string) =>
    stack.slack
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === channel && !c.args.thread_ts && String(c.args.text).startsWith(':coffee: Coffee run closed'));

  /** `/coffee forget-me` as `user`: the answer's text and the **Forget me** button's value, if any. */
  async function forgetMe(channel: string, user: string): Promise<{ text: string; button?: string }> {
    const response = await stack.postSigned('/slack/commands', slashCommandBody({ trigger: stack.slack, text: 'forget-me', channelId: channel, userId: user }));
    const body = (await response.json()) as { text: string; blocks?: { elements?: { action_id: string; value: string }[] }[] };
    const button = body.blocks?.flatMap((b) => b.elements ?? []).find((e) => e.action_id === 'forget_me.confirm')?.value;
    return { text: body.text, ...(button ? { button } : {}) };
  }

  /** Served history, oldest first: each runner ran one completed run, 30, 29, … days ago. */
  async function seedServed(channel: string, runners: string[]): Promise<void> {
    const [row] = await stack.db.sql<{ id: string }[]>`select id from channels where slack_channel_id = ${channel}`;
    for (const [i, user] of runners.entries()) {
      const servedAt = new Date(stack.clock.now.getTime() - (30 - i) * 86_400_000);
      await stack.db.sql`insert into users (slack_user_id, slack_team_id) values (${user}, 'T0001') on conflict do nothing`;
      await stack.db.sql`
        insert into runs (channel_id, initiator_id, runner_id, status, time_zone, started_at, closed_at, completed_at)
        select ${row!.id}, u.id, u.id, 'completed', 'UTC', ${servedAt}, ${servedAt}, ${servedAt}
        from users u where u.slack_user_id = ${user}`;
    }
  }

  /** A run with these orders, closed by its initiator; returns the summary's text and its "why" line. */
  async function closedRun(channel: string, people: string[], options: { volunteer?: string } = {}) {
    const runId = await drive.startRun(channel);
    for (const user of people) await drive.order(user, channel, runId, { drink: 'Latte', size: 'Small' });
    if (options.volunteer) await drive.click(options.volunteer, channel, 'run.volunteer', runId);
    const before = summaries(channel).length;
    await drive.click('U001', channel, 'run.close', runId);
    await expect.poll(() => summaries(channel).length, { timeout: 20_000 }).toBe(before + 1);
    const summary = summaries(channel).at(-1)!;
    return { runId, text: String(summary.args.text), blocks: JSON.stringify(summary.args.blocks) };
  }

  it('someone away is not picked though fairest, the summary says they were skipped as away; `back` makes them eligible again', async () => {
    const channel = 'CAWAY1';
    expect(await drive.command(channel, 'away', 'U003')).toBe(
      "You're away from coffee runs in <#CAWAY1> until you say `/coffee back`: you won't be picked as runner. You can still order; *I'll go* still makes you the runner.",
    );
    // U003 never ran; U004 and U002 ran once each, U002 last time.
    await seedServed(channel, ['U004', 'U002']);

    const first = await closedRun(channel, ['U002', 'U003', 'U004']);
    expect(first.text).toContain('<@U004> is going (3 orders)');
    expect(first.blocks).toContain('<@U004>: 1 of the last 2 runs. <@U002> ran last time, so was skipped. <@U003> is away, so was skipped.');

    expect(await drive.command(channel, 'back', 'U003')).toBe('Welcome back! You can be picked as the coffee runner in <#CAWAY1> again.');
    expect(await drive.command(channel, 'back', 'U003')).toBe("You weren't away from coffee runs in <#CAWAY1>, so you can already be picked as runner here.");
    const second = await closedRun(channel, ['U002', 'U003', 'U004']);
    expect(second.text).toContain('<@U003> is going');
    expect(second.blocks).toContain('<@U003>: 0 of the last 3 runs, the fewest (next: <@U002> with 1). <@U004> ran last time, so was skipped.');
    expect(second.blocks).not.toContain('away');

    // Away again, and the only one who ordered: nobody is picked, the summary says why and asks who can take it.
    await drive.command(channel, 'away', 'U003');
    const third = await closedRun(channel, ['U003']);
    expect(third.text).toBe(':coffee: Coffee run closed: nobody can go yet. Everyone who ordered is away from runs here: <@U003>.');
    expect(third.blocks).toContain("Can you go? *I'll take it* makes you the runner, or <@U001> can cancel the run with `/coffee cancel`.");

    // Anyone in the channel can take it: the first press wins, the summary names them, they get the DM.
    await drive.click('U009', channel, 'runner.take', third.runId);
    expect(drive.lastEphemeral('U009')).toBe("Thanks! You're the runner: the order list is on its way to your DM.");
    await drive.click('U004', channel, 'runner.take', third.runId);
    expect(drive.lastEphemeral('U004')).toBe('<@U009> is already going.');
    // The third summary, the channel's latest, edited in place.
    const summaryNow = () =>
      stack.slack
        .messages(channel)
        .filter((m) => !m.thread_ts && String(m.text).startsWith(':coffee: Coffee run closed'))
        .at(-1);
    await expect.poll(() => summaryNow()?.text, { timeout: 20_000 }).toBe(':coffee: Coffee run closed: <@U009> is going (1 order)');
    expect(JSON.stringify(summaryNow()?.blocks)).toContain('<@U009> took the run when nobody else could go.');
    expect(JSON.stringify(summaryNow()?.blocks)).not.toContain('runner.take');
    await expect
      .poll(() => stack.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'DU009' && String(c.args.text).includes(`<#${channel}>`)).length, {
        timeout: 20_000,
      })
      .toBe(1);
    // One summary a run in the channel (a post Slack rate-limited, then retried, is one message).
    expect(stack.slack.messages(channel).filter((m) => !m.thread_ts && String(m.text).startsWith(':coffee: Coffee run closed'))).toHaveLength(3);
  });

  it('`away for 2w` confirms the end in Slack date formatting, read in the user’s time zone, and expires then', async () => {
    const channel = 'CAWAY2';
    // Two weeks from Monday 10:00 in Berlin: Monday 15 June, 10:00 there (08:00 UTC).
    expect(await drive.command(channel, 'away for 2w', 'U005')).toBe(
      `You're away from coffee runs in <#CAWAY2> <!date^${seconds('2026-06-15T08:00:00Z')}^until {date_short_pretty} at {time}|until Mon, 15 Jun 2026, 10:00 (Europe/Berlin)>: ` +
        "you won't be picked as runner before then. You can still order; *I'll go* still makes you the runner. `/coffee back` ends it sooner.",
    );
    await seedServed(channel, ['U006']);

    const first = await closedRun(channel, ['U005', 'U006']);
    expect(first.text).toContain('<@U006> is going');
    expect(first.blocks).toContain('<@U006>: 1 of the last 1 run; ran last time, but is the only one who can go. <@U005> is away, so was skipped.');

    stack.clock.now = later(13);
    const second = await closedRun(channel, ['U005', 'U006']);
    expect(second.text).toContain('<@U006> is going');
    expect(second.blocks).toContain('<@U005> is away, so was skipped.');

    stack.clock.now = later(15);
    const third = await closedRun(channel, ['U005', 'U006']);
    expect(third.text).toContain('<@U005> is going');
    expect(third.blocks).toContain('<@U005>: 0 of the last 3 runs. <@U006> ran last time, so was skipped.');
    expect(await drive.command(channel, 'back', 'U005')).toBe(
      `You weren't away from coffee runs in <#CAWAY2> (your away time <!date^${seconds('2026-06-15T08:00:00Z')}^ended {date_short_pretty} at {time}|ended 2026-06-15 08:00 UTC>), ` +
        'so you can already be picked as runner here.',
    );
  });

  it('`away until <day>` means through that day where the user is', async () => {
    const channel = 'CAWAY3';
    // Berlin: picked again from Thursday 00:00 there, 22:00 UTC on Wednesday.
    const berlin = await drive.command(channel, 'away until 2026-06-03', 'U005');
    expect(berlin).toContain(`<!date^${seconds('2026-06-03T10:00:00Z')}^through {date_long_pretty}|through 2026-06-03>`);
    expect(berlin).toContain(`<!date^${seconds('2026-06-03T22:00:00Z')}^until {date_short_pretty} at {time}|until Thu, 4 Jun 2026, 00:00 (Europe/Berlin)>`);
    // No Slack time zone: the deployment's default (UTC).
    const utc = await drive.command(channel, 'away until wednesday', 'U007');
    expect(utc).toContain(`<!date^${seconds('2026-06-04T00:00:00Z')}^until {date_short_pretty} at {time}|until Thu, 4 Jun 2026, 00:00 (UTC)>`);
    const rows = await stack.db.sql<{ slackUserId: string; awayUntil: Date }[]>`
      select u.slack_user_id, a.away_until from away_periods a join users u on u.id = a.user_id join channels c on c.id = a.channel_id
      where c.slack_channel_id = ${channel} order by u.slack_user_id`;
    expect(rows.map((r) => [r.slackUserId, r.awayUntil.toISOString()])).toEqual([
      ['U005', '2026-06-03T22:00:00.000Z'],
      ['U007', '2026-06-04T00:00:00.000Z'],
    ]);
  });

  it('bad input gets an actionable hint and changes nothing; a bare word after `back` is still a note', async () => {
    const channel = 'CAWAY4';
    expect(await drive.command(channel, 'away for 3x', 'U005')).toBe(`I couldn't read \`3x\` as a duration. ${hint} (Europe/Berlin).`);
    expect(await drive.command(channel, 'away until 2026-05-31', 'U005')).toBe(`\`2026-05-31\` has already passed. ${hint} (Europe/Berlin).`);
    expect(await drive.command(channel, 'away until someday', 'U007')).toBe(`I couldn't read \`someday\` as a day. ${hint} (UTC).`);
    expect(await drive.command(channel, 'away for 400d', 'U007')).toMatch(
      /^Away can be from 1 hour to 365 days; for longer, `\/coffee away` lasts until you say `\/coffee back`\. Try/,
    );
    expect(await drive.command('DU005', 'away', 'U005')).toBe(
      'Away works per channel: say `/coffee away` in the channel whose coffee runs you want to sit out.',
    );
    expect(
      await stack.db.sql`select 1 from away_periods a join channels c on c.id = a.channel_id where c.slack_channel_id in (${channel}, 'DU005')`,
    ).toHaveLength(0);

    expect(await drive.command(channel, 'back door', 'U001')).toBe('');
    const [run] = await stack.db.sql<
      { note: string }[]
    >`select r.note from runs r join channels c on c.id = r.channel_id where c.slack_channel_id = ${channel}`;
    expect(run!.note).toBe('back door');
  });

  it('forget-me deletes what is stored about a person; past orders and runs stay, anonymous; again, it finds nothing', async () => {
    const channel = 'CAWAY5';
    // U008 is an admin here (the channel's creator added them), and another person's id contains theirs.
    stack.slack.setChannelCreator(channel, 'U001');
    await drive.command(channel, 'admin admins add U008', 'U001');
    await drive.command(channel, 'admin admins add U0081', 'U001');
    await drive.command(channel, 'away', 'U008');
    const runId = await drive.startRun(channel);
    await drive.order('U008', channel, runId, { drink: 'Mocha', size: 'Large' });
    await drive.order('U009', channel, runId, { drink: 'Latte', size: 'Small' });
    // Away, but volunteering is asking for this run.
    await drive.click('U008', channel, 'run.volunteer', runId);

    // While the run is open it needs them by name; while they fetch its coffee, too.
    expect(await forgetMe(channel, 'U008')).toEqual({
      text: [
        'Nothing was deleted yet:',
        "• you're part of an open coffee run in <#CAWAY5> (you ordered in it or started it). Withdraw your order (or close or cancel the run you started).",
        'Then say `/coffee forget-me` again.',
      ].join('\n'),
    });
    await drive.click('U001', channel, 'run.close', runId);
    await expect.poll(() => summaries(channel).length, { timeout: 20_000 }).toBe(1);
    expect(String(summaries(channel)[0]!.args.text)).toContain('<@U008> is going');
    expect(await forgetMe(channel, 'U008')).toEqual({
      text: [
        'Nothing was deleted yet:',
        "• you're getting the coffee for the run in <#CAWAY5>. Press *Mark done* once it's delivered (or *I can't go*) in your DM with CoffeeBuddy.",
        'Then say `/coffee forget-me` again.',
      ].join('\n'),
    });
    await drive.click('U008', 'DU008', 'runner.done', runId);
    expect((await stack.db.sql<{ status: string }[]>`select status from runs where id = ${runId}`)[0]!.status).toBe('completed');

    // Nothing is deleted until they confirm, within 5 minutes.
    const asked = await forgetMe(channel, 'U008');
    expect(asked.text).toBe(
      ":warning: CoffeeBuddy will forget you everywhere: your saved orders, away settings, *I'll go* / *I can't go* records, run ratings, admin roles, name and time zone are deleted. " +
        'Your past orders and the runs you carried stay, as "(a former member)". This can\'t be undone.\nThe button works for 5 minutes.',
    );
    expect(await stack.db.sql`select 1 from users where slack_user_id = 'U008'`).toHaveLength(1);
    await drive.click('U008', channel, 'forget_me.confirm', new Date(start.getTime() - 1000).toISOString());
    expect(drive.lastEphemeral('U008')).toBe('This button has expired (it works for 5 minutes). Nothing was deleted: say `/coffee forget-me` again.');
    await drive.click('U008', channel, 'forget_me.confirm', asked.button!);
    expect(drive.lastEphemeral('U008')).toBe(
      [
        "Done: CoffeeBuddy has forgotten you. Deleted: your saved last order (1 channel), your away settings (1 channel), 1 *I'll go* / *I can't go* record, your CoffeeBuddy admin role (1 channel) and your name and time zone.",
        'Kept, without your name: 1 past order of yours shows as "(a former member)" and 1 run you carried counts toward fairness, anonymously.',
        'Messages already posted in Slack are not changed. If you use CoffeeBuddy again, it starts from scratch.',
      ].join('\n'),
    );

    expect(await stack.db.sql`select 1 from users where slack_user_id = 'U008'`).toHaveLength(0);
    // No longer an admin anywhere; the other admin, whose id starts with theirs, still is.
    const [admins] = await stack.db.sql<{ adminSlackUserIds: string[] }[]>`select admin_slack_user_ids from channels where slack_channel_id = ${channel}`;
    expect(admins!.adminSlackUserIds).toEqual(['U0081']);
    // Their id is gone from what the bot keeps of its own work: effects (the runner DM's, done),
    // events, dead letters and message records (the runner DM's kind named them).
    const mentions = await stack.db.sql<{ place: string; count: number }[]>`
      select 'effects' as place, count(*)::int from slack_effects where payload::text ~ '\mU008\M' or key ~ '\mU008\M' or scope ~ '\mU008\M'
      union all select 'outbox', count(*)::int from outbox where data::text ~ '\mU008\M' or extensions::text ~ '\mU008\M'
      union all select 'dead letters', count(*)::int from dead_letter_events where attributes::text ~ '\mU008\M' or data::text ~ '\mU008\M'
      union all select 'messages', count(*)::int from slack_messages where post_key ~ '\mU008\M' or kind ~ '\mU008\M' or channel ~ '\mU008\M'`;
    expect(mentions).toEqual([
      { place: 'effects', count: 0 },
      { place: 'outbox', count: 0 },
      { place: 'dead letters', count: 0 },
      { place: 'messages', count: 0 },
    ]);
    // The run's life on record no longer names them: its details show "(a former member)".
    expect(await stack.db.sql`select 1 from run_life where slack_user_id = 'U008'`).toHaveLength(0);
    await drive.click('U001', channel, 'history.details', runId);
    expect(drive.lastEphemeral('U001')).toContain('Ordered: (a former member), <@U009>');
    expect(drive.lastEphemeral('U001')).toMatch(/ \(a former member\) picked as runner\n.* marked done by \(a former member\)$/);
    const [scrubbed] = await stack.db.sql<
      { count: number }[]
    >`select count(*)::int from slack_messages where run_id = ${runId} and kind like 'runner_dm:forgotten-%'`;
    expect(scrubbed!.count).toBe(1);
    const [runner] = await stack.db.sql<{ id: string; slackUserId: string; displayName: string | null; timeZone: string | null; runnerReason: string }[]>`
      select u.id, u.slack_user_id, u.display_name, u.time_zone, r.runner_reason from runs r join users u on u.id = r.runner_id where r.id = ${runId}`;
    expect(runner).toMatchObject({ displayName: null, timeZone: null, runnerReason: '(a former member) volunteered (no runs here yet).' });
    expect(runner!.slackUserId).toMatch(/^forgotten-[0-9a-f-]{36}$/);
    for (const table of ['user_preferences', 'away_periods', 'run_volunteers', 'run_declines']) {
      expect(await stack.db.sql`select 1 from ${stack.db.sql(table)} where user_id = ${runner!.id}`, table).toHaveLength(0);
    }
    // The order list (summary, runner DM, run message) shows the order without the person.
    expect(orderLines(await listActiveOrders(stack.db.sql, runId))).toEqual(['• (a former member) Mocha · Large', '• <@U009> Latte · Small']);
    // The run they carried still counts in the channel's fairness history.
    const anotherRun = '00000000-0000-4000-8000-000000000000';
    expect(await servedHistory(stack.db.sql, channel, anotherRun)).toEqual([{ runId, runnerId: runner!.slackUserId, closedAt: expect.any(Date) }]);

    expect(await forgetMe(channel, 'U008')).toEqual({ text: 'CoffeeBuddy has nothing stored about you, so there is nothing to forget.' });
    // A second press of the old button finds nothing either.
    await drive.click('U008', channel, 'forget_me.confirm', asked.button!);
    expect(drive.lastEphemeral('U008')).toBe('CoffeeBuddy has nothing stored about you, so there is nothing to forget.');
  });

  it('forget-me with a cup on its way: the prompt says it will be withdrawn; confirmed, the runner is told by DM and no list shows it', async () => {
    const channel = 'CAWAY6';
    const runId = await drive.startRun(channel, 'in 30m Lobby', 'U001');
    await drive.order('U010', channel, runId, { drink: 'Mocha', size: 'Large' });
    await drive.order('U011', channel, runId, { drink: 'Latte', size: 'Small' });
    await drive.click('U011', channel, 'run.volunteer', runId);
    await drive.click('U001', channel, 'run.close', runId);
    await expect.poll(() => summaries(channel).length, { timeout: 20_000 }).toBe(1);
    expect(String(summaries(channel)[0]!.args.text)).toContain('<@U011> is going');

    const runMessage = async () => {
      const [run] = await stack.db.sql<{ messageTs: string }[]>`select message_ts from runs where id = ${runId}`;
      return JSON.stringify(stack.slack.messages(channel).find((m) => m.ts === run!.messageTs)?.blocks);
    };
    expect(await runMessage()).toContain('Mocha');

    const asked = await forgetMe(channel, 'U010');
    expect(asked.text.split('\n').slice(1)).toEqual([
      "Not delivered yet: your *Mocha · Large* from the coffee run in <#CAWAY6>. It will be withdrawn and <@U011> told not to buy it. If you still want it, say `/coffee forget-me` once it's delivered.",
      'The button works for 5 minutes.',
    ]);
    await drive.click('U010', channel, 'forget_me.confirm', asked.button!);
    expect(drive.lastEphemeral('U010')).toBe(
      [
        'Done: CoffeeBuddy has forgotten you. Deleted: your saved last order (1 channel) and your name and time zone.',
        'Withdrawn: your *Mocha · Large* from the coffee run in <#CAWAY6> (<@U011> was told not to buy it).',
        'Messages already posted in Slack are not changed. If you use CoffeeBuddy again, it starts from scratch.',
      ].join('\n'),
    );
    expect(await stack.runRetries()).toBe(0);
    const toRunner = stack.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'DU011' && String(c.args.text).startsWith('One cup less'));
    expect(toRunner.map((c) => c.args.text)).toEqual([
      'One cup less for the coffee run in <#CAWAY6>: skip the *Mocha · Large* on your list. Whoever ordered it has left CoffeeBuddy and withdrew it.',
    ]);
    // What any list of this run shows from now on (reminder, a new runner's DM): no cup nobody can take.
    expect(orderLines(await listActiveOrders(stack.db.sql, runId))).toEqual(['• <@U011> Latte · Small']);
    expect(await runMessage()).not.toContain('Mocha');
  });

  it('forget-me with a cup in a run nobody could be picked for: withdrawn, and no runner to tell', async () => {
    const channel = 'CAWAY7';
    await drive.command(channel, 'away', 'U013');
    const { runId, text } = await closedRun(channel, ['U013']);
    expect(text).toContain('nobody can go');
    const asked = await forgetMe(channel, 'U013');
    expect(asked.text.split('\n')[1]).toBe(
      'Not delivered yet: your *Latte · Small* from the coffee run in <#CAWAY7>. It will be withdrawn; no runner has it on their list yet.',
    );
    await drive.click('U013', channel, 'forget_me.confirm', asked.button!);
    expect(drive.lastEphemeral('U013').split('\n').slice(0, 2)).toEqual([
      'Done: CoffeeBuddy has forgotten you. Deleted: your saved last order (1 channel), your away settings (1 channel) and your name and time zone.',
      'Withdrawn: your *Latte · Small* from the coffee run in <#CAWAY7>.',
    ]);
    expect(await stack.runRetries()).toBe(0);
    expect(stack.slack.callsTo('chat.postMessage').filter((c) => String(c.args.text).startsWith('One cup less for the coffee run in <#CAWAY7>'))).toEqual([]);
    expect(await listActiveOrders(stack.db.sql, runId)).toEqual([]);
  });
});
