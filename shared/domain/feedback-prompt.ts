import type { SlackMessage } from '../slack/port.ts';

/** The ratings a participant can give a completed run, from 1 (poor) to 5 (great). */
export const ratings = [1, 2, 3, 4, 5] as const;
export type Rating = (typeof ratings)[number];

/** The buttons of the "How was this run?" prompt, one per rating; each carries the run id as its value. */
export const ratingActions: Readonly<Record<Rating, string>> = {
  1: 'rating.1',
  2: 'rating.2',
  3: 'rating.3',
  4: 'rating.4',
  5: 'rating.5',
};

/**
 * The 👍 / 👎 buttons of prompts posted before ratings: still in people's threads, so a click on
 * them counts as the ends of the scale, as migration 0018 turned their stored answers.
 */
export const thumbActions: Readonly<Record<string, Rating>> = { 'feedback.up': 5, 'feedback.down': 1 };

/** The rating a button gives, or undefined for any other action id. */
export function ratingOf(actionId: string): Rating | undefined {
  return ratings.find((rating) => ratingActions[rating] === actionId) ?? (Object.hasOwn(thumbActions, actionId) ? thumbActions[actionId] : undefined);
}

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
