/**
 * The sandbox page's Slack-like chrome as HTML: which conversations and messages one person sees
 * (the channel and only their own DMs; ephemeral messages only for whom they are meant), message
 * rows with thread summaries, the thread pane and the problems panel. Kept apart from main.ts and
 * pure, so what each person is shown is tested in node; main.ts only puts it into the document.
 */
import type { SandboxConversation, SandboxMessage, SandboxPerson, SandboxState } from '../protocol.ts';
import { renderBlocks } from './blocks.ts';
import { attrs, escapeHtml } from './html.ts';
import { formatSlackDate, mrkdwn, type MrkdwnContext } from './mrkdwn.ts';

/** The name the bot posts as. */
export const botName = 'CoffeeBuddy';

/** The context mrkdwn needs to render for `userId` at `now`. */
export function viewerContext(state: SandboxState, userId: string, now: Date): MrkdwnContext {
  const viewer = state.people.find((p) => p.id === userId);
  return { people: state.people, conversations: state.conversations, viewerTz: viewer?.tz ?? 'UTC', now };
}

/** The conversations `userId` sees: every channel, and only the DMs with them. */
export function conversationsFor(state: SandboxState, userId: string): SandboxConversation[] {
  return state.conversations.filter((c) => c.kind === 'channel' || c.userId === userId);
}

/** The messages of a conversation `userId` sees, thread replies included, in post order. */
export function visibleMessages(state: SandboxState, userId: string, conversationId: string): SandboxMessage[] {
  return state.messages.filter((m) => m.conversationId === conversationId && (m.ephemeralFor === undefined || m.ephemeralFor === userId));
}

/** A thread reply: it has a parent, and is not the parent itself. */
function isReply(m: SandboxMessage): boolean {
  return m.threadTs !== undefined && m.threadTs !== m.ts;
}

/**
 * What the composer sends for what was typed: the text after `/coffee` (a bare text is taken as
 * `/coffee`'s text, as the hint says), or why nothing is sent. Another slash command (`/giphy`,
 * or a typo such as `/coffe`) is not CoffeeBuddy's: Slack would not send it to this app.
 */
export function composerCommand(typed: string): { text: string } | { error: string } | undefined {
  const raw = typed.trim();
  if (!raw) return undefined;
  const command = /^\/(\S*)/.exec(raw);
  if (!command) return { text: raw };
  if (command[1]!.toLowerCase() !== 'coffee') {
    return { error: `/${command[1]} is not a command in this sandbox: only /coffee is (e.g. /coffee help).` };
  }
  return { text: raw.slice(command[0].length).trim() };
}

/** The person switcher's label: name, zone, and an admin mark. */
export function personLabel(p: SandboxPerson): string {
  return `${p.name} · ${p.tz}${p.isAdmin ? ' · admin' : ''}`;
}

