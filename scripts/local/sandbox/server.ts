import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SlackEmulator } from '../emulator.ts';
import { createSandboxApi } from './api.ts';
import { buildPageAssets, defaultPageDir, type PageAssets } from './assets.ts';
import { createBotClient } from './bot-client.ts';
import { createEventStream } from './events.ts';
import { SANDBOX_EVENTS_PATH, type SandboxPerson, type SandboxState } from './protocol.ts';
import { createSandboxState } from './state.ts';

/** A running sandbox: a raw request handler to mount on the bot's own server. */
export interface Sandbox {
  /** Serves the sandbox's paths and answers true; false for any other path (the caller serves it). */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** The state as the page sees it now. */
  state(): SandboxState;
  close(): void;
}

const apiPrefix = '/sandbox/api/';
const maxBodyBytes = 256 * 1024;

/**
 * The browser "Slack sandbox" of `npm start` (scripts/local/sandbox/protocol.ts): a Slack-like view of
 * the emulator where you act as any of `people`. It plays Slack's part towards the bot at
 * `botUrl`: every click becomes the request Slack would send, signed with `signingSecret`.
 */
export async function createSandbox(options: {
  emulator: SlackEmulator;
  /** The bot's base URL; a function, since the sandbox is mounted on the bot's server before it listens. */
  botUrl: () => string;
  signingSecret: string;
  people: readonly SandboxPerson[];
  /** Where index.html, style.css and main.ts are; scripts/local/sandbox/page/ by default. */
  pageDir?: string;
  /** How long the bot has to answer (Slack's 3 s by default). */
  botTimeoutMs?: number;
  /** A host name the bot was bound to besides the loopback names (`HOST`), which the page may be opened by. */
  boundHost?: string;
}): Promise<Sandbox> {
  const state = createSandboxState({ emulator: options.emulator, people: options.people });
  const bot = createBotClient({
    botUrl: options.botUrl,
    signingSecret: options.signingSecret,
    ...(options.botTimeoutMs ? { timeoutMs: options.botTimeoutMs } : {}),
  });
  const api = createSandboxApi({ emulator: options.emulator, state, bot });
  const events = createEventStream({ snapshot: state.snapshot, onChange: state.onChange });
  const assets = await buildPageAssets(options.pageDir ?? defaultPageDir);

  const asset = (res: ServerResponse, pick: (a: Extract<PageAssets, { ok: true }>) => string, type: string): true => {
    if (!assets.ok) return sendText(res, 503, 'text/plain', assets.error);
    return sendText(res, 200, type, pick(assets));
  };

  /** The `Host` values the sandbox answers to: the port it was reached on, under a loopback name (or the bound host). */
  const servedHosts = (port: number | undefined) =>
    ['127.0.0.1', 'localhost', '[::1]', ...(options.boundHost ? [options.boundHost] : [])].map((name) => `${name}:${port}`);
  const sandboxPath = (path: string) => path === '/' || path.startsWith('/sandbox/');

  return {
    async handle(req, res) {
      const path = new URL(req.url ?? '/', 'http://sandbox').pathname;
      const method = req.method ?? 'GET';
      const get = method === 'GET' || method === 'HEAD';
      // DNS rebinding: a page on another site whose name now points here reaches us with its own
      // Host; refusing any Host we do not serve keeps it from reading every DM through the stream.
      const host = req.headers.host ?? '';
      if (sandboxPath(path) && !servedHosts(req.socket.localPort).includes(host))
        return sendText(res, 421, 'text/plain', 'This sandbox is served on 127.0.0.1 or localhost only.');
      if (path.startsWith(apiPrefix)) {
        if (method !== 'POST') return sendJson(res, 405, { ok: false, error: `Use POST for ${path}.` });
        // Another site's page can POST here (a form or a text/plain fetch needs no preflight) and act
        // as anyone: only JSON from this origin is taken. Tools without a browser send neither header.
        const origin = req.headers.origin;
        const fetchSite = req.headers['sec-fetch-site'];
        if ((origin !== undefined && origin !== `http://${host}`) || (fetchSite !== undefined && fetchSite !== 'same-origin')) {
          return sendJson(res, 403, { ok: false, error: 'The sandbox API takes requests from its own page only.' });
        }
        if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
          return sendJson(res, 415, { ok: false, error: 'Send JSON (content-type: application/json).' });
        }
        const body = await readBody(req);
        if (body === null) return sendJson(res, 413, { ok: false, error: `The body is over ${maxBodyBytes} bytes.` });
        const result = await api(path.slice(apiPrefix.length), body);
        return sendJson(res, result.status, result.body);
      }
      if (!get) return false;
      if (path === '/') return asset(res, (a) => a.html, 'text/html');
      if (path === '/sandbox/app.js') return asset(res, (a) => a.js, 'text/javascript');
      if (path === '/sandbox/app.css') return asset(res, (a) => a.css, 'text/css');
      if (path === SANDBOX_EVENTS_PATH && method === 'GET') {
        events.serve(req, res);
        return true;
      }
      return false;
    },
    state: state.snapshot,
    close() {
      events.close();
      state.close();
    },
  };
}

function sendText(res: ServerResponse, status: number, type: string, text: string): true {
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' }).end(text);
  return true;
}

function sendJson(res: ServerResponse, status: number, body: unknown): true {
  return sendText(res, status, 'application/json', JSON.stringify(body));
}

/** The body as text, or null past the size limit. */
async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
