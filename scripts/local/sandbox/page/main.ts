/**
 * The sandbox page's glue to the browser: it follows the server's state stream, puts the pure
 * renderers' HTML into the document, and turns clicks, selections, typed commands and modal
 * submissions into the `/sandbox/api/*` requests of protocol.ts. All markup comes from
 * app-view.ts and blocks.ts; this file holds only what needs the DOM: which person and
 * conversation are shown, keeping what is being typed across re-renders, and the requests.
 */
import {
  SANDBOX_EVENTS_PATH,
  type ActionRequest,
  type ApiAnswer,
  type CloseRequest,
  type CommandRequest,
  type SandboxState,
  type SubmitRequest,
} from '../protocol.ts';
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
import { renderConfirm, renderModal } from './blocks.ts';
import { escapeHtml } from './html.ts';
import { asArray, asObject, asString, collectStateValues, findElement, optionsOf, type InputReading, type Json } from './view-state.ts';

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

const ui = {
  person: byId<HTMLSelectElement>('person-select'),
  personInfo: byId('person-info'),
  sidebar: byId('sidebar-conversations'),
  title: byId('conversation-title'),
  subtitle: byId('conversation-subtitle'),
  messages: byId('messages'),
  thread: byId('thread'),
  composer: byId<HTMLInputElement>('composer'),
  composerHint: byId('composer-hint'),
  modal: byId('modal-root'),
  confirm: byId('confirm-root'),
  problems: byId('problems'),
  problemsList: byId('problems-list'),
  problemsCount: byId('problems-count'),
  status: byId('status'),
  version: byId('state-version'),
  toasts: byId('toasts'),
};

const personKey = 'coffeebuddy.sandbox.person';
let state: SandboxState | undefined;
let me = localStorage.getItem(personKey) ?? '';
let selected = '';
let openThread: string | undefined;
/** What the modal root shows now: re-rendering only when this changes keeps typing intact. */
let shownModal: { key: string; viewId: string; viewJson: string } | undefined;
/**
 * What each person had typed into their open modal when the page switched to someone else, by
 * person and view id: every person has their own Slack client, so switching back keeps it.
 */
const drafts = new Map<string, { viewJson: string; readings: InputReading[] }>();
/** Per person and conversation: how many messages they have seen, for unread dots. */
const seen = new Map<string, number>();
const primed = new Set<string>();
let peopleKey = '';
/** Problems counted at the last render; the panel opens by itself when new ones arrive (not on load). */
let lastProblemCount: number | undefined;

function render(): void {
  if (!state) return;
  const now = new Date();
  renderPeople(state);
  const ctx = viewerContext(state, me, now);
  const mine = conversationsFor(state, me);
  if (!mine.some((c) => c.id === selected)) {
    selected = (mine.find((c) => c.kind === 'channel') ?? mine[0])?.id ?? '';
    openThread = undefined;
  }
  const conversation = mine.find((c) => c.id === selected);

  ui.sidebar.innerHTML = renderSidebar(
    state,
    me,
    selected,
    unreadFor(
      state,
      mine.map((c) => c.id),
    ),
  );
  ui.title.textContent = conversation ? (conversation.kind === 'dm' ? 'CoffeeBuddy' : `# ${conversation.name.replace(/^#/, '')}`) : 'No conversation';
  ui.subtitle.textContent = conversation?.kind === 'dm' ? `Direct messages with ${conversation.name}` : 'Coffee runs for the office';
  ui.composer.placeholder = conversation ? `/coffee … in ${conversation.kind === 'dm' ? 'this DM' : conversation.name}` : '';
  ui.composerHint.innerHTML = `Enter sends <code>/coffee …</code> as <strong>${escapeHtml(state.people.find((p) => p.id === me)?.name ?? me)}</strong>`;

  const list = ui.messages;
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 48;
  const previousConversation = list.dataset.shownConversation;
  list.innerHTML = selected ? renderConversation(state, me, selected, ctx) : '';
  list.dataset.shownConversation = selected;
  if (atBottom || previousConversation !== selected) list.scrollTop = list.scrollHeight;

  const threadOpen = openThread !== undefined && visibleMessages(state, me, selected).some((m) => m.ts === openThread);
  ui.thread.hidden = !threadOpen;
  document.body.classList.toggle('with-thread', threadOpen);
  ui.thread.innerHTML = threadOpen ? renderThread(state, me, selected, openThread!, ctx) : '';

  renderModalRoot(state, ctx);

  const count = problemCount(state);
  ui.problemsCount.textContent = String(count);
  ui.problems.classList.toggle('has-problems', count > 0);
  if (lastProblemCount !== undefined && count > lastProblemCount) ui.problems.classList.add('open');
  lastProblemCount = count;
  ui.problemsList.innerHTML = renderProblems(state);
  ui.version.textContent = `state v${state.version}`;
}

