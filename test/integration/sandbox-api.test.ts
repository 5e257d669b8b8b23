import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { localPeople, sandboxChannel } from '../../scripts/local/sandbox/people.ts';
import type { SandboxMessage, SandboxState } from '../../scripts/local/sandbox/protocol.ts';
import { createSandbox } from '../../scripts/local/sandbox/server.ts';
import { startTestStack, type TestStack } from '../support/harness.ts';

const people = localPeople();
const [ana, ben] = people as [(typeof people)[number], (typeof people)[number]];
const protocolPath = fileURLToPath(new URL('../../scripts/local/sandbox/protocol.ts', import.meta.url));

/** The page's state as the browser gets it: the latest `event: state` frame of the SSE stream. */
async function openEvents(url: string) {
  const controller = new AbortController();
  const response = await fetch(`${url}/sandbox/events`, { signal: controller.signal });
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  let latest: SandboxState | undefined;
  let wake = () => {};
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffer += value;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const lines = buffer.slice(0, end).split('\n');
        buffer = buffer.slice(end + 2);
        const data = lines.find((line) => line.startsWith('data: '));
        if (lines.includes('event: state') && data) {
          latest = JSON.parse(data.slice('data: '.length)) as SandboxState;
          wake();
        }
      }
    }
  })();
  return {
    /** The first state that satisfies `check` (now or later); fails after 15 s saying what was awaited. */
    async until<T>(what: string, check: (state: SandboxState) => T | undefined | false): Promise<T> {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const found = latest && check(latest);
        if (found) return found;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${what}; last state: ${JSON.stringify(latest)}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.min(left, 500));
        });
      }
    },
    close: () => controller.abort(),
  };
}

/** The status of a request carrying `host` as its Host header (fetch would not send one of our choosing). */
function statusWithHost(url: string, method: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers: { host, 'content-type': 'application/json' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(method === 'POST' ? '{}' : undefined);
  });
}

