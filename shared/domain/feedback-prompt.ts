import type { SlackMessage } from '../slack/port.ts';
import { ratingActions } from '../slack/interaction-ids.ts';

/** The ratings a participant can give a completed run, from 1 (poor) to 5 (great). */
export const ratings = [1, 2, 3, 4, 5] as const;
export type Rating = (typeof ratings)[number];

/** The optional prompt posted once in a completed run's thread (see close-run's `showCompleted`). */
export function feedbackPrompt(runId: string): SlackMessage {
  const text = 'How was this run? Rate it from 1 (poor) to 5 (great). Optional, for people who ordered; you can change your rating.';
  return {
    text,
    blocks: [
      { type: 'section', block_id: 'feedback.prompt', text: { type: 'mrkdwn', text } },
      {
        type: 'actions',
        block_id: 'feedback.actions',
        elements: ratings.map((rating) => ({
          type: 'button' as const,
          action_id: ratingActions[rating],
          text: { type: 'plain_text' as const, text: String(rating) },
          value: runId,
        })),
      },
    ],
  };
}
