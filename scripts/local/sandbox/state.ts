import type { EmulatedEphemeral, EmulatedMessage, EmulatorChange, SlackEmulator } from '../emulator.ts';
import { dmConversation, sandboxChannel } from './people.ts';
import type { SandboxConversation, SandboxMessage, SandboxModal, SandboxPerson, SandboxProblem, SandboxState } from './protocol.ts';

/** One view in a person's modal stack. */
export type StackedView = SandboxModal['stack'][number];

/** A message as the sandbox shows it, with what the emulator knows of it (none for local echoes). */
export interface FoundMessage {
  message: SandboxMessage;
  source: EmulatedMessage | EmulatedEphemeral | null;
}

/** How many problems are kept: the newest, so a long session does not grow without bound. */
const maxProblems = 200;

/**
 * What a Slack client would show each local person, kept from the emulator: channel and DM
 * messages (thread replies included), ephemeral messages for their user, each person's modal
 * stack, and the calls Slack would have refused. Messages and ephemerals are read from the
 * emulator on every change; modal stacks follow `views.*` calls through the trigger ids the
 * sandbox issued to each person, and the view submission answers the sandbox applies.
 */
export function createSandboxState(options: { emulator: SlackEmulator; people: readonly SandboxPerson[]; now?: () => Date }) {
  const { emulator, people } = options;
  const now = options.now ?? (() => new Date());
  const conversations: SandboxConversation[] = [sandboxChannel, ...people.map(dmConversation)];
  const conversationIds = new Set(conversations.map((c) => c.id));
  const triggers = new Map<string, string>();
  const modals = new Map<string, StackedView[]>();
  const problems: SandboxProblem[] = [];
  /** Messages only the sandbox has: command echoes, and posts Slack refused (shown with why). */
  const localMessages: SandboxMessage[] = [];
  /** Refused `chat.update`s: the message stays as it was, marked with why the update was refused. */
  const refusedUpdates = new Map<string, string[]>();
  /** When each message id was first seen: messages are listed in post order. */
  const firstSeen = new Map<string, number>();
  const listeners = new Set<() => void>();
  let version = 0;
  let localCounter = 0;

  const sandboxTs = (): string => {
    const ms = now().getTime();
    return `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1000 + (++localCounter % 1000)).padStart(6, '0')}`;
  };

  const fromMessage = (m: EmulatedMessage): SandboxMessage => {
    const violations = refusedUpdates.get(m.ts);
    return {
      id: m.ts,
      conversationId: m.channel,
      ts: m.ts,
      ...(m.thread_ts && m.thread_ts !== m.ts ? { threadTs: m.thread_ts } : {}),
      author: 'bot',
      text: m.text ?? '',
      ...(Array.isArray(m.blocks) ? { blocks: m.blocks } : {}),
      edited: m.edits > 0,
      ...(violations ? { violations } : {}),
    };
  };

  const fromEphemeral = (e: EmulatedEphemeral): SandboxMessage => ({
    id: `ephemeral-${e.ts}`,
    conversationId: e.channel,
    ts: e.ts,
    ...(e.thread_ts ? { threadTs: e.thread_ts } : {}),
    author: 'bot',
    text: e.text ?? '',
    ...(Array.isArray(e.blocks) ? { blocks: e.blocks } : {}),
    edited: e.edits > 0,
    ephemeralFor: e.user,
  });

  /** Every shown message with its emulator source, in post order. */
  const allMessages = (): FoundMessage[] => {
    const found: FoundMessage[] = [
      ...emulator.messages().map((m) => ({ message: fromMessage(m), source: m })),
      ...emulator.ephemerals().map((e) => ({ message: fromEphemeral(e), source: e })),
      ...localMessages.map((message) => ({ message, source: null })),
    ].filter((f) => conversationIds.has(f.message.conversationId));
    for (const f of [...found].sort((a, b) => Number(a.message.ts) - Number(b.message.ts))) {
      if (!firstSeen.has(f.message.id)) firstSeen.set(f.message.id, firstSeen.size);
    }
    return found.sort((a, b) => firstSeen.get(a.message.id)! - firstSeen.get(b.message.id)!);
  };

  const changed = (): void => {
    // Place new messages now, while which came first is still known.
    allMessages();
    version += 1;
    for (const listener of listeners) listener();
  };

  const addProblem = (method: string, problem: string): void => {
    problems.push({ at: now().toISOString(), method, problem });
    problems.splice(0, Math.max(0, problems.length - maxProblems));
  };

  const owner = (viewId: string): StackedView[] | undefined => [...modals.values()].find((stack) => stack.some((v) => v.id === viewId));

  /** Keeps modal stacks and problems in step with what the bot asked Slack to do. */
  const follow = ({ call, answer }: EmulatorChange): void => {
    const args = call.args;
    if (call.violations) {
      for (const violation of call.violations) addProblem(call.method, `Slack would refuse this: ${violation}`);
      const refused = { author: 'bot', text: typeof args.text === 'string' ? args.text : '', edited: false, violations: call.violations };
      const channel = dmChannel(String(args.channel ?? ''));
      const blocks = Array.isArray(args.blocks) ? { blocks: args.blocks } : {};
      if (call.method === 'chat.postMessage') {
        localMessages.push({ id: `refused-${++localCounter}`, conversationId: channel, ts: sandboxTs(), ...refused, ...blocks });
      } else if (call.method === 'chat.postEphemeral') {
        localMessages.push({
          id: `refused-${++localCounter}`,
          conversationId: channel,
          ts: sandboxTs(),
          ...refused,
          ...blocks,
          ephemeralFor: String(args.user),
        });
      } else if (call.method === 'chat.update') {
        refusedUpdates.set(String(args.ts), call.violations);
      }
    } else if (call.method === 'chat.update') {
      refusedUpdates.delete(String(args.ts));
    }
    const view = answer.view as Record<string, unknown> | undefined;
    if (answer.ok === false && typeof answer.error === 'string') {
      addProblem(call.method, `Slack refused the trigger_id (${answer.error}): the modal did not open`);
    } else if (answer.ok === true && view && typeof view.id === 'string') {
      const entry = { id: view.id, view };
      if (call.method === 'views.update') {
        const stack = owner(view.id);
        const index = stack?.findIndex((v) => v.id === view.id) ?? -1;
        if (stack && index >= 0) stack[index] = entry;
      } else {
        const userId = triggers.get(String(args.trigger_id));
        if (!userId) addProblem(call.method, `trigger_id ${String(args.trigger_id)} was issued outside the sandbox, so no one here sees this modal`);
        else if (call.method === 'views.open') modals.set(userId, [entry]);
        else modals.set(userId, [...(modals.get(userId) ?? []), entry]);
      }
    }
    changed();
  };
  const unsubscribe = emulator.subscribe(follow);

  return {
    /** The whole state as the page gets it. */
    snapshot(): SandboxState {
      return {
        version,
        people: [...people],
        conversations,
        messages: allMessages().map((f) => f.message),
        modals: [...modals].filter(([, stack]) => stack.length > 0).map(([userId, stack]) => ({ userId, stack })),
        problems: [...problems],
      };
    },
    /** Calls `listener` after every change. */
    onChange(listener: () => void): () => void {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    person: (id: string): SandboxPerson | undefined => people.find((p) => p.id === id),
    conversation: (id: string): SandboxConversation | undefined => conversations.find((c) => c.id === id),
    /** A message `userId` can see (their own ephemerals, their own DM), by its sandbox id. */
    visibleMessage(userId: string, id: string): FoundMessage | undefined {
      const found = allMessages().find((f) => f.message.id === id);
      if (!found) return undefined;
      const conversation = conversations.find((c) => c.id === found.message.conversationId);
      const hidden = (found.message.ephemeralFor ?? userId) !== userId || (conversation?.userId ?? userId) !== userId;
      return hidden ? undefined : found;
    },
    /** A trigger_id the emulator issued now, remembered as `userId`'s: a `views.open` with it opens their modal. */
    issueTrigger(userId: string): string {
      const trigger = emulator.issueTrigger();
      triggers.set(trigger, userId);
      return trigger;
    },
    /** How Slack shows a slash command before its answer: the command, to its sender only. */
    echo(userId: string, conversationId: string, text: string): void {
      const ts = sandboxTs();
      localMessages.push({ id: `echo-${++localCounter}`, conversationId, ts, author: userId, text, edited: false, ephemeralFor: userId });
      changed();
    },
    /** Tell listeners about a change made in the emulator without a call (a delivered answer). */
    refresh: changed,
    problem(method: string, problem: string): void {
      addProblem(method, problem);
      changed();
    },
    /** `userId`'s modal stack, bottom first (empty when no modal is open). */
    stack: (userId: string): StackedView[] => modals.get(userId) ?? [],
    /** Replace `userId`'s modal stack (an empty one closes the modal). */
    setStack(userId: string, stack: StackedView[]): void {
      modals.set(userId, stack);
      changed();
    },
    close: unsubscribe,
  };
}

export type SandboxStateStore = ReturnType<typeof createSandboxState>;

/** Posting to a user id lands in the DM with that user, as on Slack (and in the emulator). */
function dmChannel(channel: string): string {
  return /^[UW][A-Z0-9]+$/.test(channel) ? `D${channel}` : channel;
}
