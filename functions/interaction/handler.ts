import type { OrderSpec } from '../../shared/domain/orders.ts';
import { orderModal, orderModalMetadata, parseOrderSubmission, type OrderModalMetadata } from './modal.ts';
import { confirmation, recordOrder, refusalFor, withdrawOrder, type InteractionDeps, type InteractionRouteDeps } from './orders.ts';
import { disabledFor, findActiveOrder, findLastOrder, findRunInChannel, findUsuals, type ChannelRun } from './queries.ts';
import { disabledText } from '../../shared/domain/channel-admin.ts';
import { runDetails } from '../../shared/domain/run-life.ts';
import { isRunId } from '../../shared/domain/run-queries.ts';
import {
  handleCancelRun,
  handleCannotGo,
  handleCloseRun,
  handleConfirmCancel,
  handleConfirmVolunteer,
  handleMarkDone,
  handleTakeRun,
  handleVolunteer,
  handleWithdrawVolunteer,
} from './run-actions.ts';
import { ratingButton } from './feedback.ts';
import { ratings } from '../../shared/domain/feedback-prompt.ts';
import { isTriggerRefusal, type SlackMessage } from '../../shared/slack/port.ts';
import type { BlockActionsPayload, ViewSubmissionPayload, ViewSubmissionResponse } from './schema.ts';
import { teamOf } from './schema.ts';
import {
  adminDisableCancelAction,
  adminResetConfirmAction,
  adminSettingsCallbackId,
  forgetMeConfirmAction,
  historyDetailsAction,
  orderModalCallbackId,
  ratingActions,
  runActions,
  suggestionActions,
  thumbActions,
} from '../../shared/slack/interaction-ids.ts';

/**
 * How long an interaction waits for the run-message refresh before answering: Slack needs the
 * answer within 3 s, and the refresh goes on in the background after this.
 */
const refreshBudgetMs = 500;

interface Actor {
  slackUserId: string;
  slackTeamId: string;
}

const actorOf = (payload: { user: { id: string; team_id?: string | undefined }; team?: { id: string } | null | undefined }): Actor => ({
  slackUserId: payload.user.id,
  slackTeamId: teamOf(payload),
});

/** The thread of the clicked message when it is a reply in one; a thread's parent is not. */
function replyThread(payload: BlockActionsPayload): string | undefined {
  const ts = payload.container?.message_ts ?? payload.message?.ts;
  const threadTs = payload.container?.thread_ts ?? payload.message?.thread_ts;
  return threadTs && threadTs !== ts ? threadTs : undefined;
}

/** How a button's handler answers the person who clicked: ephemerally, where they clicked. */
type Tell = (text: string) => Promise<void>;
type ActionHandler = (payload: BlockActionsPayload, deps: InteractionRouteDeps, tell: Tell) => Promise<void>;

/** The order buttons act on the clicked run, once it is known to take orders. */
type OrderAction = (run: ChannelRun, actor: Actor, payload: BlockActionsPayload, deps: InteractionDeps, tell: Tell) => Promise<void>;

/** `closedRefusal`: the answer on a closed run, when it is not the usual one. */
const orderButton =
  (act: OrderAction, closedRefusal?: string): ActionHandler =>
  async (payload, deps, tell) => {
    const action = payload.actions[0]!;
    const channel = payload.channel?.id;
    const run = channel && action.value ? await findRunInChannel(deps.sql, action.value, channel) : undefined;
    const refusal = closedRefusal && run?.status === 'closed' ? closedRefusal : refusalFor(run);
    if (refusal || !run) {
      deps.log.info('action on a run that takes no orders', { actionId: action.action_id, runId: run?.id, status: run?.status });
      await tell(refusal ?? '');
      return;
    }
    const actor = actorOf(payload);
    const log = deps.log.child({ runId: run.id });
    log.info('button', { actionId: action.action_id, user: actor.slackUserId });
    await act(run, actor, payload, { ...deps, log }, tell);
  };

