import type { Button, ConfirmationDialog } from '@slack/types';

/**
 * A danger button for something that cannot be undone (a reset, forget-me), behind Slack's confirm
 * dialog, that works for `minutes`: its value is when it expires, so an old one found later in the
 * conversation does nothing (`buttonExpired`).
 */
export function expiringDangerButton(args: { label: string; actionId: string; minutes: number; now: Date; confirm: ConfirmationDialog }): Button {
  return {
    type: 'button',
    style: 'danger',
    text: { type: 'plain_text', text: args.label },
    action_id: args.actionId,
    value: new Date(args.now.getTime() + args.minutes * 60_000).toISOString(),
    confirm: args.confirm,
  };
}

/** Whether a button from `expiringDangerButton` is past its time (or its value is not a time at all). */
export function buttonExpired(value: string | undefined, now: Date): boolean {
  const expiresAt = new Date(value ?? '');
  return Number.isNaN(expiresAt.getTime()) || now.getTime() > expiresAt.getTime();
}
