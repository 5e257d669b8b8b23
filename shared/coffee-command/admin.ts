import { isTriggerRefusal, SlackCallError } from '../slack/port.ts';
import { membersNamed } from '../slack/names.ts';
import { describeAdminAction, describeChange, settingDefaults } from '../domain/admin-log.ts';
import { listed } from '../text.ts';
import { findChannelSettings, hasOpenRun, listAdminActions, recordAdminAction } from '../domain/channel-admin-queries.ts';
import {
  changeChannelSettings,
  defaultChannelSettings,
  describeSettings,
  administers,
  standingOf,
  numericSettings,
  outOfBounds,
  whoMayAdminister,
  type ChannelSettings,
  type NumericSetting,
} from '../domain/channel-admin.ts';
import { adminSettingsModal, adminSettingsReadOnlyView, disableOpenRunPrompt } from '../domain/admin-views.ts';
import { escapeMrkdwn, mention, slackDateTime, typedText } from '../slack/text.ts';
import type { SlashCommand, SlashCommandDeps } from './schema.ts';
import type { EphemeralReply } from './messages.ts';
import { adminResetConfirmAction } from '../slack/interaction-ids.ts';
import { expiringDangerButton } from '../slack/expiring-button.ts';

const usage = [
  '`/coffee admin` opens the settings. As text:',
  '`/coffee admin show` · `enable` · `disable` · `reminders on|off` · `offset <minutes>` · `lastcall on|off` · `lastcall <minutes>`',
  '`/coffee admin window <runs>` · `retention <days>` · `admins add|remove @user` · `reset` · `log [page]`',
].join('\n');

const adminsUsage = 'Say `/coffee admin admins add @someone` or `/coffee admin admins remove @someone`.';

/**
 * Who `admins add|remove …` names: an escaped mention (`<@U123|name>`), a bare `U123`, or a name
 * as typed (`@chloé`, `@Chloé Martin`): the manifest sets `should_escape: false`, so Slack passes
 * a typed mention as plain text, looked up in the workspace directory. Ambiguous or unknown names
 * are answered with what was tried, never guessed.
 */
async function resolvePerson(typed: string, deps: SlashCommandDeps): Promise<{ id: string } | { reply: string }> {
  const id = /^<@([UW][A-Z0-9]{1,20})(?:\|[^>]*)?>$/.exec(typed)?.[1] ?? (/^[UW][A-Z0-9]{1,20}$/.test(typed) ? typed : null);
  if (id) return { id };
  const name = `@${typed.replace(/^@/, '')}`;
  const shown = `\`${typedText(name)}\``;
  const form = 'or pick them in the settings form: `/coffee admin`.';
  let found: Awaited<ReturnType<typeof membersNamed>>;
  try {
    found = membersNamed(await deps.slack.listMembers(), typed);
  } catch (error) {
    if (!(error instanceof SlackCallError)) throw error;
    deps.log.warn('users.list failed; cannot look up a typed name', { error });
    return { reply: `I couldn't ask Slack who ${shown} is just now. Try again in a minute, ${form}` };
  }
  if (found.length === 1) return { id: found[0]!.id };
  if (found.length === 0) {
    return { reply: `I couldn't find anyone called ${shown} here (I looked at usernames, display names and full names). Check the spelling, ${form}` };
  }
  const who = found.slice(0, 10).map((m) => `${mention(m.id)} (${escapeMrkdwn(m.realName || m.displayName)}, @${escapeMrkdwn(m.handle)})`);
  return {
    reply: `${found.length} people are called ${shown}: ${listed(who)}. Say which with their username, e.g. \`/coffee admin admins add @${escapeMrkdwn(found[0]!.handle)}\`, ${form}`,
  };
}

/** How a text command changes the settings, or why it can't. */
type Parsed = { action: string; change: (s: ChannelSettings) => ChannelSettings } | { reply: string };

