import { channelEvent } from '../events/cloud-event.ts';
import { z } from 'zod';
import { adminMaxFairnessWindowRuns } from '../config.ts';
import type { Pool } from '../db/client.ts';
import type { Emit } from '../events/outbox.ts';
import type { SlackPort } from '../slack/port.ts';
import { mention } from '../slack/text.ts';
import type { SettingDefaults } from './admin-log.ts';
import { lockChannelSettings, recordAdminAction, saveChannelSettings, type ChannelSettings } from './channel-admin-queries.ts';
import { cancelRunIn, findOpenControlledRun, isWorkspaceAdmin, type ControlledRun } from './run-control.ts';

export type { ChannelSettings };

/** What every `/coffee` form but help, admin and forget-me, and every button, answers in a disabled channel. */
export const disabledText = 'CoffeeBuddy is disabled in this channel. A channel admin can turn it back on with `/coffee admin enable`.';

/** The ranges admins may choose from, set per deployment (env). */
export const adminBoundsShape = {
  ADMIN_MAX_REMINDER_OFFSET_MINUTES: z.coerce.number().int().min(0).max(120).default(60),
  ADMIN_MAX_FAIRNESS_WINDOW_RUNS: adminMaxFairnessWindowRuns,
  ADMIN_MAX_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
};
export type AdminBounds = { [K in keyof typeof adminBoundsShape]: number };

/** The numeric settings, their bounds and how people call them. */
export function numericSettings(bounds: AdminBounds) {
  return {
    reminderOffsetMinutes: { label: 'reminder offset (minutes before pickup)', min: 0, max: bounds.ADMIN_MAX_REMINDER_OFFSET_MINUTES },
    lastCallMinutes: { label: 'last call (minutes before a scheduled close)', min: 1, max: 60 },
    fairnessWindowRuns: { label: 'fairness window (runs)', min: 1, max: bounds.ADMIN_MAX_FAIRNESS_WINDOW_RUNS },
    dataRetentionDays: { label: 'retention (days)', min: 1, max: bounds.ADMIN_MAX_RETENTION_DAYS },
  } as const;
}
export type NumericSetting = keyof ReturnType<typeof numericSettings>;

/** A range check in words, or null when the value is allowed. */
export function outOfBounds(setting: NumericSetting, value: number, bounds: AdminBounds): string | null {
  const { label, min, max } = numericSettings(bounds)[setting];
  if (Number.isInteger(value) && value >= min && value <= max) return null;
  return `The ${label} must be a whole number from ${min} to ${max}.`;
}

/** What Slack says of an actor in a channel, asked before any transaction (no row lock held across a Slack call). */
export interface SlackStanding {
  /** A workspace admin or owner (`users.info`). */
  workspaceAdmin: boolean;
  /** The channel's creator (`conversations.info`), or null when Slack cannot say. */
  creator: string | null;
}

export async function standingOf(slack: SlackPort, slackChannelId: string, slackUserId: string): Promise<SlackStanding> {
  const [workspaceAdmin, creator] = await Promise.all([isWorkspaceAdmin(slack, slackUserId), slack.getChannelCreator(slackChannelId).catch(() => null)]);
  return { workspaceAdmin, creator };
}

/** Who may administer the channel, in words, for a refusal. */
export function whoMayAdminister(settings: Pick<ChannelSettings, 'adminSlackUserIds'>, creator: string | null): string {
  const people = [
    ...(creator ? [`${mention(creator)} (who created this channel)`] : []),
    ...settings.adminSlackUserIds.filter((id) => id !== creator).map(mention),
  ];
  return people.length > 0 ? `${people.join(', ')} or a workspace admin` : 'a workspace admin';
}

/**
 * Who may administer the channel, by name, for plain text (a modal's field error), where Slack
 * shows a mention as its raw `<@U…>`. Names come from `users.info` (cached); someone Slack cannot
 * name is left out rather than shown as an id.
 */
