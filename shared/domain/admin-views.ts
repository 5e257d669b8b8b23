import type { InputBlock, ModalView, PlainTextOption } from '@slack/types';
import type { SlackMessage } from '../slack/port.ts';
import type { SettingDefaults } from './admin-log.ts';
import { openRunText, type ControlledRun } from './run-control.ts';
import { describeSettings, numericSettings, outOfBounds, type AdminBounds, type ChannelSettings, type NumericSetting } from './channel-admin.ts';
import { adminDisableCancelAction, adminSettingsCallbackId } from '../slack/interaction-ids.ts';

/** Disabling with a run open: which run, and a button that cancels it (its thread is told) and disables. */
export function disableOpenRunPrompt(run: ControlledRun): SlackMessage {
  const text = `A coffee run is open here ${openRunText(run)}. Disabling CoffeeBuddy cancels it, and everyone who ordered is told in its thread. Cancel it and disable? (To keep it, do nothing.)`;
  return {
    text,
    blocks: [
      { type: 'section', block_id: 'admin.disable.prompt', text: { type: 'mrkdwn', text } },
      {
        type: 'actions',
        block_id: 'admin.disable.actions',
        elements: [
          {
            type: 'button',
            style: 'danger',
            text: { type: 'plain_text', text: 'Cancel the run and disable' },
            action_id: adminDisableCancelAction,
            value: run.id,
          },
        ],
      },
    ],
  };
}

/** What the admin modal's state looks like (the part of Slack's `view.state.values` it reads). */
export type AdminViewState = Record<
  string,
  Record<string, { value?: string | null | undefined; selected_options?: { value: string }[] | null | undefined; selected_users?: string[] | null | undefined }>
>;

const numberBlocks: Record<string, NumericSetting> = {
  offset: 'reminderOffsetMinutes',
  lastcall_minutes: 'lastCallMinutes',
  window: 'fairnessWindowRuns',
  retention: 'dataRetentionDays',
};
const switches = {
  enabled: 'CoffeeBuddy enabled in this channel',
  reminders: 'Remind the runner before pickup',
  lastcall: 'Last call before a scheduled close',
} as const;

/** The settings modal, filled in with the channel's current values (Block Kit: ≤ 100 blocks, title ≤ 24 chars). */
export function adminSettingsModal(args: { slackChannelId: string; settings: ChannelSettings; defaults: SettingDefaults; bounds: AdminBounds }): ModalView {
  const { settings } = args;
  const option = (value: keyof typeof switches): PlainTextOption => ({ text: { type: 'plain_text', text: switches[value] }, value });
  const on = (['enabled', 'reminders', 'lastcall'] as const).filter((key) =>
    key === 'enabled' ? settings.enabled : key === 'reminders' ? settings.remindersEnabled : settings.lastCallEnabled,
  );
  const limits = numericSettings(args.bounds);
  const values: Record<string, number> = {
    offset: settings.reminderOffsetMinutes ?? args.defaults.reminderOffsetMinutes,
    lastcall_minutes: settings.lastCallMinutes ?? args.defaults.lastCallMinutes,
    window: settings.fairnessWindowRuns ?? args.defaults.fairnessWindowRuns,
    retention: settings.dataRetentionDays,
  };
  const numberInput = (block: string): InputBlock => {
    const setting = limits[numberBlocks[block]!];
    return {
      type: 'input',
      block_id: block,
      label: { type: 'plain_text', text: setting.label.replace(/^./, (c) => c.toUpperCase()) },
      hint: { type: 'plain_text', text: `${setting.min} to ${setting.max}` },
      element: {
        type: 'number_input',
        action_id: 'value',
        is_decimal_allowed: false,
        min_value: String(setting.min),
        max_value: String(setting.max),
        initial_value: String(values[block]),
      },
    };
  };
  return {
    type: 'modal',
    callback_id: adminSettingsCallbackId,
    private_metadata: JSON.stringify({ slackChannelId: args.slackChannelId }),
    title: { type: 'plain_text', text: 'CoffeeBuddy settings' },
    submit: { type: 'plain_text', text: 'Save' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      // A label is plain text, where a channel mention would show as `<#C…>`: the channel goes in mrkdwn.
      { type: 'section', block_id: 'channel', text: { type: 'mrkdwn', text: `Settings for <#${args.slackChannelId}>` } },
      {
        type: 'input',
        block_id: 'switches',
        optional: true,
        label: { type: 'plain_text', text: 'In this channel' },
        element: {
          type: 'checkboxes',
          action_id: 'value',
          options: (['enabled', 'reminders', 'lastcall'] as const).map(option),
          ...(on.length > 0 ? { initial_options: on.map(option) } : {}),
        },
      },
      ...Object.keys(numberBlocks).map(numberInput),
      {
        type: 'input',
        block_id: 'admins',
        optional: true,
        label: { type: 'plain_text', text: 'Channel admins' },
        hint: { type: 'plain_text', text: 'They (and workspace admins) may change these settings.' },
        element: { type: 'multi_users_select', action_id: 'value', initial_users: settings.adminSlackUserIds, max_selected_items: 100 },
      },
    ],
  };
}

