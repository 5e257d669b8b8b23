import { describe, expect, it } from 'vitest';
import type { SandboxMessage, SandboxState } from '../protocol.ts';
import {
  composerCommand,
  conversationsFor,
  personLabel,
  problemCount,
  renderConversation,
  renderProblems,
  renderSidebar,
  renderThread,
  viewerContext,
  visibleMessages,
} from './app-view.ts';

const message = (m: Partial<SandboxMessage> & Pick<SandboxMessage, 'id' | 'ts'>): SandboxMessage => ({
  conversationId: 'C01',
  author: 'bot',
  text: '',
  edited: false,
  ...m,
});

const state: SandboxState = {
  version: 3,
  people: [
    { id: 'U01', name: 'Ana Ruiz', realName: 'Ana Ruiz', tz: 'Europe/Berlin', isAdmin: true },
    { id: 'U02', name: 'Ben Carter', realName: 'Ben Carter', tz: 'America/New_York', isAdmin: false },
  ],
  conversations: [
    { id: 'C01', name: '#coffee', kind: 'channel' },
    { id: 'D01', name: 'Ana Ruiz', kind: 'dm', userId: 'U01' },
    { id: 'D02', name: 'Ben Carter', kind: 'dm', userId: 'U02' },
  ],
  messages: [
    message({ id: 'e1', ts: '1796025600.000100', author: 'U01', text: '/coffee 10:30 Lobby' }),
    message({ id: '1796025601.000200', ts: '1796025601.000200', text: 'run <!date^1796034600^{time}|x>', edited: true }),
    message({ id: '1796025700.000300', ts: '1796025700.000300', threadTs: '1796025601.000200', text: 'last call' }),
    message({ id: '1796025800.000400', ts: '1796025800.000400', threadTs: '1796025601.000200', text: 'second reply' }),
    message({ id: 'eph-ana', ts: '1796025900.000500', text: 'help for Ana', ephemeralFor: 'U01' }),
    message({ id: 'eph-ben', ts: '1796025901.000600', text: 'help for Ben', ephemeralFor: 'U02' }),
    message({
      id: 'big',
      ts: '1796025902.000700',
      text: 'x',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'long' } }],
      violations: ['section text over 3000 characters'],
    }),
    message({ id: 'dm', ts: '1796025903.000800', conversationId: 'D02', text: 'You are the runner' }),
  ],
  modals: [],
  problems: [{ at: '2026-11-30T08:00:00Z', method: 'chat.update', problem: 'message_not_found <b>' }],
};
const now = new Date('2026-11-30T12:00:00Z');

describe('what one person sees', () => {
  it('the channel and only their own DMs', () => {
    expect(conversationsFor(state, 'U01').map((c) => c.id)).toEqual(['C01', 'D01']);
    const sidebar = renderSidebar(state, 'U02', 'C01', new Set(['D02']));
    expect(sidebar).toContain('data-testid="conversation-C01"');
    expect(sidebar).toContain('data-testid="conversation-D02"');
    expect(sidebar).not.toContain('conversation-D01');
    expect(sidebar).toMatch(/conv-unread" data-testid="conversation-D02".*unread-dot/s);
  });

  it('ephemeral messages only for whom they are meant, marked', () => {
    expect(visibleMessages(state, 'U01', 'C01').map((m) => m.id)).not.toContain('eph-ben');
    const html = renderConversation(state, 'U01', 'C01', viewerContext(state, 'U01', now));
    expect(html).toContain('help for Ana');
    expect(html).not.toContain('help for Ben');
    expect(html).toMatch(/data-message-id="eph-ana">.*data-testid="ephemeral".*Only visible to you/s);
  });

  it('messages render for the viewer: author, edited marker, dates in their zone', () => {
    const ana = renderConversation(state, 'U01', 'C01', viewerContext(state, 'U01', now));
    const ben = renderConversation(state, 'U02', 'C01', viewerContext(state, 'U02', now));
    expect(ana).toContain('<span class="msg-author">Ana Ruiz</span>');
    expect(ana).toContain('<span class="msg-author">CoffeeBuddy</span><span class="app-badge">APP</span>');
    expect(ana).toContain('<span class="edited">(edited)</span>');
    expect(ana).toContain('>11:30 AM</time>');
    expect(ben).toContain('>5:30 AM</time>');
  });

  it('thread replies collapse under their parent and open in the thread pane', () => {
    const ctx = viewerContext(state, 'U01', now);
    const html = renderConversation(state, 'U01', 'C01', ctx);
    expect(html).not.toContain('last call');
    expect(html).toContain('data-testid="thread-1796025601.000200"');
    expect(html).toContain('<span class="thread-count">2 replies</span>');
    const thread = renderThread(state, 'U01', 'C01', '1796025601.000200', ctx);
    expect(thread).toContain('run ');
    expect(thread).toContain('last call');
    expect(thread).toContain('second reply');
    expect(thread).toContain('<span>2 replies</span>');
  });

  it('the switcher labels people with their zone and admin role', () => {
    expect(personLabel(state.people[0]!)).toBe('Ana Ruiz · Europe/Berlin · admin');
    expect(personLabel(state.people[1]!)).toBe('Ben Carter · America/New_York');
  });
});

describe('problems', () => {
  it('lists refused calls and message violations, escaped', () => {
    expect(problemCount(state)).toBe(2);
    const html = renderProblems(state);
    expect(html).toContain('message_not_found &lt;b&gt;');
    expect(html).toContain('data-message-id="big"');
    expect(html).toContain('section text over 3000 characters');
    const inMessage = renderConversation(state, 'U01', 'C01', viewerContext(state, 'U01', now));
    expect(inMessage).toMatch(/data-message-id="big">.*data-testid="violations".*section text over 3000 characters/s);
  });

  it('says so when there are none', () => {
    expect(renderProblems({ ...state, problems: [], messages: [] })).toContain('No problems');
  });
});

describe('composerCommand', () => {
  it("sends the text after /coffee, and a bare text as /coffee's text", () => {
    expect(composerCommand('  /coffee in 30m Lobby ')).toEqual({ text: 'in 30m Lobby' });
    expect(composerCommand('/COFFEE help')).toEqual({ text: 'help' });
    expect(composerCommand('/coffee')).toEqual({ text: '' });
    expect(composerCommand('history')).toEqual({ text: 'history' });
    expect(composerCommand('   ')).toBeUndefined();
  });

  it('does not send another slash command (or a typo of /coffee) to CoffeeBuddy', () => {
    for (const typed of ['/giphy cats', '/coffe help', '/coffeehelp', '/']) {
      expect(composerCommand(typed)).toEqual({ error: expect.stringContaining('only /coffee') });
    }
  });
});