const placeOrderButton: OrderAction = async (run, actor, payload, deps, tell) => {
  const current = await findActiveOrder(deps.sql, run.id, actor.slackUserId);
  const prefill = current?.order ?? (await findLastOrder(deps.sql, actor.slackUserId, run.channelId));
  await openModal(run, actor, payload.trigger_id, deps, tell, prefill);
};

const useLastOrderButton: OrderAction = async (run, actor, payload, deps, tell) => {
  const last = await findLastOrder(deps.sql, actor.slackUserId, run.channelId);
  if (last) {
    await placeAndConfirm(run, actor, last, deps);
    return;
  }
  const notice = "You don't have a last order in this channel yet, so let's set one up. Next time it's one click.";
  await openModal(run, actor, payload.trigger_id, deps, tell, undefined, notice);
};

const withdrawOrderButton: OrderAction = async (run, actor, _payload, deps, tell) => {
  const result = await withdrawOrder(run, actor, deps);
  if (result === null) await tell(withdrawTooLate);
  else if (result.result === 'none') await tell("You don't have an order in this run, so there's nothing to withdraw.");
  else {
    await deps.effects.runSoon([result.effectId], refreshBudgetMs);
    await tell('Your order is withdrawn. Changed your mind? *Place order* again any time before the run closes.');
  }
};

/** Withdraw on a run closed meanwhile: the order stands, and the runner is who can leave it out. */
const withdrawTooLate = "This run is closed, so orders can't be withdrawn any more. If you don't want yours, tell the runner.";

/** Admin's and forget-me's screens are rare: their code loads on first use, out of every cold start. */
const adminButton =
  (name: 'handleResetConfirm' | 'handleDisableCancelRun'): ActionHandler =>
  async (payload, deps, tell) =>
    (await import('./admin.ts'))[name](payload, deps, tell);
const forgetMeButton: ActionHandler = async (payload, deps, tell) => (await import('./forget-me.ts')).handleForgetMeConfirm(payload, deps, tell);

/**
 * The "Did you mean …?" buttons (`asTypedRun`: start the run as typed, else run the suggested
 * subcommand) run /coffee's own code, loaded on their first click so it stays out of every cold start.
 */
const suggestionButton =
  (asTypedRun: boolean): ActionHandler =>
  async (payload, deps, tell) =>
    (await import('./suggestion-actions.ts')).handleSuggestionAction(payload, deps, tell, asTypedRun);

/** *Details* on a `/coffee history` line: the run's life on record, to whoever clicked. */
const handleHistoryDetails: ActionHandler = async (payload, deps, tell) => {
  const details = await runDetails(deps.sql, {
    runId: payload.actions[0]!.value ?? '',
    viewerSlackUserId: payload.user.id,
    slackChannelId: payload.channel?.id ?? null,
  });
  await tell(details?.text ?? "I can't show that run here: it may have been deleted (after the channel's retention period, or by a reset).");
};

/** What a user is told when Slack refused to open their order form for its trigger. */
export const orderFormTooLate =
  "Your order form couldn't open: Slack only allows it within 3 seconds of your click, and that moment passed. Nothing was changed — click *Place order* again.";

async function openModal(run: ChannelRun, actor: Actor, triggerId: string, deps: InteractionDeps, tell: Tell, prefill?: OrderSpec, notice?: string) {
  const usuals = await findUsuals(deps.sql, actor.slackUserId, run.channelId);
  const view = orderModal({
    metadata: { runId: run.id, channelId: run.slackChannelId, usuals },
    ...(prefill ? { prefill } : {}),
    ...(notice ? { notice } : {}),
  });
  // trigger_id expires 3 s after the click and works once, so the modal opens in this request.
  try {
    await deps.slack.openView({ triggerId, view });
  } catch (error) {
    if (!isTriggerRefusal(error)) throw error;
    // Slack closed the window for this click (we were too slow, or it was used): only a new click opens the form.
    deps.log.warn('order form not opened: trigger refused', { runId: run.id, error });
    await tell(orderFormTooLate);
  }
}

