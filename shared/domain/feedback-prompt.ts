import type { SlackMessage } from '../slack/port.ts';

/** The buttons of the "How was this run?" prompt; each carries the run id as its value. */
export const feedbackActions = { up: 'feedback.up', down: 'feedback.down' } as const;

/** An answer to the prompt, as stored and as the `answer` label of `coffeebuddy_feedback_total`. */
export type FeedbackAnswer = 'up' | 'down';

/** The optional prompt posted once in a completed run's thread (see close-run's `showCompleted`). */
export function feedbackPrompt(runId: string): SlackMessage {
  const text = 'How was this run? (optional; participants only, and you can change your answer)';
  return {
    text,
    blocks: [
      { type: 'section', block_id: 'feedback.prompt', text: { type: 'mrkdwn', text } },
      {
        type: 'actions',
        block_id: 'feedback.actions',
        elements: [
          { type: 'button', action_id: feedbackActions.up, text: { type: 'plain_text', text: ':+1:', emoji: true }, value: runId },
          { type: 'button', action_id: feedbackActions.down, text: { type: 'plain_text', text: ':-1:', emoji: true }, value: runId },
        ],
      },
    ],
  };
}
