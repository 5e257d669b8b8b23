import type { View } from '@slack/types';
import { z } from 'zod';
import { fairnessDefaultsShape, reminderDefaultsShape, slackAckDeadlineMs, slackIngressConfigShape } from '../../shared/config.ts';
import { adminBoundsShape } from '../../shared/domain/channel-admin.ts';
import { slackId, slackText } from '../../shared/slack/fields.ts';
import { isStorableText } from '../../shared/text.ts';
import { viewStateValues } from './modal.ts';

/** What interaction reads beyond the shared variables. */
export const interactionConfig = z.object({
  SLACK_SIGNING_SECRET: slackIngressConfigShape.SLACK_SIGNING_SECRET,
  // The "Did you mean …?" buttons run /coffee's code, which reads a pickup time in this zone.
  DEFAULT_TIME_ZONE: slackIngressConfigShape.DEFAULT_TIME_ZONE,
  SLACK_ACK_DEADLINE_MS: slackAckDeadlineMs,
  ...reminderDefaultsShape,
  ...fairnessDefaultsShape,
  ...adminBoundsShape,
});
export type InteractionConfig = z.infer<typeof interactionConfig>;

// Ids are checked here: a payload whose ids are not Slack's is refused (400) before any query.
const user = z.object({ id: slackId, team_id: slackId.optional() });
const team = z.object({ id: slackId }).nullable().optional();

/**
 * `private_metadata` is ours (the modal was opened with it), so text in it that Postgres could not
 * store means the payload is not from our modal: refused like any malformed payload.
 */
const privateMetadata = z.string().max(3000).refine(metadataIsStorable, 'private_metadata with text that cannot be stored');

function metadataIsStorable(text: string): boolean {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Not JSON at all: the handler answers that the form is out of date.
    return isStorableText(text);
  }
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === 'string' && !isStorableText(item)) return false;
    if (typeof item === 'object' && item !== null) {
      for (const [key, child] of Object.entries(item)) {
        if (!isStorableText(key)) return false;
        pending.push(child);
      }
    }
  }
  return true;
}

/** A button click (https://api.slack.com/reference/interaction-payloads/block-actions). */
export const blockActionsPayload = z.object({
  type: z.literal('block_actions'),
  user,
  team,
  channel: z.object({ id: slackId }).optional(),
  // The clicked message, and its thread when it is a reply (a thread's parent has its own ts as thread_ts).
  container: z.object({ message_ts: slackId.optional(), thread_ts: slackId.optional() }).optional(),
  message: z.object({ ts: slackId, thread_ts: slackId.optional() }).optional(),
  trigger_id: z.string().min(1).max(255),
  response_url: z.url().max(2048).optional(),
  // Block Kit: action_id up to 255 characters, a button value up to 2000.
  actions: z
    .array(z.object({ action_id: slackText(255), value: slackText(2000).optional() }))
    .min(1)
    .max(25),
});
export type BlockActionsPayload = z.infer<typeof blockActionsPayload>;

/** A modal submission (https://api.slack.com/reference/interaction-payloads/views#view_submission). */
export const viewSubmissionPayload = z.object({
  type: z.literal('view_submission'),
  user,
  team,
  view: z.object({
    callback_id: z.string().max(255),
    private_metadata: privateMetadata,
    state: z.object({ values: viewStateValues }),
  }),
});
export type ViewSubmissionPayload = z.infer<typeof viewSubmissionPayload>;

/** A modal closed with Cancel; nothing to do but acknowledge. */
export const viewClosedPayload = z.object({ type: z.literal('view_closed'), user });

export const interactionPayload = z.discriminatedUnion('type', [blockActionsPayload, viewSubmissionPayload, viewClosedPayload]);
export type InteractionPayload = z.infer<typeof interactionPayload>;

/** The Slack team a click or submission came from (the payload's team, else the user's; 'unknown' if Slack sent neither). */
export function teamOf(payload: { user: { team_id?: string | undefined }; team?: { id: string } | null | undefined }): string {
  return payload.team?.id ?? payload.user.team_id ?? 'unknown';
}

/** The answer to a view submission: close (null), field errors, or a replacement view. */
export type ViewSubmissionResponse = null | { response_action: 'errors'; errors: Record<string, string> } | { response_action: 'update'; view: View };