export async function whoMayAdministerByName(slack: SlackPort, args: { creator: string | null; admins: readonly string[] }): Promise<string> {
  const nameOf = (id: string) =>
    slack.getUser(id).then(
      (user) => user?.name ?? null,
      () => null,
    );
  const creator = args.creator ? await nameOf(args.creator) : null;
  const admins = await Promise.all(args.admins.filter((id) => id !== args.creator).map(nameOf));
  const people = [...(creator ? [`${creator} (who created this channel)`] : []), ...admins.filter((name): name is string => name !== null)];
  return people.length > 0 ? `${people.join(', ')} or a workspace admin` : 'a channel admin or a workspace admin';
}

/**
 * Whether `slackUserId` may administer this channel's CoffeeBuddy: a workspace admin or owner, the
 * channel's creator, or an admin one of them added. Nobody becomes an admin by being first: a guest
 * in a fresh channel could otherwise take it over. Checked on the server for every action.
 */
export function administers(settings: Pick<ChannelSettings, 'adminSlackUserIds'>, slackUserId: string, standing: SlackStanding): boolean {
  return standing.workspaceAdmin || standing.creator === slackUserId || settings.adminSlackUserIds.includes(slackUserId);
}

/** What changed between two settings, as the audit trail records it: field → { from, to }. */
export function diffSettings(before: ChannelSettings, after: ChannelSettings): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of Object.keys(after) as (keyof ChannelSettings)[]) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) changes[key] = { from: before[key], to: after[key] };
  }
  return changes;
}

export type AdminOutcome =
  | { kind: 'changed'; changes: Record<string, { from: unknown; to: unknown }>; settings: ChannelSettings; canceledRun: boolean }
  /** Disabling with a run open: nothing changed; the admin is asked whether to cancel this run with it. */
  | { kind: 'open_run'; run: ControlledRun }
  | { kind: 'unchanged'; settings: ChannelSettings }
  /** `who` in mrkdwn (mentions); `creator` and `admins` for a plain-text answer ({@link whoMayAdministerByName}). */
  | { kind: 'refused'; who: string; creator: string | null; admins: string[] };

/**
 * Apply a change to a channel's settings, authorized and audited in one transaction: the row is
 * locked, the actor checked against the current admins, the change and its audit row (old → new)
 * committed together, and an event emitted for what happens after. A refusal is audited too.
 * Disabling a channel with a run open changes nothing unless `cancelOpenRun` names that run: then
 * it is canceled in the same transaction (its participants are told in its thread), so a disabled
 * channel never has a run taking orders.
 */
export async function changeChannelSettings(args: {
  sql: Pool;
  slack: SlackPort;
  emit: Emit;
  channel: { slackChannelId: string; slackTeamId: string };
  actorSlackUserId: string;
  action: string;
  now: Date;
  change: (current: ChannelSettings) => ChannelSettings;
  /** The open run the admin agreed to cancel with a disable. */
  cancelOpenRun?: string;
}): Promise<AdminOutcome> {
  // users.info and conversations.info before the transaction: no row lock held across a Slack call.
  const standing = await standingOf(args.slack, args.channel.slackChannelId, args.actorSlackUserId);
  return args.sql.begin(async (tx) => {
    const current = await lockChannelSettings(tx, args.channel, args.now);
    const { id, ...settings } = current;
    const allowed = administers(settings, args.actorSlackUserId, standing);
    const audit = (action: string, changes: Record<string, unknown>) =>
      recordAdminAction(tx, {
        channelId: id,
        slackChannelId: args.channel.slackChannelId,
        actorSlackUserId: args.actorSlackUserId,
        action,
        changes,
        at: args.now,
      });
    if (!allowed) {
      await audit(`refused:${args.action}`, {});
      return {
        kind: 'refused' as const,
        who: whoMayAdminister(settings, standing.creator),
        creator: standing.creator,
        admins: settings.adminSlackUserIds,
      };
    }
    const next = args.change(settings);
    const changes = diffSettings(settings, next);
    if (Object.keys(changes).length === 0) return { kind: 'unchanged' as const, settings };
    // Under the channel's lock: no run starts here until this commits.
    const open = settings.enabled && !next.enabled ? await findOpenControlledRun(tx, args.channel.slackChannelId) : undefined;
    if (open && open.id !== args.cancelOpenRun) return { kind: 'open_run' as const, run: open };
    const canceledRun = open ? (await cancelRunIn(tx, args.emit, open, args.actorSlackUserId, args.now)) === 'canceled' : false;
    await saveChannelSettings(tx, id, next, args.now);
    await audit(args.action, changes);
    await args.emit(
      tx,
      channelEvent('com.coffeebuddy.admin.settings_changed', {
        slackChannelId: args.channel.slackChannelId,
        changedBySlackUserId: args.actorSlackUserId,
        changes,
      }),
    );
    return { kind: 'changed' as const, changes, settings: next, canceledRun };
  });
}

