import type { FunctionDeps } from '../../shared/function.ts';
import { jsonError, type HttpRequest, type HttpResponse } from '../../shared/http/types.ts';
import { assertFromSlack, parseForm } from '../../shared/slack/http.ts';
import { interactionPayload, type InteractionConfig } from './schema.ts';

/**
 * `POST /slack/interactions`. Slack sends `payload=<json>` form-encoded, signed like commands.
 * Ordering and closing arrive in a later release; until then a click is acknowledged and the user
 * is told so at the payload's `response_url`, instead of Slack showing a failed request.
 */
export async function handleInteractionRequest(
  request: HttpRequest,
  deps: FunctionDeps<InteractionConfig>,
): Promise<HttpResponse> {
  try {
    assertFromSlack(request, deps);
  } catch {
    return jsonError(401, 'unauthorized', 'Invalid Slack signature');
  }
  const raw = parseForm(request.rawBody).payload;
  let json: unknown;
  try {
    json = raw === undefined ? undefined : JSON.parse(raw);
  } catch {
    json = undefined;
  }
  const parsed = interactionPayload.safeParse(json);
  if (!parsed.success) {
    deps.log.warn('malformed interaction payload', { requestId: request.requestId });
    return jsonError(400, 'validation', 'Malformed interaction payload');
  }
  const { type, actions, response_url: responseUrl } = parsed.data;
  deps.log.info('interaction not available in this release', { type, actionId: actions?.[0]?.action_id });
  if (responseUrl && type === 'block_actions') {
    void deps.slack
      .respond(responseUrl, { text: 'Ordering from the run message is not available in this version of CoffeeBuddy yet.' })
      .catch((error: unknown) => deps.log.warn('response_url reply failed', { error }));
  }
  return { status: 200 };
}
