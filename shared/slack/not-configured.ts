import { AppError } from '../errors.ts';
import type { SlackPort } from './port.ts';

const refuse = async (): Promise<never> => {
  throw new AppError('internal', 'This function is not configured to call Slack', { retryable: false });
};

/** The Slack port of a function that declares it never calls Slack: any call is a programming error. */
export const slackNotConfigured: SlackPort = {
  postMessage: refuse,
  updateMessage: refuse,
  deleteMessage: refuse,
  postEphemeral: refuse,
  openView: refuse,
  openDirectMessage: refuse,
  getUser: refuse,
  getChannelCreator: refuse,
  respond: refuse,
  findMessage: refuse,
};