/**
 * Record the order, refresh the run message (within a short budget; it is retried in the
 * background if Slack is slow or rate-limited) and confirm ephemerally. True once the order is
 * saved, whatever Slack does after.
 */
async function placeAndConfirm(run: ChannelRun, actor: Actor, order: OrderSpec, deps: InteractionDeps): Promise<boolean> {
  const recorded = await recordOrder(run, actor, order, deps);
  const tell = async (message: SlackMessage) => {
    try {
      await deps.slack.postEphemeral({ channel: run.slackChannelId, user: actor.slackUserId, ...message });
    } catch (error) {
      deps.log.warn('order confirmation not delivered', { error, runId: run.id });
    }
  };
  if (!recorded) {
    await tell({ text: refusalFor({ ...run, status: 'closed' })! });
    return false;
  }
  await deps.effects.runSoon([recorded.effectId], refreshBudgetMs);
  await tell(confirmation(run, order, recorded.change));
  return true;
}

/** Every modal CoffeeBuddy answers, by `callback_id`: adding a modal is adding an entry here. */
const viewHandlers: Readonly<Record<string, (payload: ViewSubmissionPayload, deps: InteractionDeps) => Promise<ViewSubmissionResponse>>> = {
  [orderModalCallbackId]: handleOrderSubmission,
  [adminSettingsCallbackId]: async (payload, deps) => (await import('./admin.ts')).handleAdminSubmission(payload, deps),
};

/** A modal submitted, routed by its callback id: its answer to Slack (field errors, an updated view, or close). */
export async function handleViewSubmission(payload: ViewSubmissionPayload, deps: InteractionDeps): Promise<ViewSubmissionResponse> {
  const callbackId = payload.view.callback_id;
  const handler = Object.hasOwn(viewHandlers, callbackId) ? viewHandlers[callbackId] : undefined;
  if (handler) return handler(payload, deps);
  deps.log.info('view submission not handled by this release', { callbackId });
  return null;
}

/** The order modal submitted: field errors, a "run closed" view, or the order recorded (modal closes). */
async function handleOrderSubmission(payload: ViewSubmissionPayload, deps: InteractionDeps): Promise<ViewSubmissionResponse> {
  let metadata: OrderModalMetadata;
  try {
    metadata = orderModalMetadata.parse(JSON.parse(payload.view.private_metadata));
  } catch {
    deps.log.warn('order modal with unreadable private_metadata');
    return closedView('This order form is out of date. Use *Place order* on the run message again.');
  }
  const parsed = parseOrderSubmission(payload.view.state.values, metadata.usuals);
  if (!parsed.ok) return { response_action: 'errors', errors: parsed.errors };

  if (await disabledFor(deps.sql, { slackChannelId: metadata.channelId, runId: metadata.runId })) return closedView(disabledText);
  const run = await findRunInChannel(deps.sql, metadata.runId, metadata.channelId);
  const actor = actorOf(payload);
  // Whether an order made before the close still stands: then only this change was not saved.
  const notSaved = async () =>
    run && (await findActiveOrder(deps.sql, run.id, actor.slackUserId))
      ? 'Your earlier order stands; this change was not saved.'
      : 'Your order was not recorded.';
  const refusal = refusalFor(run);
  if (refusal || !run) return closedView(refusal ?? '', await notSaved());
  const placed = await placeAndConfirm(run, actor, parsed.order, deps);
  return placed ? null : closedView(refusalFor({ ...run, status: 'closed' })!, await notSaved());
}

function closedView(text: string, outcome = 'Your order was not recorded.'): ViewSubmissionResponse {
  return {
    response_action: 'update',
    view: {
      type: 'modal',
      title: { type: 'plain_text', text: 'Coffee order' },
      close: { type: 'plain_text', text: 'OK' },
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `${text}\n${outcome}` } }],
    },
  };
}

