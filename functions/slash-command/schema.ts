import { z } from 'zod';
import { slackIngressConfigShape } from '../../shared/config.ts';

/** What slash-command reads beyond the shared variables. */
export const slashCommandConfig = z.object({
  ...slackIngressConfigShape,
  /** Past this, Slack gets an empty 200 and the answer goes to the command's response_url. */
  SLACK_ACK_DEADLINE_MS: z.coerce.number().int().min(100).max(2900).default(2500),
});
export type SlashCommandConfig = z.infer<typeof slashCommandConfig>;

/** The slash command payload Slack posts (https://api.slack.com/interactivity/slash-commands#app_command_handling). */
export const slashCommandPayload = z.object({
  team_id: z.string().min(1),
  channel_id: z.string().min(1),
  channel_name: z.string().optional(),
  user_id: z.string().min(1),
  user_name: z.string().optional(),
  command: z.string().min(1),
  text: z.string().max(3000).default(''),
  response_url: z.url(),
  trigger_id: z.string().optional(),
});
export type SlashCommand = z.infer<typeof slashCommandPayload>;

/** An answer shown only to the user who typed the command. */
export interface EphemeralReply {
  text: string;
  blocks?: Record<string, unknown>[];
}
