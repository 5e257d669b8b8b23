import { z } from 'zod';
import { slackIngressConfigShape } from '../../shared/config.ts';

/** What interaction reads beyond the shared variables. */
export const interactionConfig = z.object({
  SLACK_SIGNING_SECRET: slackIngressConfigShape.SLACK_SIGNING_SECRET,
});
export type InteractionConfig = z.infer<typeof interactionConfig>;

/** The fields of an interaction payload this release reads (https://api.slack.com/reference/interaction-payloads). */
export const interactionPayload = z.object({
  type: z.string().min(1),
  user: z.object({ id: z.string().min(1) }),
  response_url: z.url().optional(),
  actions: z.array(z.object({ action_id: z.string() })).optional(),
});
export type InteractionPayload = z.infer<typeof interactionPayload>;
