import { coffeeCommand, handleSlashCommand } from '../../shared/coffee-command/handler.ts';
import { subcommands } from '../../shared/coffee-command/suggest.ts';
import type { InteractionRouteDeps } from './orders.ts';
import type { BlockActionsPayload } from './schema.ts';
import { teamOf } from './schema.ts';

/** What the user sees in place of the "Did you mean …?" once the run's own message is the answer. */
const runStartedText = 'Your coffee run is started: order from its message in the channel.';

/**
 * A button on the "Did you mean …?" answer to `/coffee`: run the suggested subcommand, or start
 * the run as typed. Both go through the same code as the typed command, as the clicking user, and
 * the answer replaces the suggestion at its response_url (ephemeral, like the command's own answer).
 */
export async function handleSuggestionAction(
  payload: BlockActionsPayload,
  deps: InteractionRouteDeps,
  tell: (text: string) => Promise<void>,
  asTypedRun: boolean,
): Promise<void> {
  const action = payload.actions[0]!;
  const text = action.value ?? '';
  const channel = payload.channel?.id;
  const first = text.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  // The value is ours; one that names no subcommand is not from our button, and never starts a run.
  if (!channel || (!asTypedRun && !(subcommands as readonly string[]).includes(first))) {
    deps.log.info('suggestion button with an unusable value', { actionId: action.action_id, hasChannel: Boolean(channel) });
    return;
  }
  deps.log.info('suggestion button', { actionId: action.action_id, user: payload.user.id });
  const reply = await handleSlashCommand(
    {
      team_id: teamOf(payload),
      channel_id: channel,
      user_id: payload.user.id,
      command: coffeeCommand,
      text,
      // Slack sends a response_url with clicks on message buttons; without one, answers go ephemerally.
      response_url: payload.response_url ?? 'http://127.0.0.1:9/no-response-url',
      trigger_id: payload.trigger_id,
    },
    deps,
    { asTypedRun },
  );
  const message = reply ?? { text: runStartedText };
  if (!payload.response_url) return tell(message.text);
  try {
    await deps.slack.respond(payload.response_url, { ...message, responseType: 'ephemeral', replaceOriginal: true });
  } catch (error) {
    deps.log.warn('suggestion answer not delivered at response_url; posting it ephemerally', { error });
    await tell(message.text);
  }
}
