import { AppError, toAppError } from '../../shared/errors.ts';
import { isDatabaseUnavailable, pingDb } from '../../shared/db/client.ts';
import { jsonError, type HttpRequest, type HttpResponse } from '../../shared/http/types.ts';
import { assertFromSlack, isSslCheck, parseForm } from '../../shared/slack/http.ts';
import { handleSlashCommand, type SlashCommandDeps } from './handler.ts';
import { databaseSlowReply, databaseUnavailableReply, genericFailureReply } from './messages.ts';
import { parseSlashCommand, type EphemeralReply } from './schema.ts';

/**
 * `POST /slack/commands`: verify, validate, then answer Slack within its 3 s window. If the work
 * outlives `SLACK_ACK_DEADLINE_MS`, Slack gets an empty 200 now and the reply goes to the
 * command's `response_url` when ready (https://api.slack.com/interactivity/slash-commands#responding_response_url).
 */
export async function handleCommandRequest(request: HttpRequest, deps: SlashCommandDeps): Promise<HttpResponse> {
  try {
    assertFromSlack(request, deps);
  } catch (error) {
    return jsonError(401, 'unauthorized', (error as AppError).message);
  }
  const form = parseForm(request.rawBody);
  if (isSslCheck(form)) return { status: 200 };
  const parsed = parseSlashCommand(form);
  if (!parsed.ok && parsed.reply) {
    deps.log.info('slash command text refused', { requestId: request.requestId, reason: parsed.reason });
    return toSlackResponse(parsed.reply);
  }
  if (!parsed.ok) {
    deps.log.warn('malformed slash command', { requestId: request.requestId, fields: parsed.fields });
    return jsonError(400, 'validation', 'Malformed slash command payload');
  }
  const command = parsed.command;
  const log = deps.log.child({ requestId: request.requestId, channel: command.channel_id });
  const work = handleSlashCommand(command, { ...deps, log }).catch((error: unknown): EphemeralReply => {
    if (isDatabaseUnavailable(error)) {
      deps.metrics.errorsTotal.inc({ type: 'slash_database_unavailable' });
      log.warn('database unavailable; the user is asked to try again', { error });
      return databaseUnavailableReply;
    }
    const appError = toAppError(error);
    deps.metrics.errorsTotal.inc({ type: `slash_${appError.code}` });
    log.error('slash command failed', { error });
    return genericFailureReply;
  });

  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), deps.config.SLACK_ACK_DEADLINE_MS);
  });
  const first = await Promise.race([work, deadline]);
  clearTimeout(timer);
  if (first !== 'late') return toSlackResponse(first);

  // Still working at the deadline. If the database is what hangs (a partition holds queries until
  // it heals), say so now; the command may still complete, and its answer follows at response_url.
  const databaseAnswers = await pingDb(deps.sql, 250);
  log.warn('slash command slower than the ack deadline; replying via response_url', { databaseAnswers });
  void work.then(async (reply) => {
    if (!reply) return;
    await deps.slack.respond(command.response_url, { ...reply, responseType: 'ephemeral' }).catch((error: unknown) => {
      log.error('response_url reply failed', { error });
    });
  });
  return databaseAnswers ? { status: 200 } : toSlackResponse(databaseSlowReply);
}

function toSlackResponse(reply: EphemeralReply | null): HttpResponse {
  if (!reply) return { status: 200 };
  return { status: 200, body: { response_type: 'ephemeral', text: reply.text, ...(reply.blocks ? { blocks: reply.blocks } : {}) } };
}