function parseChange(words: string[], deps: SlashCommandDeps): Parsed {
  const [verb = '', arg = ''] = words;
  const onOff = (text: string) => (text === 'on' ? true : text === 'off' ? false : null);
  const number = (setting: NumericSetting, text: string): Parsed | number => {
    const n = /^\d{1,6}$/.test(text) ? Number(text) : Number.NaN;
    const problem = outOfBounds(setting, n, deps.config);
    return problem ? { reply: problem } : n;
  };
  const set = <K extends keyof ChannelSettings>(action: string, key: K, to: ChannelSettings[K]): Parsed => ({ action, change: (s) => ({ ...s, [key]: to }) });
  switch (verb) {
    case 'enable':
    case 'disable':
      return set(verb, 'enabled', verb === 'enable');
    case 'reminders': {
      const on = onOff(arg);
      return on === null ? { reply: 'Say `/coffee admin reminders on` or `/coffee admin reminders off`.' } : set(`reminders ${arg}`, 'remindersEnabled', on);
    }
    case 'lastcall': {
      const on = onOff(arg);
      if (on !== null) return set(`lastcall ${arg}`, 'lastCallEnabled', on);
      const n = number('lastCallMinutes', arg);
      return typeof n === 'number' ? set('lastcall minutes', 'lastCallMinutes', n) : n;
    }
    case 'offset':
    case 'window':
    case 'retention': {
      const key = ({ offset: 'reminderOffsetMinutes', window: 'fairnessWindowRuns', retention: 'dataRetentionDays' } as const)[verb];
      if (!arg) return { reply: `Say which value, e.g. \`/coffee admin ${verb} ${numericSettings(deps.config)[key].min + 4}\`.` };
      const n = number(key, arg);
      return typeof n === 'number' ? set(verb, key, n) : n;
    }
    case 'admins': {
      // The person is resolved to a Slack id before this (resolvePerson).
      const user = words[2] ?? '';
      if ((arg !== 'add' && arg !== 'remove') || !user) return { reply: adminsUsage };
      return {
        action: `admins ${arg}`,
        change: (s) => ({
          ...s,
          adminSlackUserIds: arg === 'add' ? [...new Set([...s.adminSlackUserIds, user])] : s.adminSlackUserIds.filter((id) => id !== user),
        }),
      };
    }
    default:
      return { reply: `I don't know \`/coffee admin ${typedText(verb)}\`.\n${usage}` };
  }
}

/** `/coffee admin …`: the settings modal, the settings as text, a change, the reset, or the audit log. */
export async function handleAdminCommand(command: SlashCommand, typedWords: string[], deps: SlashCommandDeps): Promise<EphemeralReply> {
  let words = typedWords;
  const [verb = ''] = words;
  const defaults = settingDefaults(deps.config);
  const current = await findChannelSettings(deps.sql, command.channel_id);
  const settings = current ?? defaultChannelSettings;
  if (verb === '' || verb === 'show' || verb === 'help') {
    if (verb === '' && command.trigger_id) return openSettings(command, command.trigger_id, settings, deps);
    return { text: `${describeSettings(settings, defaults)}\n\n${usage}` };
  }
  if (verb === 'log' || verb === 'reset') {
    const standing = await standingOf(deps.slack, command.channel_id, command.user_id);
    if (!administers(settings, command.user_id, standing)) {
      // A refusal is an admin action too: who tried to read the log or reset the channel, and when.
      await recordAdminAction(deps.sql, {
        channelId: current?.id ?? null,
        slackChannelId: command.channel_id,
        actorSlackUserId: command.user_id,
        action: `refused:${verb}`,
        changes: {},
        at: deps.now(),
      });
      return {
        text: `Only ${whoMayAdminister(settings, standing.creator)} can ${verb === 'log' ? "see CoffeeBuddy's admin log" : 'reset CoffeeBuddy'} here.`,
      };
    }
    return verb === 'log' ? adminLog(command, words[1] ?? '1', deps) : resetPrompt(command, deps);
  }
  if (verb === 'admins') {
    const [, arg = '', ...named] = words;
    if ((arg !== 'add' && arg !== 'remove') || named.length === 0) return { text: adminsUsage };
    const person = await resolvePerson(named.join(' '), deps);
    if ('reply' in person) return { text: person.reply };
    words = ['admins', arg, person.id];
  }
  const parsed = parseChange(words, deps);
  if ('reply' in parsed) return { text: parsed.reply };
  const outcome = await changeChannelSettings({
    sql: deps.sql,
    slack: deps.slack,
    emit: deps.emit,
    channel: { slackChannelId: command.channel_id, slackTeamId: command.team_id },
    actorSlackUserId: command.user_id,
    action: parsed.action,
    now: deps.now(),
    change: parsed.change,
  });
  if (outcome.kind === 'refused') return { text: `Only ${outcome.who} can change CoffeeBuddy's settings here. Nothing was changed.` };
  if (outcome.kind === 'unchanged') return { text: `Nothing to change: that is the setting already.\n${describeSettings(outcome.settings, defaults)}` };
  if (outcome.kind === 'open_run') return disableOpenRunPrompt(outcome.run);
  deps.log.info('channel settings changed', { channel: command.channel_id, by: command.user_id, fields: Object.keys(outcome.changes) });
  const done = Object.entries(outcome.changes).map(([field, change]) => describeChange(field, change, defaults));
  return { text: `Done: you ${listed(done)}.\n${describeSettings(outcome.settings, defaults)}` };
}

