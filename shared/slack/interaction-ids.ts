/**
 * Every `action_id` and `callback_id` CoffeeBuddy puts on a button or a modal, in one catalog:
 * whoever builds a button takes its id from here, and the interaction function routes each one by
 * table (functions/interaction/handler.ts: `actionHandlers`, `viewHandlers`). A click on an id not
 * in the tables is answered and logged, never taken for another button.
 */

/** The run message's buttons, and the confirmations and DMs they lead to; each carries the run id as its value. */
export const runActions = {
  placeOrder: 'order.open',
  useLastOrder: 'order.reuse_last',
  withdrawOrder: 'order.withdraw',
  volunteer: 'run.volunteer',
  /** "Volunteer anyway": the confirmation for someone without an order. */
  volunteerAnyway: 'run.volunteer_anyway',
  /** "Be next in line": the confirmation for someone after the first volunteer. */
  volunteerToo: 'run.volunteer_too',
  /** "I can't go after all": withdraw volunteering while the run is open. */
  withdrawVolunteer: 'run.volunteer_withdraw',
  closeRun: 'run.close',
  cancelRun: 'run.cancel',
  /** "Cancel the run": the confirmation for canceling a run that already has its runner. */
  confirmCancel: 'run.cancel_confirm',
  markDone: 'runner.done',
  cannotGo: 'runner.decline',
  /** "I'll take it": anyone in the channel takes a closed run nobody could be picked for. */
  takeRun: 'runner.take',
} as const;

/** `/coffee admin reset`'s confirmation; its value is when it expires. */
export const adminResetConfirmAction = 'admin.reset_confirm';
/** "Cancel the run and disable": `/coffee admin disable` with a run open; its value is that run's id. */
export const adminDisableCancelAction = 'admin.disable_cancel_run';

/** The button of `/coffee forget-me`'s confirmation; its value is when it expires. */
export const forgetMeConfirmAction = 'forget_me.confirm';

/** The button on each `/coffee history` line that shows the run's details; its value is the run id. */
export const historyDetailsAction = 'history.details';

/** Button action ids on the "Did you mean" answer to `/coffee`. */
export const suggestionActions = {
  /** Run the suggested subcommand; the button's value is its text, e.g. `history 2`. */
  runCommand: 'suggest.command',
  /** Start the run as typed; the button's value is the text typed after `/coffee`. */
  startRun: 'suggest.start_run',
} as const;

/** The buttons of the "How was this run?" prompt, one per rating (1 poor to 5 great); each carries the run id as its value. */
export const ratingActions = { 1: 'rating.1', 2: 'rating.2', 3: 'rating.3', 4: 'rating.4', 5: 'rating.5' } as const;

/**
 * The 👍 / 👎 buttons of prompts posted before ratings: still in people's threads, so a click on
 * them counts as the ends of the scale, as migration 0018 turned their stored answers.
 */
export const thumbActions: Readonly<Record<string, 1 | 2 | 3 | 4 | 5>> = { 'feedback.up': 5, 'feedback.down': 1 };

/** The order modal's callback id. */
export const orderModalCallbackId = 'order.submit';
/** The `/coffee admin` settings modal's callback id. */
export const adminSettingsCallbackId = 'admin.settings';

/** Every button's action id, as the interaction function must route them. */
export const actionIds: readonly string[] = [
  ...Object.values(runActions),
  adminResetConfirmAction,
  adminDisableCancelAction,
  forgetMeConfirmAction,
  historyDetailsAction,
  ...Object.values(suggestionActions),
  ...Object.values(ratingActions),
  ...Object.keys(thumbActions),
];

/** Every modal's callback id, as the interaction function must route them. */
export const callbackIds: readonly string[] = [orderModalCallbackId, adminSettingsCallbackId];
