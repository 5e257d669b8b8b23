import { AppError, toAppError } from '../../shared/errors.ts';
import { jsonError, type HttpRequest, type HttpResponse } from '../../shared/http/types.ts';
import { assertFromSlack, parseForm } from '../../shared/slack/http.ts';
import { handleSlashCommand, type SlashCommandDeps } from './handler.ts';
import { genericFailureReply } from './messages.ts';
import { slashCommandPayload, type EphemeralReply } from './schema.ts';

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
  const parsed = slashCommandPayload.safeParse(parseForm(request.rawBody));
  if (!parsed.success) {
    deps.log.warn('malformed slash command', { requestId: request.requestId, fields: parsed.error.issues.map((i) => i.path.join('.')) });
    return jsonError(400, 'validation', 'Malformed slash command payload');
  }
  const command = parsed.data;
  const log = deps.log.child({ requestId: request.requestId, channel: command.channel_id });
  const work = handleSlashCommand(command, { ...deps, log }).catch((error: unknown): EphemeralReply => {
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

  log.warn('slash command slower than the ack deadline; replying via response_url');
  void work.then(async (reply) => {
    if (!reply) return;
    await deps.slack.respond(command.response_url, { ...reply, responseType: 'ephemeral' }).catch((error: unknown) => {
      log.error('response_url reply failed', { error });
    });
  });
  return { status: 200 };
}

function toSlackResponse(reply: EphemeralReply | null): HttpResponse {
  if (!reply) return { status: 200 };
  return { status: 200, body: { response_type: 'ephemeral', text: reply.text, ...(reply.blocks ? { blocks: reply.blocks } : {}) } };
}
