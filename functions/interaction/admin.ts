import { z } from 'zod';
import { disableOpenRunPrompt, parseAdminSubmission, type AdminViewState } from '../../shared/domain/admin-views.ts';
import { changeChannelSettings, describeSettings, requestChannelReset, whoMayAdministerByName } from '../../shared/domain/channel-admin.ts';
import { describeChange, settingDefaults } from '../../shared/domain/admin-log.ts';
import { listed } from '../../shared/text.ts';
import type { InteractionDeps } from './orders.ts';
import type { BlockActionsPayload, ViewSubmissionPayload, ViewSubmissionResponse } from './schema.ts';
import { teamOf } from './schema.ts';
import { canceledText } from '../../shared/domain/run-control.ts';
import { buttonExpired } from '../../shared/slack/expiring-button.ts';

const metadataSchema = z.object({ slackChannelId: z.string().regex(/^[A-Z0-9]{1,64}$/) });

/** The admin settings modal submitted: bounds checked, the actor authorized again, changes audited. */
export async function handleAdminSubmission(payload: ViewSubmissionPayload, deps: InteractionDeps): Promise<ViewSubmissionResponse> {
  let metadata: z.infer<typeof metadataSchema>;
  try {
    metadata = metadataSchema.parse(JSON.parse(payload.view.private_metadata));
  } catch {
    return { response_action: 'errors', errors: { switches: 'This settings form is out of date. Run `/coffee admin` again.' } };
  }
  const defaults = settingDefaults(deps.config);
  const parsed = parseAdminSubmission(payload.view.state.values as AdminViewState, deps.config, defaults);
  if (!parsed.ok) return { response_action: 'errors', errors: parsed.errors };
  const outcome = await changeChannelSettings({
    sql: deps.sql,
    slack: deps.slack,
    emit: deps.emit,
    channel: { slackChannelId: metadata.slackChannelId, slackTeamId: teamOf(payload) },
    actorSlackUserId: payload.user.id,
    action: 'settings',
    now: deps.now(),
    change: parsed.apply,
  });
  if (outcome.kind === 'refused') {
    // A field error is plain text, where a mention shows as `<@U…>`: people are named.
    const who = await whoMayAdministerByName(deps.slack, outcome);
    return { response_action: 'errors', errors: { switches: `Only ${who} can change these settings now, so nothing was saved.` } };
  }
  if (outcome.kind === 'open_run') {
    // A modal's errors are plain text and have no buttons: the question goes to the channel as an ephemeral.
    await deps.slack
      .postEphemeral({ channel: metadata.slackChannelId, user: payload.user.id, ...disableOpenRunPrompt(outcome.run) })
      .catch((error: unknown) => deps.log.warn('disable prompt not delivered', { error }));
    return {
      response_action: 'errors',
      errors: { switches: 'A coffee run is open here, so nothing was saved. Keep CoffeeBuddy on, or see the question in the channel about canceling the run.' },
    };
  }
  const text =
    outcome.kind === 'changed'
      ? `Settings saved: you ${listed(Object.entries(outcome.changes).map(([field, change]) => describeChange(field, change, defaults)))}.\n${describeSettings(outcome.settings, defaults)}`
      : 'Nothing changed: the settings were already as you saved them.';
  await deps.slack.postEphemeral({ channel: metadata.slackChannelId, user: payload.user.id, text }).catch((error: unknown) => {
    deps.log.warn('settings confirmation not delivered', { error });
  });
  return null;
}

/** "Cancel the run and disable" (from `/coffee admin disable` with a run open): both, in one transaction, if still allowed. */
export async function handleDisableCancelRun(payload: BlockActionsPayload, deps: InteractionDeps, tell: (text: string) => Promise<void>): Promise<void> {
  const channel = payload.channel?.id;
  if (!channel) return;
  const outcome = await changeChannelSettings({
    sql: deps.sql,
    slack: deps.slack,
    emit: deps.emit,
    channel: { slackChannelId: channel, slackTeamId: teamOf(payload) },
    actorSlackUserId: payload.user.id,
    action: 'disable',
    now: deps.now(),
    change: (settings) => ({ ...settings, enabled: false }),
    cancelOpenRun: payload.actions[0]!.value ?? '',
  });
  if (outcome.kind === 'refused') return tell(`Only ${outcome.who} can change CoffeeBuddy's settings here. Nothing was changed.`);
  if (outcome.kind === 'unchanged') return tell('CoffeeBuddy is already disabled in this channel.');
  // Another run was started meanwhile: ask again about that one.
  if (outcome.kind === 'open_run') return tell(disableOpenRunPrompt(outcome.run).text);
  if (outcome.canceledRun) deps.metrics.runsTotal.inc({ status: 'canceled' });
  deps.log.info('channel disabled', { channel, by: payload.user.id, canceledRun: outcome.canceledRun });
  const canceled = outcome.canceledRun ? `${canceledText} ` : '';
  return tell(`${canceled}CoffeeBuddy is now disabled in this channel. Turn it back on with \`/coffee admin enable\`.`);
}

/** Reset confirmed (the button from `/coffee admin reset`, valid 5 minutes). */
export async function handleResetConfirm(payload: BlockActionsPayload, deps: InteractionDeps, tell: (text: string) => Promise<void>): Promise<void> {
  const action = payload.actions[0]!;
  const channel = payload.channel?.id;
  if (!channel) return;
  if (buttonExpired(action.value, deps.now())) {
    return tell('This reset button has expired (it works for 5 minutes). Run `/coffee admin reset` again.');
  }
  const outcome = await requestChannelReset({
    sql: deps.sql,
    slack: deps.slack,
    emit: deps.emit,
    channel: { slackChannelId: channel, slackTeamId: teamOf(payload) },
    actorSlackUserId: payload.user.id,
    now: deps.now(),
  });
  if (outcome === 'open_run') return tell("There's an open coffee run here now. Close or cancel it first, then reset.");
  if (typeof outcome === 'object') return tell(`Only ${outcome.refused} can reset CoffeeBuddy here. Nothing was changed.`);
  deps.log.info('channel reset requested', { channel, by: payload.user.id });
  return tell("Resetting this channel's CoffeeBuddy data. A notice follows in the channel.");
}
