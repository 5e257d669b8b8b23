import { pingDb } from '../../shared/db/client.ts';
import { jsonError, type HttpResponse } from '../../shared/http/types.ts';
import { slackRoute } from '../../shared/slack/ingress.ts';
import { handleSlashCommand } from '../../shared/coffee-command/handler.ts';
import { databaseSlowReply, databaseUnavailableReply, genericFailureReply, type EphemeralReply } from '../../shared/coffee-command/messages.ts';
import { parseSlashCommand, type RunStartDeps, type SlashCommand } from '../../shared/coffee-command/schema.ts';

/**
 * `POST /slack/commands`: answer Slack within its 3 s window. If the work outlives
 * `SLACK_ACK_DEADLINE_MS`, Slack gets an empty 200 now and the reply goes to the command's
 * `response_url` when ready (https://api.slack.com/interactivity/slash-commands#responding_response_url).
 */
export const handleCommandRequest = slackRoute<SlashCommand, EphemeralReply | null, RunStartDeps>({
  kind: 'slash',
  parse(form, request, deps) {
    const parsed = parseSlashCommand(form);
    if (parsed.ok) return { ok: true, input: parsed.command, logFields: { channel: parsed.command.channel_id } };
    if (parsed.reply) {
      deps.log.info('slash command text refused', { requestId: request.requestId, reason: parsed.reason });
      return { ok: false, answer: toSlackResponse(parsed.reply) };
    }
    deps.log.warn('malformed slash command', { requestId: request.requestId, fields: parsed.fields });
    return { ok: false, answer: jsonError(400, 'validation', 'Malformed slash command payload') };
  },
  handle: handleSlashCommand,
  answer: toSlackResponse,
  failed: (_command, databaseUnavailable) => (databaseUnavailable ? databaseUnavailableReply : genericFailureReply),
  async late(command, work, deps) {
    // If the database is what hangs (a partition holds queries until it heals), say so now; the
    // command may still complete, and its answer follows at response_url.
    const databaseAnswers = await pingDb(deps.sql, 250);
    deps.log.warn('slash command slower than the ack deadline; replying via response_url', { databaseAnswers });
    void work.then(async (reply) => {
      if (!reply) return;
      await deps.slack.respond(command.response_url, { ...reply, responseType: 'ephemeral' }).catch((error: unknown) => {
        deps.log.error('response_url reply failed', { error });
      });
    });
    return databaseAnswers ? { status: 200 } : toSlackResponse(databaseSlowReply);
  },
});

function toSlackResponse(reply: EphemeralReply | null): HttpResponse {
  if (!reply) return { status: 200 };
  return { status: 200, body: { response_type: 'ephemeral', text: reply.text, ...(reply.blocks ? { blocks: reply.blocks } : {}) } };
}
