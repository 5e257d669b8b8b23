import { z } from 'zod';
import type { FunctionDeps, RunStartingDeps } from '../function.ts';
import { fairnessDefaultsShape, reminderDefaultsShape, slackAckDeadlineMs, slackIngressConfigShape } from '../config.ts';
import { adminBoundsShape } from '../domain/channel-admin.ts';
import { slackId, slackText } from '../slack/fields.ts';
import { isStorableText } from '../text.ts';
import { textTooLongReply, unstorableTextReply, type EphemeralReply } from './messages.ts';

/** What slash-command reads beyond the shared variables. */
export const slashCommandConfig = z.object({
  ...slackIngressConfigShape,
  ...reminderDefaultsShape,
  ...fairnessDefaultsShape,
  ...adminBoundsShape,
  SLACK_ACK_DEADLINE_MS: slackAckDeadlineMs,
});
export type SlashCommandConfig = z.infer<typeof slashCommandConfig>;

/** Slack splits a message over 4,000 characters; nothing after `/coffee` needs more (a note is 200). */
export const maxCommandTextChars = 4000;

/**
 * The slash command payload Slack posts (https://api.slack.com/interactivity/slash-commands#app_command_handling).
 * Ids and names are checked here (a payload that fails is not from Slack: 400); the text the user
 * typed is checked by {@link parseSlashCommand}, which answers them.
 */
export const slashCommandPayload = z.object({
  team_id: slackId,
  channel_id: slackId,
  channel_name: slackText(255).optional(),
  user_id: slackId,
  user_name: slackText(255).optional(),
  command: z.string().min(1).max(255),
  text: z.string().default(''),
  response_url: z.url().max(2048),
  trigger_id: z.string().max(255).optional(),
});
export type SlashCommand = z.infer<typeof slashCommandPayload>;

/**
 * Read a form-decoded slash command: the command, or the ephemeral answer for text we cannot take
 * (too long, or characters Postgres cannot store), or the fields that make it no Slack payload.
 */
export function parseSlashCommand(
  form: Record<string, string>,
): { ok: true; command: SlashCommand } | { ok: false; reply: EphemeralReply; reason: string } | { ok: false; reply?: undefined; fields: string[] } {
  const parsed = slashCommandPayload.safeParse(form);
  if (!parsed.success) return { ok: false, fields: parsed.error.issues.map((issue) => issue.path.join('.')) };
  const { text } = parsed.data;
  if (text.length > maxCommandTextChars) {
    return { ok: false, reply: textTooLongReply(text.length, maxCommandTextChars), reason: 'text_too_long' };
  }
  if (!isStorableText(text)) return { ok: false, reply: unstorableTextReply, reason: 'text_not_storable' };
  return { ok: true, command: parsed.data };
}

export type SlashCommandDeps = FunctionDeps<SlashCommandConfig>;
/** What `/coffee` is handed where it may start a run. */
export type RunStartDeps = RunStartingDeps<SlashCommandConfig>;

/** Whether `/coffee` was typed in a DM with the bot (Slack names it `directmessage`; its id starts with D): no runs there. */
export function isDirectMessage(command: Pick<SlashCommand, 'channel_id' | 'channel_name'>): boolean {
  return command.channel_name === 'directmessage' || command.channel_id.startsWith('D');
}