/** Every button CoffeeBuddy answers, by `action_id`: adding a button is adding an entry here. */
const actionHandlers: Readonly<Record<string, ActionHandler>> = {
  [runActions.placeOrder]: orderButton(placeOrderButton),
  [runActions.useLastOrder]: orderButton(useLastOrderButton),
  [runActions.withdrawOrder]: orderButton(withdrawOrderButton, withdrawTooLate),
  [runActions.closeRun]: handleCloseRun,
  [runActions.volunteer]: handleVolunteer,
  [runActions.cancelRun]: handleCancelRun,
  [runActions.volunteerAnyway]: handleConfirmVolunteer,
  [runActions.volunteerToo]: handleConfirmVolunteer,
  [runActions.withdrawVolunteer]: handleWithdrawVolunteer,
  [runActions.confirmCancel]: handleConfirmCancel,
  [runActions.markDone]: handleMarkDone,
  [runActions.cannotGo]: handleCannotGo,
  [runActions.takeRun]: handleTakeRun,
  [adminResetConfirmAction]: adminButton('handleResetConfirm'),
  [adminDisableCancelAction]: adminButton('handleDisableCancelRun'),
  [forgetMeConfirmAction]: forgetMeButton,
  [suggestionActions.runCommand]: suggestionButton(false),
  [suggestionActions.startRun]: suggestionButton(true),
  ...Object.fromEntries(ratings.map((rating) => [ratingActions[rating], ratingButton(rating)])),
  ...Object.fromEntries(Object.entries(thumbActions).map(([actionId, rating]) => [actionId, ratingButton(rating)])),
  [historyDetailsAction]: handleHistoryDetails,
};

/** The answer to a click on a button no entry routes. */
export const unknownButtonText = "Sorry, that button doesn't do anything any more. Use the buttons on the latest message, or try `/coffee help`.";

/**
 * Buttons that still work where CoffeeBuddy is disabled: an admin's own confirmations, and
 * forget-me (a person's data is theirs whatever a channel's switch says).
 */
const worksWhenDisabled: ReadonlySet<string> = new Set([adminResetConfirmAction, adminDisableCancelAction, forgetMeConfirmAction]);

/** A button on the run message or a confirmation, routed by its action id. Answers go to the user ephemerally. */
export async function handleBlockAction(payload: BlockActionsPayload, deps: InteractionRouteDeps): Promise<void> {
  const action = payload.actions[0]!;
  const channel = payload.channel?.id;
  const user = actorOf(payload).slackUserId;
  const threadTs = replyThread(payload);
  // Answers are ephemeral, in the channel (or DM) of the clicked message and in its thread when it
  // is a reply (like the "How was this run?" prompt), else at its response_url. They only report
  // what already happened, so one that Slack does not take changes nothing.
  const tell: Tell = async (text) => {
    try {
      if (channel) await deps.slack.postEphemeral({ channel, user, text, ...(threadTs ? { threadTs } : {}) });
      else if (payload.response_url) await deps.slack.respond(payload.response_url, { text });
    } catch (error) {
      deps.log.warn('ephemeral answer not delivered', { error });
    }
  };
  const handler = Object.hasOwn(actionHandlers, action.action_id) ? actionHandlers[action.action_id] : undefined;
  if (!handler) {
    // Not ours, or from a release that had a button this one has not: never taken for another.
    deps.log.info('button not handled', { actionId: action.action_id });
    await tell(unknownButtonText);
    return;
  }
  // Every button that can change a run carries its id and comes from a channel or DM; the "Did you
  // mean" buttons run /coffee, which checks the channel itself.
  const namesRun = channel !== undefined && action.value !== undefined && isRunId(action.value);
  if (namesRun && !worksWhenDisabled.has(action.action_id) && (await disabledFor(deps.sql, { slackChannelId: channel, runId: action.value! }))) {
    deps.log.info('button in a disabled channel', { actionId: action.action_id });
    await tell(disabledText);
    return;
  }
  await handler(payload, deps, tell);
}