function renderPeople(s: SandboxState): void {
  const key = JSON.stringify(s.people);
  if (key !== peopleKey) {
    ui.person.innerHTML = s.people.map((p) => `<option value="${escapeHtml(p.id)}">${escapeHtml(personLabel(p))}</option>`).join('');
    peopleKey = key;
  }
  if (!s.people.some((p) => p.id === me)) me = s.people[0]?.id ?? '';
  ui.person.value = me;
  const person = s.people.find((p) => p.id === me);
  ui.personInfo.innerHTML = person
    ? `<span class="chip" title="Time zone: dates and times render in it">${escapeHtml(person.tz)}</span>${person.isAdmin ? '<span class="chip chip-admin">admin</span>' : ''}`
    : '';
}

function unreadFor(s: SandboxState, conversationIds: string[]): Set<string> {
  const unread = new Set<string>();
  const firstLook = !primed.has(me);
  primed.add(me);
  for (const id of conversationIds) {
    const key = `${me}|${id}`;
    const count = visibleMessages(s, me, id).length;
    // What was there when this person was first shown counts as read; a conversation that
    // appears later (a first DM) starts unread.
    if (id === selected || (firstLook && !seen.has(key))) seen.set(key, count);
    if (count > (seen.get(key) ?? 0)) unread.add(id);
  }
  return unread;
}

function topView(s: SandboxState) {
  return s.modals.find((m) => m.userId === me)?.stack.at(-1);
}

function renderModalRoot(s: SandboxState, ctx: ReturnType<typeof viewerContext>): void {
  const top = topView(s);
  if (!top) {
    ui.modal.hidden = true;
    ui.modal.innerHTML = '';
    shownModal = undefined;
    return;
  }
  const viewJson = JSON.stringify(top.view);
  const key = JSON.stringify([me, top.id, viewJson, top.errors ?? {}]);
  if (shownModal?.key === key) return;
  // Same view with new errors: keep what was typed. A view replaced by views.update starts from its own initial values.
  const draft = drafts.get(`${me}|${top.id}`);
  drafts.delete(`${me}|${top.id}`);
  const keep =
    shownModal && shownModal.viewId === top.id && shownModal.viewJson === viewJson ? readInputs(ui.modal) : draft?.viewJson === viewJson ? draft.readings : [];
  const focused = focusedInput();
  const newView = shownModal?.viewId !== top.id;
  ui.modal.innerHTML = renderModal(top.id, top.view, top.errors ?? {}, ctx);
  applyReadings(ui.modal, keep);
  ui.modal.hidden = false;
  shownModal = { key, viewId: top.id, viewJson };
  const refocus = focused
    ? ui.modal.querySelector<HTMLElement>(`[data-block-id="${CSS.escape(focused.blockId)}"] [data-action-id="${CSS.escape(focused.actionId)}"]`)
    : newView
      ? ui.modal.querySelector<HTMLElement>('input[data-input], textarea[data-input], select[data-input]')
      : null;
  refocus?.focus();
}

function focusedInput(): { blockId: string; actionId: string } | undefined {
  const active = document.activeElement;
  if (!(active instanceof HTMLElement) || !ui.modal.contains(active) || !active.dataset.actionId) return undefined;
  const blockId = active.closest<HTMLElement>('[data-block-id]')?.dataset.blockId;
  return blockId ? { blockId, actionId: active.dataset.actionId } : undefined;
}

/** What the person has entered in the modal's inputs, keyed as `view.state.values` is. */
function readInputs(root: HTMLElement): InputReading[] {
  return [...root.querySelectorAll<HTMLElement>('[data-input]')].flatMap((element) => {
    const blockId = element.closest<HTMLElement>('[data-block-id]')?.dataset.blockId;
    const actionId = element.dataset.actionId;
    if (!blockId || !actionId) return [];
    let values: string[];
    if (element instanceof HTMLSelectElement) values = [...element.selectedOptions].map((o) => o.value).filter((v) => v !== '');
    else if (element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement) values = [element.value];
    else values = [...element.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value);
    return [{ blockId, actionId, values }];
  });
}

