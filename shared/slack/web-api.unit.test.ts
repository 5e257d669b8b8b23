import { describe, expect, it } from 'vitest';
import { silentLogger } from '../logging.ts';
import { createMetrics } from '../metrics.ts';
import { createSlackWebApi } from './web-api.ts';

/** A Slack port whose fetch records where it was asked to POST and answers `status`. */
function slackWith(status: number) {
  const asked: { url: string; redirect: string | undefined }[] = [];
  const metrics = createMetrics();
  const slack = createSlackWebApi({
    token: 'xoxb-test',
    timeoutMs: 1000,
    responseUrlPrefixes: ['https://hooks.slack.com/'],
    log: silentLogger,
    metrics,
    fetch: async (url, init) => {
      asked.push({ url: String(url), redirect: init?.redirect });
      return new Response(null, { status, ...(status === 307 ? { headers: { location: 'https://elsewhere.example/' } } : {}) });
    },
  });
  return { slack, asked, metrics };
}

describe('response_url: only to Slack', () => {
  it('posts to a hooks.slack.com response_url without following redirects', async () => {
    const { slack, asked } = slackWith(200);
    await slack.respond('https://hooks.slack.com/commands/T1/123/abc', { text: 'hi' });
    expect(asked).toEqual([{ url: 'https://hooks.slack.com/commands/T1/123/abc', redirect: 'manual' }]);
  });

  it.each([
    'https://attacker.example/hook',
    'http://hooks.slack.com/commands/T1/123/abc',
    'https://hooks.slack.com.attacker.example/x',
    'http://169.254.169.254/latest/meta-data',
  ])('refuses %s without a request, and counts it', async (url) => {
    const { slack, asked, metrics } = slackWith(200);
    await expect(slack.respond(url, { text: 'hi' })).rejects.toThrow('response_url is not a Slack address');
    expect(asked).toEqual([]);
    expect((await metrics.slackCallsTotal.get()).values).toEqual([
      expect.objectContaining({ labels: { method: 'response_url', outcome: 'refused' }, value: 1 }),
    ]);
  });

  it('treats a redirect as a failure instead of re-sending the message', async () => {
    const { slack, asked } = slackWith(307);
    await expect(slack.respond('https://hooks.slack.com/actions/T1/1/x', { text: 'hi' })).rejects.toThrow('answered 307');
    expect(asked).toHaveLength(1);
  });
});