describe('the browser sandbox, driven through its HTTP API on the bot’s own port', () => {
  let stack: TestStack;
  let pageDir: string;
  let events: Awaited<ReturnType<typeof openEvents>>;

  const api = async (name: string, body: unknown, url = stack.url) => {
    const response = await fetch(`${url}/sandbox/api/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { ok: boolean; error?: string } };
  };
  const seenBy = (state: SandboxState, userId: string, conversationId: string) =>
    state.messages.filter((m) => m.conversationId === conversationId && (m.ephemeralFor ?? userId) === userId);
  const hasAction = (m: SandboxMessage, actionId: string) => JSON.stringify(m.blocks ?? []).includes(`"action_id":"${actionId}"`);

  beforeAll(async () => {
    pageDir = await mkdtemp(join(tmpdir(), 'sandbox-page-'));
    await writeFile(join(pageDir, 'index.html'), '<!doctype html><script type="module" src="/sandbox/app.js"></script>');
    await writeFile(join(pageDir, 'style.css'), 'body { margin: 0 }');
    await writeFile(join(pageDir, 'main.ts'), `import { SANDBOX_EVENTS_PATH } from ${JSON.stringify(protocolPath)};\nnew EventSource(SANDBOX_EVENTS_PATH);\n`);
    stack = await startTestStack({ functions: registry, sandbox: { people, pageDir } });
    events = await openEvents(stack.url);
  });
  afterAll(async () => {
    events?.close();
    await stack?.close();
    await rm(pageDir, { recursive: true, force: true });
  });

  it('serves the page, its bundle and its styles next to the bot’s routes', async () => {
    const page = await fetch(`${stack.url}/`);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('/sandbox/app.js');
    const js = await fetch(`${stack.url}/sandbox/app.js`);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await js.text()).toContain('/sandbox/events');
    expect(await (await fetch(`${stack.url}/sandbox/app.css`)).text()).toContain('margin');
    expect((await fetch(`${stack.url}/health/live`)).status).toBe(200);
    expect((await fetch(`${stack.url}/nothing-here`)).status).toBe(404);
  });

  it('plays a whole run: /coffee, an order through the modal (refused once), close, the runner’s DM, a replaced suggestion', async () => {
    const first = await events.until('the first state', (s) => s);
    expect(first.people.map((p) => p.name)).toEqual(['ana', 'ben', 'chloé', 'dev']);
    expect(first.conversations).toContainEqual(sandboxChannel);
    expect(first.conversations).toContainEqual({ id: `D${ben.id}`, name: 'ben', kind: 'dm', userId: ben.id });

    // /coffee as ana: her command echoed to her alone, the run message for everyone.
    expect(await api('command', { userId: ana.id, conversationId: sandboxChannel.id, text: 'in 30m Lobby' })).toEqual({ status: 200, body: { ok: true } });
    const runMessage = await events.until('the run message', (s) =>
      s.messages.find((m) => m.conversationId === sandboxChannel.id && !m.ephemeralFor && hasAction(m, 'order.open')),
    );
    expect(runMessage.text).toContain(`Coffee run started by <@${ana.id}>`);
    const latest = await events.until('the echo', (s) => s);
    const echo = latest.messages.find((m) => m.text === '/coffee in 30m Lobby');
    expect(echo).toMatchObject({ author: ana.id, ephemeralFor: ana.id, conversationId: sandboxChannel.id });
    expect(seenBy(latest, ben.id, sandboxChannel.id).some((m) => m.text.startsWith('/coffee'))).toBe(false);

    // Ben presses Place order: the order modal opens for him only.
    const click = {
      userId: ben.id,
      container: { type: 'message', messageId: runMessage.id },
      blockId: 'run.actions',
      actionId: 'order.open',
      elementType: 'button',
    };
    expect(await api('action', click)).toEqual({ status: 200, body: { ok: true } });
    const modal = await events.until('ben’s order modal', (s) => s.modals.find((m) => m.userId === ben.id));
    expect((await events.until('modals', (s) => s)).modals.map((m) => m.userId)).toEqual([ben.id]);
    const view = modal.stack.at(-1)!;
    expect(view.view).toMatchObject({ type: 'modal', callback_id: 'order.submit', title: { text: 'Coffee order' } });

    // A drink Slack's select would never send: the modal stays, with the bot's error on the field.
    const values = (drink: string) => ({
      drink: { value: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: drink }, value: drink } } },
      size: { value: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'Large' }, value: 'Large' } } },
      customizations: { value: { type: 'plain_text_input', value: 'oat milk' } },
      free_text: { value: { type: 'plain_text_input', value: null } },
    });
    expect(await api('submit', { userId: ben.id, viewId: view.id, values: values('Whisky') })).toEqual({ status: 200, body: { ok: true } });
    const refused = await events.until('errors on the modal', (s) => s.modals.find((m) => m.userId === ben.id)?.stack.at(-1)?.errors);
    expect(refused.drink).toMatch(/Choose a drink/);

    // A latte: the modal closes, the run message lists the order, ben is told.
    expect(await api('submit', { userId: ben.id, viewId: view.id, values: values('Latte') })).toEqual({ status: 200, body: { ok: true } });
    await events.until('the modal to close', (s) => !s.modals.some((m) => m.userId === ben.id));
    const updated = await events.until('the order on the run message', (s) =>
      s.messages.find((m) => m.id === runMessage.id && m.edited && m.text.includes('1 person has ordered')),
    );
    expect(JSON.stringify(updated.blocks)).toContain('Latte');

    // Ana closes the run: ben, the only one who ordered, goes, and is told in his DM.
    const close = { ...click, userId: ana.id, actionId: 'run.close' };
    expect(await api('action', close)).toEqual({ status: 200, body: { ok: true } });
    const dm = await events.until('the runner’s DM', (s) => s.messages.find((m) => m.conversationId === `D${ben.id}` && !m.ephemeralFor));
    expect(dm.author).toBe('bot');
    expect(`${dm.text} ${JSON.stringify(dm.blocks)}`).toContain('Latte');

    // A typo gets "Did you mean …?" for ben; its button's answer replaces it at its response_url.
    expect(await api('command', { userId: ben.id, conversationId: sandboxChannel.id, text: 'histroy' })).toEqual({ status: 200, body: { ok: true } });
    const suggestion = await events.until('the suggestion', (s) =>
      s.messages.find((m) => m.ephemeralFor === ben.id && m.text.includes('Did you mean') && hasAction(m, 'suggest.command')),
    );
    const choose = {
      userId: ben.id,
      container: { type: 'message', messageId: suggestion.id },
      blockId: suggestionBlockId(suggestion),
      actionId: 'suggest.command',
      elementType: 'button',
    };
    expect(await api('action', { ...choose, userId: ana.id })).toMatchObject({
      status: 400,
      body: { ok: false, error: expect.stringContaining('sees no message') },
    });
    expect(await api('action', choose)).toEqual({ status: 200, body: { ok: true } });
    const replaced = await events.until('the suggestion replaced by the history', (s) =>
      s.messages.find((m) => m.id === suggestion.id && m.edited && !m.text.includes('Did you mean')),
    );
    expect(replaced.ephemeralFor).toBe(ben.id);
    expect((await events.until('problems', (s) => s)).problems).toEqual([]);
  });

  it('answers bad requests with 400 and a readable error, never reaching the bot', async () => {
    const calls = stack.slack.calls.length;
    expect(await api('command', '{not json')).toEqual({ status: 400, body: { ok: false, error: 'The body must be a JSON object.' } });
    const missing = await api('command', { userId: ana.id, text: 'help' });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatch(/^Invalid command request: .*conversationId/);
    expect(await api('command', { userId: 'U404', conversationId: sandboxChannel.id, text: 'help' })).toEqual({
      status: 400,
      body: { ok: false, error: 'There is no person U404 in this sandbox.' },
    });
    expect((await api('command', { userId: ana.id, conversationId: `D${ben.id}`, text: 'help' })).status).toBe(400);
    expect(
      (await api('action', { userId: ana.id, container: { type: 'view', viewId: 'V1' }, blockId: 'b', actionId: 'a', elementType: 'button' })).body.error,
    ).toBe(`${ana.id} has no modal open.`);
    expect((await api('submit', { userId: ben.id, viewId: 'V1', values: { drink: 'Latte' } })).status).toBe(400);
    expect((await api('teleport', {})).status).toBe(404);
    expect((await fetch(`${stack.url}/sandbox/api/command`)).status).toBe(405);
    // Another site's page: a form-like text/plain POST, or JSON from another origin, acts as nobody.
    const post = (headers: Record<string, string>) =>
      fetch(`${stack.url}/sandbox/api/command`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ userId: ana.id, conversationId: sandboxChannel.id, text: 'admin disable' }),
      });
    expect((await post({ 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post({ 'content-type': 'application/json', origin: 'https://evil.example' })).status).toBe(403);
    expect((await post({ 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    // A rebound name (DNS rebinding) reaches the port with its own Host: page, API and stream refuse it.
    for (const [method, path] of [
      ['GET', '/'],
      ['GET', '/sandbox/events'],
      ['POST', '/sandbox/api/command'],
    ] as const) {
      expect(await statusWithHost(`${stack.url}${path}`, method, 'attacker.example:80'), path).toBe(421);
    }
    expect(stack.slack.calls.length).toBe(calls);
  });

  it('reports a bot that refuses Slack’s requests as dispatch_failed, with a problem entry', async () => {
    // A sandbox signing with the wrong secret: the bot answers 401, as to a forged request.
    const wrong = await createSandbox({ emulator: stack.slack, botUrl: () => stack.url, signingSecret: 'not-the-secret', people, pageDir });
    const server: Server = createServer((req, res) => {
      void wrong.handle(req, res).then((handled) => handled || res.writeHead(404).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const answer = await api('command', { userId: ana.id, conversationId: sandboxChannel.id, text: 'help' }, url);
      expect(answer.status).toBe(502);
      expect(answer.body.error).toMatch(/^dispatch_failed: the app answered \/slack\/commands with HTTP 401/);
      expect(wrong.state().problems).toEqual([expect.objectContaining({ method: 'slash command', problem: expect.stringContaining('dispatch_failed') })]);
    } finally {
      wrong.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

/** The block holding the suggestion's first button. */
function suggestionBlockId(message: SandboxMessage): string {
  const block = (message.blocks as { block_id?: string; elements?: { action_id?: string }[] }[]).find((b) =>
    b.elements?.some((e) => e.action_id === 'suggest.command'),
  );
  return block?.block_id ?? 'suggestion';
}
