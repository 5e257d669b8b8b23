import { z } from 'zod';
import { slackIngressConfigShape } from '../../shared/config.ts';
import { viewStateValues } from './modal.ts';

/** What interaction reads beyond the shared variables. */
export const interactionConfig = z.object({
  SLACK_SIGNING_SECRET: slackIngressConfigShape.SLACK_SIGNING_SECRET,
});
export type InteractionConfig = z.infer<typeof interactionConfig>;

const user = z.object({ id: z.string().min(1), team_id: z.string().optional() });
const team = z.object({ id: z.string().min(1) }).nullable().optional();

/** A button click (https://api.slack.com/reference/interaction-payloads/block-actions). */
export const blockActionsPayload = z.object({
  type: z.literal('block_actions'),
  user,
  team,
  channel: z.object({ id: z.string().min(1) }).optional(),
  trigger_id: z.string().min(1),
  response_url: z.url().optional(),
  actions: z.array(z.object({ action_id: z.string().max(255), value: z.string().max(2000).optional() })).min(1),
});
export type BlockActionsPayload = z.infer<typeof blockActionsPayload>;

/** A modal submission (https://api.slack.com/reference/interaction-payloads/views#view_submission). */
export const viewSubmissionPayload = z.object({
  type: z.literal('view_submission'),
  user,
  team,
  view: z.object({
    callback_id: z.string(),
    private_metadata: z.string().max(3000),
    state: z.object({ values: viewStateValues }),
  }),
});
export type ViewSubmissionPayload = z.infer<typeof viewSubmissionPayload>;

/** A modal closed with Cancel; nothing to do but acknowledge. */
export const viewClosedPayload = z.object({ type: z.literal('view_closed'), user });

export const interactionPayload = z.discriminatedUnion('type', [blockActionsPayload, viewSubmissionPayload, viewClosedPayload]);
export type InteractionPayload = z.infer<typeof interactionPayload>;

/** The answer to a view submission: close (null), field errors, or a replacement view. */
export type ViewSubmissionResponse =
  | null
  | { response_action: 'errors'; errors: Record<string, string> }
  | { response_action: 'update'; view: Record<string, unknown> };
