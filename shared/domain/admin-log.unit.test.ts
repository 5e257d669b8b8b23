import { describe, expect, it } from 'vitest';
import { describeAdminAction, describeChange } from './admin-log.ts';

const defaults = { reminderOffsetMinutes: 5, lastCallMinutes: 10, fairnessWindowRuns: 7 };

describe('the admin log in words', () => {
  it('says each setting the way the settings screen names it, with units, and a default as not set', () => {
    expect(describeChange('enabled', { from: false, to: true }, defaults)).toBe('enabled CoffeeBuddy here');
    expect(describeChange('remindersEnabled', { from: true, to: false }, defaults)).toBe('turned runner reminders off');
    expect(describeChange('lastCallMinutes', { from: 3, to: null }, defaults)).toBe(
      'set last call back to the default, 10 min before a scheduled close (was 3 min)',
    );
    expect(describeChange('lastCallMinutes', { from: null, to: 3 }, defaults)).toBe(
      'set last call to 3 min before a scheduled close (was not set, 10 min by default)',
    );
    expect(describeChange('dataRetentionDays', { from: 90, to: 1 }, defaults)).toBe('set data retention to 1 day (was 90)');
    expect(describeChange('fairnessWindowRuns', { from: 5, to: 1 }, defaults)).toBe('set the fairness window to the last 1 run (was 5)');
    expect(describeChange('fairnessWindowRuns', { from: null, to: 8 }, defaults)).toBe(
      'set the fairness window to the last 8 runs (was not set, 7 by default)',
    );
    expect(describeChange('fairnessWindowRuns', { from: 8, to: null }, defaults)).toBe('set the fairness window back to the default, the last 7 runs (was 8)');
  });

  it('names who became an admin and who stopped being one', () => {
    expect(describeChange('adminSlackUserIds', { from: ['U1'], to: ['U2', 'U3'] }, defaults)).toBe('made <@U2> and <@U3> admins and removed <@U1> as admin');
  });

  it('reads a whole entry as a sentence about its person, refusals and resets included', () => {
    const entry = (action: string, changes = {}) => describeAdminAction({ actorSlackUserId: 'U9', action, changes }, defaults);
    expect(entry('settings', { enabled: { from: true, to: false }, fairnessWindowRuns: { from: 5, to: 8 } })).toBe(
      '<@U9> disabled CoffeeBuddy here and set the fairness window to the last 8 runs (was 5)',
    );
    expect(entry('refused:lastcall minutes')).toBe('<@U9> tried to change when last call goes out (not an admin)');
    expect(entry('refused:reset')).toBe("<@U9> tried to reset this channel's CoffeeBuddy data (not an admin)");
    expect(entry('reset')).toBe("<@U9> reset this channel's CoffeeBuddy data");
  });
});