function applyReadings(root: HTMLElement, readings: readonly InputReading[]): void {
  for (const reading of readings) {
    const element = root.querySelector<HTMLElement>(
      `[data-block-id="${CSS.escape(reading.blockId)}"] [data-input][data-action-id="${CSS.escape(reading.actionId)}"]`,
    );
    if (element instanceof HTMLSelectElement) {
      for (const option of element.options) option.selected = reading.values.includes(option.value) || (option.value === '' && reading.values.length === 0);
    } else if (element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement) {
      element.value = reading.values[0] ?? '';
    } else if (element) {
      for (const input of element.querySelectorAll<HTMLInputElement>('input')) input.checked = reading.values.includes(input.value);
    }
  }
}

async function post(path: string, body: ActionRequest | CommandRequest | SubmitRequest | CloseRequest): Promise<boolean> {
  let answer: ApiAnswer;
  try {
    const response = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    answer = (await response.json().catch(() => ({ ok: false, error: `${response.status} ${response.statusText}` }))) as ApiAnswer;
  } catch (error) {
    answer = { ok: false, error: `The sandbox server did not answer (${String(error)}).` };
  }
  if (!answer.ok) toast(answer.error ?? 'The sandbox refused that.');
  return answer.ok;
}

function toast(message: string): void {
  const element = document.createElement('div');
  element.className = 'toast';
  element.dataset.testid = 'toast';
  element.setAttribute('role', 'status');
  element.textContent = message;
  ui.toasts.append(element);
  setTimeout(() => element.remove(), 8000);
}

/** Show an element's confirm dialog; resolves to whether the person confirmed. */
function askConfirm(confirm: Json): Promise<boolean> {
  if (!state) return Promise.resolve(false);
  ui.confirm.innerHTML = renderConfirm(confirm, viewerContext(state, me, new Date()));
  ui.confirm.hidden = false;
  ui.confirm.querySelector<HTMLElement>('[data-testid="confirm-yes"]')?.focus();
  return new Promise((resolve) => {
    const answer = (yes: boolean) => {
      ui.confirm.hidden = true;
      ui.confirm.innerHTML = '';
      ui.confirm.removeEventListener('click', onClick);
      document.removeEventListener('keydown', onKey, true);
      resolve(yes);
    };
    const onClick = (event: Event) => {
      const target = event.target as HTMLElement;
      if (target.closest('[data-testid="confirm-yes"]')) answer(true);
      else if (target.closest('[data-testid="confirm-no"]') || target === ui.confirm) answer(false);
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      event.stopPropagation();
      answer(false);
    };
    ui.confirm.addEventListener('click', onClick);
    document.addEventListener('keydown', onKey, true);
  });
}

const plainOption = (option: { text: Json; value: string }) => ({
  text: { type: 'plain_text' as const, text: asString(option.text.text) ?? option.value },
  value: option.value,
});