/** The sidebar's conversation links, with an unread dot for those in `unread`. */
export function renderSidebar(state: SandboxState, userId: string, selectedId: string, unread: ReadonlySet<string>): string {
  const link = (c: SandboxConversation) => {
    const dm = c.kind === 'dm';
    const label = dm ? botName : c.name.replace(/^#?/, '');
    return (
      `<button${attrs({
        type: 'button',
        class: `conv${c.id === selectedId ? ' conv-selected' : ''}${unread.has(c.id) ? ' conv-unread' : ''}`,
        'data-testid': `conversation-${c.id}`,
        'data-conversation-id': c.id,
        title: dm ? `Direct messages between ${c.name} and ${botName}` : c.name,
      })}>` +
      `<span class="conv-icon">${dm ? '<span class="presence"></span>' : '#'}</span><span class="conv-name">${escapeHtml(label)}</span>` +
      `${unread.has(c.id) ? '<span class="unread-dot" aria-label="unread"></span>' : ''}</button>`
    );
  };
  const mine = conversationsFor(state, userId);
  const channels = mine
    .filter((c) => c.kind === 'channel')
    .map(link)
    .join('');
  const dms = mine
    .filter((c) => c.kind === 'dm')
    .map(link)
    .join('');
  return (
    `<div class="side-section"><div class="side-heading">Channels</div>${channels}</div>` +
    `<div class="side-section"><div class="side-heading">Direct messages</div>${dms || '<div class="side-empty">No messages from the bot yet</div>'}</div>`
  );
}

/** Drawn, not an emoji: the page must not depend on an emoji font being installed. */
const eyeIcon =
  '<svg class="icon" viewBox="0 0 20 20" aria-hidden="true"><path d="M10 4C5.5 4 2.2 7.4 1 10c1.2 2.6 4.5 6 9 6s7.8-3.4 9-6c-1.2-2.6-4.5-6-9-6Zm0 10a4 4 0 1 1 0-8 4 4 0 0 1 0 8Zm0-2a2 2 0 1 0 0-4 2 2 0 0 0 0 4Z" fill="currentColor"/></svg>';

function initials(name: string): string {
  return name
    .split(/\s+/)
    .map((w) => w[0] ?? '')
    .join('')
    .slice(0, 2)
    .toUpperCase();
}

function avatar(author: string, state: SandboxState): string {
  if (author === 'bot') return '<div class="avatar avatar-bot" aria-hidden="true">☕</div>';
  const name = state.people.find((p) => p.id === author)?.name ?? author;
  const hue = [...author].reduce((sum, c) => (sum * 31 + c.charCodeAt(0)) % 360, 7);
  return `<div class="avatar" aria-hidden="true" style="background:hsl(${hue} 45% 45%)">${escapeHtml(initials(name))}</div>`;
}

/** One message as Slack shows it to the viewer; `replies` adds the "N replies" toggle under a parent. */
export function renderMessage(m: SandboxMessage, state: SandboxState, ctx: MrkdwnContext, replies: readonly SandboxMessage[] = []): string {
  const author = m.author === 'bot' ? botName : (state.people.find((p) => p.id === m.author)?.name ?? m.author);
  const badge = m.author === 'bot' ? '<span class="app-badge">APP</span>' : '';
  const time = formatSlackDate(Number(m.ts), '{time}', ctx) ?? '';
  const blocks = m.blocks && m.blocks.length > 0 ? renderBlocks(m.blocks, ctx, m.id) : `<div class="bk-text">${mrkdwn(m.text, ctx)}</div>`;
  const edited = m.edited ? '<span class="edited">(edited)</span>' : '';
  const ephemeral = m.ephemeralFor ? `<div class="ephemeral" data-testid="ephemeral">${eyeIcon} Only visible to you</div>` : '';
  const violations = m.violations?.length
    ? `<ul class="violations" data-testid="violations">${m.violations.map((v) => `<li>⚠️ ${escapeHtml(v)}</li>`).join('')}</ul>`
    : '';
  const thread = replies.length
    ? `<button${attrs({ type: 'button', class: 'thread-toggle', 'data-testid': `thread-${m.ts}`, 'data-thread-ts': m.ts })}>` +
      `<span class="thread-count">${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}</span>` +
      `<span class="thread-last">Last reply ${escapeHtml(formatSlackDate(Number(replies.at(-1)!.ts), '{date_short_pretty} at {time}', ctx) ?? '')}</span></button>`
    : '';
  return (
    `<article${attrs({ class: `msg${m.ephemeralFor ? ' msg-ephemeral' : ''}${m.violations?.length ? ' msg-violating' : ''}`, 'data-testid': 'message', 'data-message-id': m.id })}>` +
    `${avatar(m.author, state)}<div class="msg-main">${ephemeral}` +
    `<div class="msg-head"><span class="msg-author">${escapeHtml(author)}</span>${badge}<span class="msg-time">${escapeHtml(time)}</span></div>` +
    `<div class="msg-body">${blocks}${edited}</div>${violations}${thread}</div></article>`
  );
}

/** A day divider whenever the (viewer's) day changes. */
function withDayDividers(messages: readonly SandboxMessage[], ctx: MrkdwnContext, row: (m: SandboxMessage) => string): string {
  let day = '';
  return messages
    .map((m) => {
      const thisDay = formatSlackDate(Number(m.ts), '{date_num}', ctx) ?? '';
      const divider =
        thisDay && thisDay !== day
          ? `<div class="day-divider"><span>${escapeHtml(formatSlackDate(Number(m.ts), '{day_divider_pretty}', ctx)!)}</span></div>`
          : '';
      day = thisDay || day;
      return divider + row(m);
    })
    .join('');
}

/** The main pane's message list: top-level messages, replies counted under their parent. */
export function renderConversation(state: SandboxState, userId: string, conversationId: string, ctx: MrkdwnContext): string {
  const messages = visibleMessages(state, userId, conversationId);
  const parents = new Set(messages.filter((m) => !isReply(m)).map((m) => m.ts));
  // A reply whose parent is gone (deleted) stays visible in the channel rather than vanishing.
  const top = messages.filter((m) => !isReply(m) || !parents.has(m.threadTs!));
  if (top.length === 0) return '<div class="empty">No messages here yet. Try <code>/coffee help</code> in #coffee.</div>';
  return withDayDividers(top, ctx, (m) =>
    renderMessage(
      m,
      state,
      ctx,
      messages.filter((r) => isReply(r) && r.threadTs === m.ts),
    ),
  );
}

/** The thread pane: the parent and its replies. */
export function renderThread(state: SandboxState, userId: string, conversationId: string, threadTs: string, ctx: MrkdwnContext): string {
  const messages = visibleMessages(state, userId, conversationId);
  const parent = messages.find((m) => m.ts === threadTs && !isReply(m));
  const replies = messages.filter((m) => isReply(m) && m.threadTs === threadTs);
  const count = `${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}`;
  return (
    `<header class="thread-header"><div><h2>Thread</h2><span class="thread-where">${escapeHtml(state.conversations.find((c) => c.id === conversationId)?.name ?? '')}</span></div>` +
    `<button${attrs({ type: 'button', class: 'icon-button', 'data-testid': 'thread-close', 'aria-label': 'Close thread' })}>×</button></header>` +
    `<div class="thread-body">${parent ? renderMessage(parent, state, ctx) : ''}<div class="thread-divider"><span>${count}</span></div>` +
    `${replies.map((m) => renderMessage(m, state, ctx)).join('')}</div>`
  );
}

/** How many things the problems panel lists. */
export function problemCount(state: SandboxState): number {
  return state.problems.length + state.messages.reduce((n, m) => n + (m.violations?.length ?? 0), 0);
}

/** Calls Slack would have refused and messages that broke Block Kit limits. */
export function renderProblems(state: SandboxState): string {
  const calls = state.problems.map(
    (p) =>
      `<li class="problem"><span class="problem-method">${escapeHtml(p.method)}</span><span class="problem-at">${escapeHtml(p.at)}</span><div>${escapeHtml(p.problem)}</div></li>`,
  );
  const messages = state.messages.flatMap((m) =>
    (m.violations ?? []).map(
      (v) =>
        `<li${attrs({ class: 'problem', 'data-message-id': m.id })}><span class="problem-method">message ${escapeHtml(m.id)}</span>` +
        `<span class="problem-at">${escapeHtml(state.conversations.find((c) => c.id === m.conversationId)?.name ?? m.conversationId)}</span><div>${escapeHtml(v)}</div></li>`,
    ),
  );
  const items = [...calls, ...messages];
  return items.length
    ? `<ul class="problem-list">${items.join('')}</ul>`
    : '<div class="problems-none">No problems: every call so far is one Slack would accept.</div>';
}
