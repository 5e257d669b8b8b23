/**
 * Slack through the corporate proxy: the Web API and `response_url` posts go through a CONNECT
 * tunnel of `HTTPS_PROXY` (https://, as slack.com and hooks.slack.com are reached in production)
 * or `HTTP_PROXY` (plain http://, e.g. an emulator), and straight to `NO_PROXY` hosts. A real proxy
 * on loopback carries them to the Slack emulator, behind a TLS front for the https:// case.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { silentLogger } from '../../shared/logging.ts';
import { createMetrics } from '../../shared/metrics.ts';
import { loadFunctionsConfig } from '../../shared/runtime.ts';
import { startSlackEmulator, type SlackEmulator } from '../../scripts/local/emulator.ts';
import { SlackCallError } from '../../shared/slack/port.ts';
import { createProxyFetch } from '../../shared/slack/proxy.ts';
import { createSlackPorts, createSlackWebApi } from '../../shared/slack/web-api.ts';
import { startForwardProxy, type ForwardProxy } from '../support/forward-proxy.ts';
import { makeTestCertificates, type TestCertificates } from '../support/test-certificates.ts';

const slash = registry.filter((fn) => fn.name === 'slash-command');

describe('Slack calls through the corporate proxy', () => {
  let slack: SlackEmulator;
  let proxy: ForwardProxy;
  let tlsFront: Server;
  let httpsBase: string;
  let certificates: TestCertificates;
  let dir: string;

  beforeAll(async () => {
    slack = await startSlackEmulator();
    proxy = await startForwardProxy();
    dir = await mkdtemp(join(tmpdir(), 'coffeebuddy-proxy-'));
    certificates = await makeTestCertificates(dir);
    // Slack's side of the tunnel: TLS with a certificate for 127.0.0.1, in front of the emulator.
    const emulator = new URL(slack.url);
    tlsFront = createHttpsServer({ key: certificates.key, cert: certificates.cert }, (req, res) => {
      const upstream = httpRequest({ host: emulator.hostname, port: emulator.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(upstream);
    });
    tlsFront.listen(0, '127.0.0.1');
    await once(tlsFront, 'listening');
    httpsBase = `https://127.0.0.1:${(tlsFront.address() as AddressInfo).port}`;
  }, 60_000);

  afterAll(async () => {
    tlsFront?.close();
    await proxy?.close();
    await slack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    proxy.carried.length = 0;
  });

  /** The Slack clients a function builds from these variables (on top of a valid configuration). */
  function portsWith(env: Record<string, string>) {
    const config = loadFunctionsConfig(slash, {
      DATABASE_URL: 'postgres://unused@127.0.0.1:1/db',
      SLACK_BOT_TOKEN: 'xoxb-proxy',
      SLACK_SIGNING_SECRET: 'unused',
      AUTH_DISABLED: 'true',
      SLACK_API_URL: slack.url,
      SLACK_RESPONSE_URL_PREFIXES: `${new URL(slack.url).origin}/response/`,
      ...env,
    });
    return createSlackPorts(config, silentLogger, createMetrics());
  }

  it('sends Web API calls and response_url posts through HTTP_PROXY, from both Slack clients', async () => {
    const { slack: ackSlack, effectSlack } = portsWith({ HTTP_PROXY: proxy.url });
    const posted = await effectSlack.postMessage({ channel: 'C0PROXY1', text: 'Coffee run at 10:30' });
    const responseUrl = slack.responseUrl();
    await ackSlack.respond(responseUrl, { text: 'Only you can see this' });
    // undici tunnels plain http through CONNECT too; each client has its own connection to the proxy.
    expect(proxy.carried).toEqual([`CONNECT ${new URL(slack.url).host}`, `CONNECT ${new URL(slack.url).host}`]);
    expect(slack.messages('C0PROXY1').map((message) => [message.ts, message.text])).toEqual([[posted.ts, 'Coffee run at 10:30']]);
    expect(slack.callsTo('response_url').at(-1)?.args).toMatchObject({ text: 'Only you can see this' });
  });

  it('goes straight to hosts in NO_PROXY, and HTTPS_PROXY alone leaves http:// addresses alone', async () => {
    const bypassed = portsWith({ HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, NO_PROXY: 'slack.example.internal,127.0.0.1' });
    await bypassed.effectSlack.postMessage({ channel: 'C0PROXY2', text: 'straight' });
    await bypassed.slack.respond(slack.responseUrl(), { text: 'straight too' });
    const httpsOnly = portsWith({ HTTPS_PROXY: proxy.url });
    await httpsOnly.effectSlack.postMessage({ channel: 'C0PROXY2', text: 'not through the https proxy' });
    expect(proxy.carried).toEqual([]);
    expect(slack.messages('C0PROXY2').map((message) => message.text)).toEqual(['straight', 'not through the https proxy']);
  });

  it("tunnels https:// through HTTPS_PROXY with CONNECT, checking Slack's certificate end to end", async () => {
    const viaTunnel = (ca: string) =>
      createSlackWebApi({
        token: 'xoxb-proxy',
        apiUrl: `${httpsBase}/api/`,
        timeoutMs: 5_000,
        responseUrlPrefixes: [`${httpsBase}/response/`],
        log: silentLogger,
        metrics: createMetrics(),
        fetch: createProxyFetch({ HTTPS_PROXY: proxy.url }, { ca }),
      });
    const trusting = viaTunnel(certificates.ca);
    await trusting.postMessage({ channel: 'C0PROXY3', text: 'through the tunnel' });
    const responseUrl = slack.responseUrl().replace(new URL(slack.url).origin, httpsBase);
    await trusting.respond(responseUrl, { text: 'answer through the tunnel' });
    const tunnel = `CONNECT ${new URL(httpsBase).host}`;
    expect(proxy.carried).toEqual([tunnel, tunnel]);
    expect(slack.messages('C0PROXY3').map((message) => message.text)).toEqual(['through the tunnel']);
    expect(slack.callsTo('response_url').at(-1)?.args).toMatchObject({ text: 'answer through the tunnel' });

    // The proxy only relays bytes: a certificate our CAs did not sign is refused through the tunnel too.
    const wary = viaTunnel(certificates.otherCa);
    const refused = await wary.postMessage({ channel: 'C0PROXY3', text: 'never shown' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SlackCallError);
    expect(slack.messages('C0PROXY3').map((message) => message.text)).toEqual(['through the tunnel']);
  });

  it('refuses a proxy that is not an http(s) URL at start, naming the variable', () => {
    expect(() => portsWith({ HTTPS_PROXY: 'proxy.example.internal:3128' })).toThrowError(
      /HTTPS_PROXY: must be an http:\/\/ or https:\/\/ URL such as http:\/\/proxy.example.internal:3128/,
    );
  });
});
