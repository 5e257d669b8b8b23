/**
 * Outbound Slack calls through the corporate proxy. Node's built-in `fetch` ignores `HTTPS_PROXY`
 * (Node 24 honours it only with `NODE_USE_ENV_PROXY=1`, Node 20 never), so Slack's Web API and
 * `response_url` posts go through undici's `fetch` with its `EnvHttpProxyAgent`: https:// through
 * `HTTPS_PROXY`, http:// through `HTTP_PROXY` (both as HTTP CONNECT tunnels, so the proxy never
 * sees a token or a message), hosts in `NO_PROXY` straight. Only Slack's calls use it: the OIDC issuer's JWKS stays inside the cluster.
 */
import type { ConnectionOptions } from 'node:tls';

/** The proxy settings as configured (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`). */
export interface ProxySettings {
  HTTPS_PROXY?: string | undefined;
  HTTP_PROXY?: string | undefined;
  NO_PROXY?: string | undefined;
}

/** True when any proxy is configured. */
export function usesProxy(settings: ProxySettings): boolean {
  return Boolean(settings.HTTPS_PROXY || settings.HTTP_PROXY);
}

/**
 * A `fetch` that sends through the configured proxy. undici (about 400 KiB) loads on the first
 * call, so a function without a proxy never loads it. `tls` adds options for the connection to
 * the target (a test's own CA; production trusts Node's CAs and `NODE_EXTRA_CA_CERTS`).
 */
export function createProxyFetch(settings: ProxySettings, tls?: Pick<ConnectionOptions, 'ca'>): typeof fetch {
  let loaded: Promise<typeof fetch> | undefined;
  const load = async (): Promise<typeof fetch> => {
    const undici = await import('undici');
    const dispatcher = new undici.EnvHttpProxyAgent({
      // Empty strings, never undefined: undici would then read process.env itself.
      httpsProxy: settings.HTTPS_PROXY ?? '',
      httpProxy: settings.HTTP_PROXY ?? '',
      noProxy: settings.NO_PROXY ?? '',
      ...(tls ? { connect: tls, requestTls: tls } : {}),
    });
    return ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
      undici.fetch(input as Parameters<typeof undici.fetch>[0], { ...(init as Parameters<typeof undici.fetch>[1]), dispatcher })) as unknown as typeof fetch;
  };
  return (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    loaded ??= load();
    return (await loaded)(input, init);
  }) as typeof fetch;
}
