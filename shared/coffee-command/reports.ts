import type { EphemeralReply } from './messages.ts';
import type { Sql } from '../db/client.ts';
import type { KnownBlock } from '@slack/types';
import { runName, statusLabel } from '../domain/run-life.ts';
import { mention, slackDateTime } from '../slack/text.ts';
import { myRuns, ratingSummary, runHistory, servedRuns, type HistoryRow } from './reports-queries.ts';
import { counted } from '../text.ts';
import { historyDetailsAction } from '../slack/interaction-ids.ts';

const pageSize = 10;

type HistoryLine = HistoryRow & { line: string };

/** A run as a line of `/coffee history`: when, its state, its runner, how many ordered, and what it was. */
function historyLine(run: HistoryRow, where = ''): string {
  const when = slackDateTime(run.startedAt, '{date_short} {time}');
  const runner = run.runnerSlackUserId ? `runner ${mention(run.runnerSlackUserId)}` : 'no runner';
  // A closed run nobody needs to go for (no orders, or nobody could) is not "on its way".
  const status = run.status === 'closed' && !run.runnerSlackUserId ? 'closed' : statusLabel[run.status];
  return `${when}${where}: ${status}, ${runner}, ${run.orders} ${run.orders === 1 ? 'order' : 'orders'} · ${runName(run)}`;
}

/** The history as text and as blocks: one section a run with a *Details* button (its life on record). */
function historyMessage(title: string, runs: HistoryLine[], footer: string): EphemeralReply {
  const text = [title, ...runs.map((run) => `• ${run.line}`), ...(footer ? [footer] : [])].join('\n');
  return {
    text,
    blocks: [
      { type: 'section', block_id: 'history.title', text: { type: 'mrkdwn', text: title } },
      ...runs.map(
        (run, index): KnownBlock => ({
          type: 'section',
          block_id: `history.run.${index}`,
          text: { type: 'mrkdwn', text: run.line },
          accessory: { type: 'button', action_id: historyDetailsAction, text: { type: 'plain_text', text: 'Details' }, value: run.id },
        }),
      ),
      ...(footer ? [{ type: 'context', block_id: 'history.more', elements: [{ type: 'mrkdwn', text: footer }] } satisfies KnownBlock] : []),
    ],
  };
}

/** `/coffee history [page]`: the channel's runs, newest first, ten a page. */
export async function historyReply(sql: Sql, slackChannelId: string, page: number): Promise<EphemeralReply> {
  const rows = await runHistory(sql, slackChannelId, pageSize + 1, (page - 1) * pageSize);
  if (rows.length === 0) {
    return { text: page === 1 ? 'No coffee runs here yet. Start one with `/coffee`.' : `There is no page ${page}; try \`/coffee history\`.` };
  }
  const runs = rows.slice(0, pageSize).map((run) => ({ ...run, line: historyLine(run) }));
  const more = rows.length > pageSize ? `Older runs: \`/coffee history ${page + 1}\`` : '';
  return historyMessage(`*Coffee runs in this channel* (page ${page})`, runs, more);
}

/** `/coffee-history` and `/coffee history me`: the last ten runs the user started, ordered in or ran, in any channel. */
export async function myHistoryReply(sql: Sql, slackUserId: string): Promise<EphemeralReply> {
  const rows = await myRuns(sql, slackUserId, pageSize);
  if (rows.length === 0) {
    return { text: "You haven't been part of a coffee run yet. Start one in a channel with `/coffee`, or order from a run message there." };
  }
  const runs = rows.map((run) => ({ ...run, line: historyLine(run, ` in <#${run.slackChannelId}>`) }));
  return historyMessage('*Your last coffee runs* (that you started, ordered in or ran)', runs, '');
}

interface PersonStats {
  servedWindow: number;
  servedAll: number;
  cupsCarried: number;
  cupsReceived: number;
}

/**
 * `/coffee stats`: per person, runs served in the channel's fairness window and all time, cups
 * carried for others and cups received from others — the fairness made visible.
 */
export async function statsReply(sql: Sql, slackChannelId: string, windowRuns: number): Promise<EphemeralReply> {
  const runs = await servedRuns(sql, slackChannelId);
  if (runs.length === 0) return { text: 'No runs with a runner here yet, so no stats. Start one with `/coffee`.' };
  const stats = new Map<string, PersonStats>();
  const get = (id: string) => {
    const entry = stats.get(id) ?? { servedWindow: 0, servedAll: 0, cupsCarried: 0, cupsReceived: 0 };
    stats.set(id, entry);
    return entry;
  };
  for (const [index, run] of runs.entries()) {
    const runner = get(run.runnerSlackUserId);
    runner.servedAll += 1;
    if (index < windowRuns) runner.servedWindow += 1;
    for (const orderer of run.orderers) {
      if (orderer === run.runnerSlackUserId) continue;
      runner.cupsCarried += 1;
      get(orderer).cupsReceived += 1;
    }
  }
  const window = Math.min(windowRuns, runs.length);
  const lines = [...stats]
    .sort(([a, x], [b, y]) => y.servedWindow - x.servedWindow || y.servedAll - x.servedAll || a.localeCompare(b))
    .map(
      ([id, s]) =>
        `• ${mention(id)}: ran ${s.servedWindow} of the last ${window} · ${s.servedAll} all time · carried ${cups(s.cupsCarried)} for others · received ${cups(s.cupsReceived)}`,
    );
  const rated = await ratingLine(sql, slackChannelId);
  return { text: `*Who ran how often here* (the fairness window is the last ${counted(windowRuns, 'run')})\n${lines.slice(0, 40).join('\n')}${rated}` };
}

/** "1 cup", "2 cups", "no cups". */
function cups(n: number): string {
  return n === 0 ? 'no cups' : `${n} ${n === 1 ? 'cup' : 'cups'}`;
}

/** The runs' ratings as a closing line ("rated 4.6/5 by 12"); empty when nobody rated a run. */
async function ratingLine(sql: Sql, slackChannelId: string): Promise<string> {
  const { count, average, runs } = await ratingSummary(sql, slackChannelId);
  if (count === 0 || average === null) return '';
  return `\n*How the runs went:* rated ${average.toFixed(1)}/5 by ${count} (over ${runs} ${runs === 1 ? 'run' : 'runs'})`;
}
