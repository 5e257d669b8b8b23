import { describe, expect, it } from 'vitest';
import { SlackCallError } from '../../shared/slack/port.ts';
import { capturingLogger, fakeDeps, FakeSlack, fixedClock } from './fakes.ts';

// The fakes' own contract, which the fast tier's tests rely on.

describe('FakeSlack', () => {
  it('records calls in order and answers posts with increasing ts values', async () => {
    const slack = new FakeSlack();
    const first = await slack.postMessage({ channel: 'C1', text: 'one' });
    await slack.updateMessage({ channel: 'C1', ts: first.ts, text: 'one, edited' });
    const second = await slack.postMessage({ channel: 'C1', threadTs: first.ts, text: 'two' });
    expect([first, second]).toEqual([
      { channel: 'C1', ts: '1700000001.000100' },
      { channel: 'C1', ts: '1700000002.000100' },
    ]);
    expect(slack.calls.map((call) => call.method)).toEqual(['postMessage', 'updateMessage', 'postMessage']);
    expect(slack.callsOf('updateMessage')).toEqual([[{ channel: 'C1', ts: first.ts, text: 'one, edited' }]]);
  });

  it('knows only the users it was given, opens DMs and finds nothing posted before', async () => {
    const slack = new FakeSlack([{ id: 'U1', name: 'Ana', timeZone: 'Europe/Berlin', isAdmin: false }]);
    expect(await slack.getUser('U1')).toEqual({ id: 'U1', name: 'Ana', timeZone: 'Europe/Berlin', isAdmin: false });
    expect(await slack.getUser('U2')).toBeNull();
    expect(await slack.openDirectMessage('U1')).toBe('DU1');
    const metadata = { eventType: 'coffeebuddy_post', payload: {} };
    expect(await slack.findMessage({ channel: 'C1', since: new Date(0), metadata })).toBeNull();
  });

  it('fails a method it was told to, still recording the call', async () => {
    const slack = new FakeSlack();
    slack.fail('openView');
    await expect(slack.openView({ triggerId: 't', view: { type: 'modal', title: { type: 'plain_text', text: 't' }, blocks: [] } })).rejects.toMatchObject({
      failure: 'refused',
      slackError: 'fake_failure',
    });
    slack.fail('postEphemeral', new SlackCallError('chat.postEphemeral', 'rate_limited', { retryAfterSeconds: 3 }));
    await expect(slack.postEphemeral({ channel: 'C1', user: 'U1', text: 'hi' })).rejects.toMatchObject({ failure: 'rate_limited' });
    await slack.respond('https://hooks.slack.test/1', { text: 'ok' });
    expect(slack.calls.map((call) => call.method)).toEqual(['openView', 'postEphemeral', 'respond']);
  });
});

describe('fixedClock, capturingLogger and fakeDeps', () => {
  it('gives the same instant every time, in copies', () => {
    const now = fixedClock('2026-11-30T09:00:00Z');
    now().setFullYear(2000);
    expect(now().toISOString()).toBe('2026-11-30T09:00:00.000Z');
  });

  it('keeps every line with its children’s fields', () => {
    const log = capturingLogger();
    log.child({ runId: 'r1' }).child({ step: 2 }).warn('slow', { ms: 5 });
    log.debug('plain');
    expect(log.lines).toEqual([
      { level: 'warn', message: 'slow', fields: { runId: 'r1', step: 2, ms: 5 } },
      { level: 'debug', message: 'plain', fields: {} },
    ]);
  });

  it('refuses the database, the outbox and durable effects with a pointer to the integration tier', async () => {
    const deps = fakeDeps({});
    expect(() => deps.sql`select 1`).toThrow(/not available in the fast test tier/);
    expect(() => deps.sql.begin(async () => undefined)).toThrow(/The database/);
    expect(() => deps.emit.prepare({} as never)).toThrow(/The outbox/);
    expect(() => deps.effects.runSoon([], 0)).toThrow(/Durable effects/);
    expect(() => deps.leasedEffects.leaseUntil(new Date())).toThrow(/Durable effects/);
  });
});
