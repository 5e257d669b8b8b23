import { describe, expect, it } from 'vitest';
import { SlackCallError } from '../slack/port.ts';
import { FakeSlack } from '../../test/support/fakes.ts';
import { cancelPrompt, refuseControl, type ControlledRun } from './run-control.ts';

const run: ControlledRun = {
  id: '00000000-0000-4000-8000-000000000001',
  slackChannelId: 'C1',
  status: 'open',
  initiatorSlackUserId: 'U1',
  runnerSlackUserId: 'U2',
  adminSlackUserIds: ['U3'],
  closedAt: null,
  note: 'Lobby',
  pickupAt: new Date('2026-11-30T09:30:00Z'),
  timeZone: 'Europe/London',
};
const slack = () =>
  new FakeSlack([
    { id: 'U8', name: 'Wanda', timeZone: 'UTC', isAdmin: true },
    { id: 'U9', name: 'Pat', timeZone: 'UTC', isAdmin: false },
  ]);

describe('refuseControl', () => {
  it.each([
    ['the initiator closes', 'U1', 'close'],
    ['the initiator cancels', 'U1', 'cancel'],
    ['the runner cancels', 'U2', 'cancel'],
    ['a channel admin closes', 'U3', 'close'],
    ['a workspace admin cancels', 'U8', 'cancel'],
  ] as const)('lets %s', async (_who, user, action) => {
    expect(await refuseControl(slack(), run, user, action)).toBeNull();
  });

  it('asks Slack only when the run does not already say who may', async () => {
    const fake = slack();
    await refuseControl(fake, run, 'U3', 'close');
    expect(fake.calls).toEqual([]);
    await refuseControl(fake, run, 'U8', 'close');
    expect(fake.callsOf('getUser')).toEqual([['U8']]);
  });

  it('refuses anyone else, saying who may', async () => {
    expect(await refuseControl(slack(), run, 'U2', 'close')).toBe('Only <@U1> (who started it) or a channel admin can close it.');
    expect(await refuseControl(slack(), run, 'U9', 'cancel')).toBe('Only <@U1> (who started it), <@U2> (its runner) or a channel admin can cancel it.');
    expect(await refuseControl(slack(), { ...run, runnerSlackUserId: null }, 'U9', 'cancel')).toBe(
      'Only <@U1> (who started it) or a channel admin can cancel it.',
    );
  });

  it('refuses when Slack cannot say whether someone is a workspace admin', async () => {
    const fake = slack();
    fake.fail('getUser', new SlackCallError('users.info', 'uncertain'));
    expect(await refuseControl(fake, run, 'U8', 'close')).toMatch(/^Only <@U1>/);
  });
});

describe('cancelPrompt', () => {
  const closed = { ...run, status: 'closed' as const, closedAt: new Date('2026-11-30T09:00:00Z') };

  const pickup = '<!date^1796031000^{time} {date_short_pretty}|09:30 Europe/London>';
  const closedAt = '<!date^1796029200^{time}|2026-11-30 09:00 UTC>';

  it('says which run, who started it, when it closed and who is going, that the runner is told, with a danger button', () => {
    const prompt = cancelPrompt(closed);
    expect(prompt.text).toBe(
      `This run (*Lobby*, pickup ${pickup}) was started by <@U1> and closed at ${closedAt}; <@U2> is going. Cancel it? The runner is told in a DM that there is no need to go.`,
    );
    expect(prompt.blocks?.[1]).toMatchObject({ elements: [{ style: 'danger', action_id: 'run.cancel_confirm', value: run.id }] });
  });

  it('tells `/coffee cancel` that only a run closed today is left: what it is and who started it', () => {
    expect(cancelPrompt({ ...closed, runnerSlackUserId: null, closedAt: null, note: '', pickupAt: null }, { noOpenRun: true }).text).toBe(
      "There's no open coffee run here. Today's last run (no note, no pickup time) was started by <@U1>; nobody is going. Cancel it?",
    );
  });
});
