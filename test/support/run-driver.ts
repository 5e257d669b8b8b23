import type { TestStack } from './harness.ts';
import { blockActionBody, slashCommandBody, viewSubmissionBody, type ModalInput } from './slack-requests.ts';

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

/** Drives a coffee run through a test stack the way Slack users would: signed HTTP only. */
export function createRunDriver(stack: TestStack) {
  const driver = {
    /** `/coffee <text>` in a channel; returns the run id it opened. */
    async startRun(channel: string, text = 'in 30m Lobby', userId = 'U001'): Promise<string> {
      const response = await stack.postSigned('/slack/commands', slashCommandBody({ trigger: stack.slack, text, channelId: channel, userId }));
      check(response.status === 200, `expected 200, got ${response.status}`);
      const [run] = await stack.db.sql<{ id: string }[]>`
        select r.id from runs r join channels c on c.id = r.channel_id
        where c.slack_channel_id = ${channel} and r.status = 'open'`;
      return run!.id;
    },
    /** `/coffee <text>` and the ephemeral answer's text ('' for an empty 200). */
    async command(channel: string, text: string, userId = 'U001'): Promise<string> {
      const response = await stack.postSigned('/slack/commands', slashCommandBody({ trigger: stack.slack, text, channelId: channel, userId }));
      check(response.status === 200, `expected 200, got ${response.status}`);
      const body = await response.text();
      return body ? (JSON.parse(body) as { text: string }).text : '';
    },
    /** Click a button carrying the run id on a message in `channel` (the message `on`, when it matters which). */
    async click(userId: string, channel: string, actionId: string, runId: string, on?: { messageTs: string; threadTs?: string }): Promise<void> {
      const response = await stack.postSigned(
        '/slack/interactions',
        blockActionBody({ trigger: stack.slack, userId, channelId: channel, actionId, value: runId, ...on }),
      );
      check(response.status === 200, `expected 200, got ${response.status}`);
    },
    /** The last ephemeral message a user got. */
    lastEphemeral(userId: string): string {
      const calls = stack.slack.callsTo('chat.postEphemeral').filter((c) => c.args.user === userId);
      return String(calls.at(-1)?.args.text ?? '');
    },
    /** Click Place order and return the modal Slack was asked to open. */
    async openModal(userId: string, channel: string, runId: string) {
      const before = stack.slack.callsTo('views.open').length;
      await driver.click(userId, channel, 'order.open', runId);
      const calls = stack.slack.callsTo('views.open');
      check(calls.length === before + 1, 'Slack was not asked to open the order modal');
      return calls.at(-1)!.args.view as { private_metadata: string; blocks: Record<string, unknown>[] };
    },
    /** Submit the order modal; null when it closed (the order was recorded). */
    async submit(userId: string, privateMetadata: string, input: ModalInput) {
      const response = await stack.postSigned('/slack/interactions', viewSubmissionBody({ trigger: stack.slack, userId, privateMetadata, input }));
      check(response.status === 200, `expected 200, got ${response.status}`);
      const text = await response.text();
      return text ? (JSON.parse(text) as { response_action: string; errors?: Record<string, string>; view?: unknown }) : null;
    },
    /** Place an order in one go: open the modal and submit it. */
    async order(userId: string, channel: string, runId: string, input: ModalInput): Promise<void> {
      const modal = await driver.openModal(userId, channel, runId);
      const answer = await driver.submit(userId, modal.private_metadata, input);
      check(answer === null, `order not recorded: ${JSON.stringify(answer)}`);
    },
  };
  return driver;
}