/**
 * The settings as someone who may not change them sees them: the same values, no inputs and no
 * Save, and who can change them. Sections are mrkdwn, so people's names render (a plain-text label
 * would show `<@U…>`).
 */
export function adminSettingsReadOnlyView(args: {
  slackChannelId: string;
  settings: ChannelSettings;
  defaults: SettingDefaults;
  /** Who may change them, in mrkdwn (`whoMayAdminister`). */
  who: string;
}): ModalView {
  return {
    type: 'modal',
    title: { type: 'plain_text', text: 'CoffeeBuddy settings' },
    close: { type: 'plain_text', text: 'Close' },
    blocks: [
      { type: 'section', block_id: 'channel', text: { type: 'mrkdwn', text: `Settings for <#${args.slackChannelId}>` } },
      { type: 'section', block_id: 'settings', text: { type: 'mrkdwn', text: describeSettings(args.settings, args.defaults) } },
      {
        type: 'context',
        block_id: 'who',
        elements: [{ type: 'mrkdwn', text: `Only ${args.who} can change these. Ask one of them if something should be different.` }],
      },
    ],
  };
}

/** The submitted modal as settings, or field errors keyed by block id (`response_action: errors`). */
export function parseAdminSubmission(
  state: AdminViewState,
  bounds: AdminBounds,
  defaults: SettingDefaults,
): { ok: true; apply: (current: ChannelSettings) => ChannelSettings } | { ok: false; errors: Record<string, string> } {
  const checked = new Set((state.switches?.value?.selected_options ?? []).map((o) => o.value));
  const errors: Record<string, string> = {};
  const numbers: Partial<Record<NumericSetting, number>> = {};
  for (const [block, setting] of Object.entries(numberBlocks)) {
    const text = state[block]?.value?.value ?? '';
    const n = /^\d{1,6}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
    const problem = outOfBounds(setting, n, bounds);
    if (problem) errors[block] = problem;
    else numbers[setting] = n;
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const admins = [...new Set(state.admins?.value?.selected_users ?? [])];
  return {
    ok: true,
    apply: (current) => ({
      ...current,
      enabled: checked.has('enabled'),
      remindersEnabled: checked.has('reminders'),
      lastCallEnabled: checked.has('lastcall'),
      // A default left as shown stays "the default", so a later change of the default applies.
      reminderOffsetMinutes: keepDefault(current.reminderOffsetMinutes, numbers.reminderOffsetMinutes!, defaults.reminderOffsetMinutes),
      lastCallMinutes: keepDefault(current.lastCallMinutes, numbers.lastCallMinutes!, defaults.lastCallMinutes),
      fairnessWindowRuns: keepDefault(current.fairnessWindowRuns, numbers.fairnessWindowRuns!, defaults.fairnessWindowRuns),
      dataRetentionDays: numbers.dataRetentionDays ?? current.dataRetentionDays,
      adminSlackUserIds: admins,
    }),
  };
}

function keepDefault(current: number | null, submitted: number, fallback: number): number | null {
  return current === null && submitted === fallback ? null : submitted;
}
