/**
 * Play Slack with curl: prints a curl command carrying a correctly signed `/coffee` request.
 *
 *   npm run -s slack:curl -- "10:30 Lobby"                 # against npm start's defaults
 *   SLACK_SIGNING_SECRET=… COFFEEBUDDY_URL=http://…/slack/commands npm run -s slack:curl -- "help"
 *   npm run -s slack:curl -- --body 'payload=%7B…%7D' --path /slack/interactions
 *   npm run -s slack:curl -- --click suggest.command --value history   # a button click (block_actions)
 *
 * Requests come from channel C0LOCAL1 and user U0LOCAL1 (`--channel`, `--user` to change), the
 * same as the curl `npm start` prints.
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { blockActionBody, localSlack, slackHeaders, slashCommandBody, unissuedTrigger } from '../test/support/slack-requests.ts';

/** A shell-quoted curl command for a signed `/coffee` request (or any form body). */
export function curlCommand(args: {
  url: string;
  secret: string;
  text?: string;
  body?: string;
  userId?: string;
  channelId?: string;
  responseUrl?: string;
  at: Date;
}): string {
  const body =
    args.body ??
    slashCommandBody({
      trigger: unissuedTrigger,
      text: args.text ?? '',
      ...(args.userId ? { userId: args.userId } : {}),
      ...(args.channelId ? { channelId: args.channelId } : {}),
      ...(args.responseUrl ? { responseUrl: args.responseUrl } : {}),
    });
  const headers = slackHeaders(args.secret, body, args.at);
  const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
  return [
    `curl -sS -X POST ${quote(args.url)}`,
    ...Object.entries(headers).map(([name, value]) => `  -H ${quote(`${name}: ${value}`)}`),
    `  --data-raw ${quote(body)}`,
  ].join(' \\\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      body: { type: 'string' },
      click: { type: 'string' },
      value: { type: 'string', default: '' },
      path: { type: 'string', default: '/slack/commands' },
      user: { type: 'string', default: localSlack.userId },
      channel: { type: 'string', default: localSlack.channelId },
    },
  });
  const base = process.env.COFFEEBUDDY_URL ?? `http://127.0.0.1:${process.env.PORT ?? '3000'}`;
  // A click is a block_actions payload, posted where Slack posts interactions.
  const path = values.click ? '/slack/interactions' : values.path!;
  const body = values.click
    ? blockActionBody({ trigger: unissuedTrigger, userId: values.user!, channelId: values.channel!, actionId: values.click, value: values.value! })
    : values.body;
  process.stdout.write(
    `${curlCommand({
      url: base.endsWith(path) ? base : `${base}${path}`,
      secret: process.env.SLACK_SIGNING_SECRET ?? 'coffeebuddy-local-dev-signing-secret',
      text: positionals.join(' '),
      ...(body ? { body } : {}),
      userId: values.user!,
      channelId: values.channel!,
      at: new Date(),
    })}\n`,
  );
}
