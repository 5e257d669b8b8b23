import { describe, expect, it } from 'vitest';
import { FakeSlack } from '../../test/support/fakes.ts';
import { defaultChannelSettings, describeSettings, diffSettings, administers, standingOf, outOfBounds, whoMayAdminister } from './channel-admin.ts';

const bounds = { ADMIN_MAX_REMINDER_OFFSET_MINUTES: 60, ADMIN_MAX_FAIRNESS_WINDOW_RUNS: 50, ADMIN_MAX_RETENTION_DAYS: 365 };
const defaults = { reminderOffsetMinutes: 5, lastCallMinutes: 5, fairnessWindowRuns: 6 };

describe('outOfBounds', () => {
  it.each([
    ['reminderOffsetMinutes', 0],
    ['reminderOffsetMinutes', 60],
    ['lastCallMinutes', 1],
    ['fairnessWindowRuns', 50],
    ['dataRetentionDays', 365],
  ] as const)('allows %s %i', (setting, value) => {
    expect(outOfBounds(setting, value, bounds)).toBeNull();
  });

  it.each([
    ['reminderOffsetMinutes', 61, 'The reminder offset (minutes before pickup) must be a whole number from 0 to 60.'],
    ['lastCallMinutes', 0, 'The last call (minutes before a scheduled close) must be a whole number from 1 to 60.'],
    ['fairnessWindowRuns', 2.5, 'The fairness window (runs) must be a whole number from 1 to 50.'],
    ['dataRetentionDays', Number.NaN, 'The retention (days) must be a whole number from 1 to 365.'],
  ] as const)('refuses %s %d in words', (setting, value, refusal) => {
    expect(outOfBounds(setting, value, bounds)).toBe(refusal);
  });

  it('follows the deployment’s bounds', () => {
    expect(outOfBounds('fairnessWindowRuns', 50, { ...bounds, ADMIN_MAX_FAIRNESS_WINDOW_RUNS: 20 })).toBe(
      'The fairness window (runs) must be a whole number from 1 to 20.',
    );
  });
});

describe('who may administer', () => {
  const slack = () => new FakeSlack([{ id: 'U8', name: 'Wanda', timeZone: null, isAdmin: true }]);

  const may = async (settings: { adminSlackUserIds: string[] }, user: string, creator?: string) => {
    const fake = slack();
    if (creator) fake.setChannelCreator('C1', creator);
    return administers(settings, user, await standingOf(fake, 'C1', user));
  };

  it('nobody becomes an admin of a fresh channel by being first: only its creator and workspace admins', async () => {
    expect(await may(defaultChannelSettings, 'U9')).toBe(false);
    expect(await may(defaultChannelSettings, 'U9', 'U9')).toBe(true);
    expect(await may(defaultChannelSettings, 'U8')).toBe(true);
    expect(whoMayAdminister(defaultChannelSettings, null)).toBe('a workspace admin');
    expect(whoMayAdminister(defaultChannelSettings, 'U7')).toBe('<@U7> (who created this channel) or a workspace admin');
  });

  it('then the admins they added too, and nobody else', async () => {
    const settings = { adminSlackUserIds: ['U1', 'U2'] };
    expect(await may(settings, 'U2', 'U7')).toBe(true);
    expect(await may(settings, 'U7', 'U7')).toBe(true);
    expect(await may(settings, 'U8')).toBe(true);
    expect(await may(settings, 'U9', 'U7')).toBe(false);
    expect(whoMayAdminister(settings, 'U7')).toBe('<@U7> (who created this channel), <@U1>, <@U2> or a workspace admin');
  });
});

describe('describeSettings and diffSettings', () => {
  it('shows every setting, marking the defaults a channel has not set', () => {
    expect(describeSettings(defaultChannelSettings, defaults)).toBe(
      [
        '*CoffeeBuddy here:* enabled',
        '*Runner reminders:* on, 5 min before pickup (default)',
        '*Last call:* on, 5 min before a scheduled close (default)',
        '*Fairness window:* last 6 runs (default)',
        '*Retention:* 90 days',
        "*Channel admins:* none added · the channel's creator and workspace admins always may",
      ].join('\n'),
    );
  });

  it('shows set values as they are', () => {
    const settings = {
      ...defaultChannelSettings,
      enabled: false,
      remindersEnabled: false,
      reminderOffsetMinutes: 10,
      lastCallMinutes: 3,
      fairnessWindowRuns: 1,
      adminSlackUserIds: ['U1'],
    };
    const text = describeSettings(settings, defaults);
    expect(text).toContain(
      '*CoffeeBuddy here:* disabled\n*Runner reminders:* off, 10 min before pickup\n*Last call:* on, 3 min before a scheduled close\n*Fairness window:* last run\n',
    );
    expect(text).toContain("*Channel admins:* <@U1> · the channel's creator and workspace admins always may");
  });

  it('records only what changed, from and to', () => {
    const after = { ...defaultChannelSettings, fairnessWindowRuns: 8, adminSlackUserIds: ['U1'] };
    expect(diffSettings(defaultChannelSettings, after)).toEqual({ fairnessWindowRuns: { from: null, to: 8 }, adminSlackUserIds: { from: [], to: ['U1'] } });
    expect(diffSettings(after, { ...after, adminSlackUserIds: ['U1'] })).toEqual({});
  });
});