/** A used element in a message or in the open modal: confirm if it asks to, then send `block_actions`. */
async function fire(element: HTMLElement): Promise<void> {
  if (!state) return;
  const blockId = element.closest<HTMLElement>('[data-block-id]')?.dataset.blockId;
  const actionId = element.dataset.actionId;
  const messageId = element.closest<HTMLElement>('[data-message-id]')?.dataset.messageId;
  const viewId = element.closest<HTMLElement>('[data-view-id]')?.dataset.viewId;
  if (!blockId || !actionId) return;
  const top = topView(state);
  const blocks = messageId ? (state.messages.find((m) => m.id === messageId)?.blocks ?? []) : viewId && top?.id === viewId ? asArray(top.view.blocks) : [];
  const placed = findElement(blocks, blockId, actionId);
  if (!placed) return;
  const type = asString(placed.element.type) ?? '';
  const request: ActionRequest = {
    userId: me,
    container: messageId ? { type: 'message', messageId } : { type: 'view', viewId: viewId! },
    blockId,
    actionId,
    elementType: type,
  };
  const chosen = element instanceof HTMLSelectElement ? [element.value] : [...element.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value);
  const options = optionsOf(placed.element).filter((o) => chosen.includes(o.value));
  if (type === 'button') {
    const value = asString(placed.element.value);
    if (value !== undefined) request.value = value;
  } else if (type === 'users_select') {
    if (!chosen[0]) return;
    request.selectedUser = chosen[0];
  } else if (type === 'checkboxes') {
    request.selectedOptions = options.map(plainOption);
  } else {
    if (!options[0]) return;
    request.selectedOption = plainOption(options[0]);
  }
  if (type === 'overflow' && element instanceof HTMLSelectElement) element.value = '';
  if (viewId) request.stateValues = collectStateValues(blocks, readInputs(ui.modal));
  if (placed.element.confirm && !(await askConfirm(asObject(placed.element.confirm)))) return;
  const url = asString(placed.element.url);
  if (url && /^https?:\/\//i.test(url)) window.open(url, '_blank', 'noopener');
  await post('/sandbox/api/action', request);
}

async function submitModal(button: HTMLButtonElement): Promise<void> {
  const top = state && topView(state);
  if (!top) return;
  button.disabled = true;
  try {
    await post('/sandbox/api/submit', { userId: me, viewId: top.id, values: collectStateValues(asArray(top.view.blocks), readInputs(ui.modal)) });
  } finally {
    button.disabled = false;
  }
}

async function closeModal(): Promise<void> {
  const top = state && topView(state);
  if (top) await post('/sandbox/api/close', { userId: me, viewId: top.id });
}

async function sendCommand(): Promise<void> {
  const command = composerCommand(ui.composer.value);
  if (!command || !selected) return;
  if ('error' in command) {
    toast(command.error);
    return;
  }
  const { text } = command;
  ui.composer.disabled = true;
  try {
    if (await post('/sandbox/api/command', { userId: me, conversationId: selected, text })) ui.composer.value = '';
  } finally {
    ui.composer.disabled = false;
    ui.composer.focus();
  }
}

document.addEventListener('click', (event) => {
  const target = event.target as HTMLElement;
  const conversation = target.closest<HTMLElement>('[data-conversation-id]');
  if (conversation) {
    selected = conversation.dataset.conversationId!;
    openThread = undefined;
    render();
    return;
  }
  const thread = target.closest<HTMLElement>('[data-thread-ts]');
  if (thread) {
    openThread = thread.dataset.threadTs;
    render();
    return;
  }
  if (target.closest('[data-testid="thread-close"]')) {
    openThread = undefined;
    render();
    return;
  }
  if (target.closest('[data-testid="problems-toggle"]')) {
    ui.problems.classList.toggle('open');
    return;
  }
  const submit = target.closest<HTMLButtonElement>('[data-testid="modal-submit"]');
  if (submit) {
    void submitModal(submit);
    return;
  }
  if (target.closest('[data-close]')) {
    void closeModal();
    return;
  }
  const button = target.closest<HTMLButtonElement>('button[data-fires]');
  if (button) void fire(button);
});

document.addEventListener('change', (event) => {
  const target = event.target as HTMLElement;
  if (target === ui.person) {
    if (shownModal) drafts.set(`${me}|${shownModal.viewId}`, { viewJson: shownModal.viewJson, readings: readInputs(ui.modal) });
    me = ui.person.value;
    localStorage.setItem(personKey, me);
    openThread = undefined;
    render();
    return;
  }
  const element = target.closest<HTMLElement>('[data-fires]');
  if (element && !(element instanceof HTMLButtonElement)) void fire(element);
});

ui.composer.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.isComposing) {
    event.preventDefault();
    void sendCommand();
  }
});

document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && !ui.modal.hidden) void closeModal();
});

/**
 * Follow the state stream; EventSource reconnects by itself, and a stream the server refused is
 * retried here. `data-status` on the status line is `connecting` until the first connection, then
 * `connected` or `reconnecting`.
 */
function connect(): void {
  const source = new EventSource(SANDBOX_EVENTS_PATH);
  source.addEventListener('open', () => setStatus('connected'));
  source.addEventListener('state', (event) => {
    state = JSON.parse((event as MessageEvent<string>).data) as SandboxState;
    setStatus('connected');
    render();
  });
  source.addEventListener('error', () => {
    setStatus('reconnecting');
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
  });
}

function setStatus(status: 'connected' | 'reconnecting'): void {
  ui.status.textContent = status === 'connected' ? 'Connected' : 'Reconnecting…';
  ui.status.dataset.status = status;
}

connect();