/** The settings as text, with the defaults a null stands for. */
export function describeSettings(settings: ChannelSettings, defaults: SettingDefaults): string {
  const onOff = (value: boolean) => (value ? 'on' : 'off');
  const offset = settings.reminderOffsetMinutes ?? defaults.reminderOffsetMinutes;
  const lastCall = settings.lastCallMinutes ?? defaults.lastCallMinutes;
  const window = settings.fairnessWindowRuns ?? defaults.fairnessWindowRuns;
  return [
    `*CoffeeBuddy here:* ${settings.enabled ? 'enabled' : 'disabled'}`,
    `*Runner reminders:* ${onOff(settings.remindersEnabled)}, ${offset} min before pickup${settings.reminderOffsetMinutes === null ? ' (default)' : ''}`,
    `*Last call:* ${onOff(settings.lastCallEnabled)}, ${lastCall} min before a scheduled close${settings.lastCallMinutes === null ? ' (default)' : ''}`,
    `*Fairness window:* last ${window === 1 ? 'run' : `${window} runs`}${settings.fairnessWindowRuns === null ? ' (default)' : ''}`,
    `*Retention:* ${settings.dataRetentionDays} days`,
    `*Channel admins:* ${settings.adminSlackUserIds.length > 0 ? settings.adminSlackUserIds.map(mention).join(', ') : 'none added'} · the channel's creator and workspace admins always may`,
  ].join('\n');
}

/** Channel defaults for a channel CoffeeBuddy has not seen yet. */
export const defaultChannelSettings: ChannelSettings = {
  enabled: true,
  remindersEnabled: true,
  reminderOffsetMinutes: null,
  lastCallEnabled: true,
  lastCallMinutes: null,
  fairnessWindowRuns: null,
  dataRetentionDays: 90,
  adminSlackUserIds: [],
};

/**
 * Ask for a channel's data to be reset, authorized and audited in one transaction with the event
 * the admin function acts on. An open run blocks it (said, not done).
 */
export async function requestChannelReset(args: {
  sql: Pool;
  slack: SlackPort;
  emit: Emit;
  channel: { slackChannelId: string; slackTeamId: string };
  actorSlackUserId: string;
  now: Date;
}): Promise<'requested' | 'open_run' | { refused: string }> {
  const standing = await standingOf(args.slack, args.channel.slackChannelId, args.actorSlackUserId);
  return args.sql.begin(async (tx) => {
    const { id, ...settings } = await lockChannelSettings(tx, args.channel, args.now);
    const audit = (action: string) =>
      recordAdminAction(tx, {
        channelId: id,
        slackChannelId: args.channel.slackChannelId,
        actorSlackUserId: args.actorSlackUserId,
        action,
        changes: {},
        at: args.now,
      });
    const allowed = administers(settings, args.actorSlackUserId, standing);
    if (!allowed) {
      await audit('refused:reset');
      return { refused: whoMayAdminister(settings, standing.creator) };
    }
    const [open] = await tx`select 1 from runs where channel_id = ${id} and status = 'open' limit 1`;
    if (open) return 'open_run' as const;
    await audit('reset');
    await args.emit(
      tx,
      channelEvent('com.coffeebuddy.channel.reset_requested', {
        slackChannelId: args.channel.slackChannelId,
        requestedBySlackUserId: args.actorSlackUserId,
        requestedAt: args.now.toISOString(),
      }),
    );
    return 'requested' as const;
  });
}