/**
 * The settings screen: the form for someone who may change the settings, else the same settings
 * read-only with who may (not a form that fails on Save). The trigger_id expires 3 s after the
 * command and works once, so it opens in this request.
 */
async function openSettings(command: SlashCommand, triggerId: string, settings: ChannelSettings, deps: SlashCommandDeps): Promise<EphemeralReply> {
  const defaults = settingDefaults(deps.config);
  try {
    const standing = await standingOf(deps.slack, command.channel_id, command.user_id);
    const view = administers(settings, command.user_id, standing)
      ? adminSettingsModal({ slackChannelId: command.channel_id, settings, defaults, bounds: deps.config })
      : adminSettingsReadOnlyView({ slackChannelId: command.channel_id, settings, defaults, who: whoMayAdminister(settings, standing.creator) });
    await deps.slack.openView({ triggerId, view });
  } catch (error) {
    if (!isTriggerRefusal(error)) throw error;
    // Only a new command brings a new trigger; the settings as text are still true and useful.
    return {
      text: `The settings form couldn't open in the 3 seconds Slack allows, so here they are as text. Run \`/coffee admin\` again for the form.\n\n${describeSettings(settings, defaults)}\n\n${usage}`,
    };
  }
  return { text: 'Opening the CoffeeBuddy settings for this channel…' };
}

async function adminLog(command: SlashCommand, pageText: string, deps: SlashCommandDeps): Promise<EphemeralReply> {
  if (!/^[1-9]\d{0,3}$/.test(pageText)) return { text: `\`${pageText}\` is not a page number. Try \`/coffee admin log\` or \`/coffee admin log 2\`.` };
  const page = Number(pageText);
  const pageSize = 15;
  const { entries, total } = await listAdminActions(deps.sql, command.channel_id, page, pageSize);
  if (entries.length === 0) return { text: page === 1 ? 'No admin actions here yet.' : `There is no page ${page}.` };
  const defaults = settingDefaults(deps.config);
  const lines = entries.map((entry) => `• ${slackDateTime(entry.createdAt)}: ${describeAdminAction(entry, defaults)}`);
  const pages = Math.ceil(total / pageSize);
  return { text: [`*Admin log* (page ${page} of ${pages}, newest first)`, ...lines].join('\n') };
}

async function resetPrompt(command: SlashCommand, deps: SlashCommandDeps): Promise<EphemeralReply> {
  if (await hasOpenRun(deps.sql, command.channel_id)) {
    return {
      text: "There's an open coffee run here. Close or cancel it first; then `/coffee admin reset` deletes this channel's runs, orders, preferences and stats.",
    };
  }
  const text =
    ":warning: This deletes this channel's coffee runs, orders, saved orders and stats. Settings and the admin log stay. The button works for 5 minutes.";
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      {
        type: 'actions',
        elements: [
          expiringDangerButton({
            label: 'Reset this channel',
            actionId: adminResetConfirmAction,
            minutes: 5,
            now: deps.now(),
            confirm: {
              title: { type: 'plain_text', text: 'Reset CoffeeBuddy?' },
              text: { type: 'mrkdwn', text: 'All runs, orders and stats of this channel are deleted for good.' },
              confirm: { type: 'plain_text', text: 'Reset' },
              deny: { type: 'plain_text', text: 'Keep' },
            },
          }),
        ],
      },
    ],
  };
}
