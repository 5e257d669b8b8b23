/**
 * The Slack app manifest (https://api.slack.com/reference/manifests): the `/coffee` command and
 * the interactivity URL, both at Kong's public host on the paths the registry's routes declare,
 * and the least bot scopes the code's Slack calls need (shared/slack/web-api.ts), each with why.
 */
import { Document, isSeq, type Scalar } from 'yaml';
import type { AnyFunction } from '../../shared/function.ts';
import type { ManifestOptions } from './options.ts';
import { renderDocument } from './render.ts';

/** Each bot scope and the Web API calls that need it; nothing else is requested. */
export const botScopes: { scope: string; why: string }[] = [
  { scope: 'commands', why: 'the slash commands /coffee, /coffee-history and /coffee-cancel' },
  {
    scope: 'chat:write',
    why: 'chat.postMessage, chat.update, chat.postEphemeral: run messages, summaries, runner DMs, ephemeral answers (in channels the bot was invited to)',
  },
  { scope: 'im:write', why: 'conversations.open: the DM to the runner' },
  {
    scope: 'channels:history',
    why: 'conversations.history/replies in public channels: finding its own post after an uncertain attempt (message metadata) instead of posting twice',
  },
  { scope: 'groups:history', why: 'the same in private channels' },
  { scope: 'im:history', why: 'the same in the runner DM' },
  { scope: 'mpim:history', why: 'the same in group DMs, where /coffee can also be used' },
  { scope: 'channels:read', why: "conversations.info: a channel's creator, who may administer CoffeeBuddy there" },
  { scope: 'groups:read', why: 'the same in private channels' },
  {
    scope: 'users:read',
    why: "users.info: a user's time zone (pickup times), display name and whether they are a workspace admin (who may close or cancel); users.list: who a typed @name is (/coffee admin admins add @name). views.open needs no scope: the trigger_id is the permission",
  },
];

/** The public URL of a route that a function of `functions` declares with `type`. */
function routeUrl(functions: readonly AnyFunction[], type: 'slash' | 'interaction', options: ManifestOptions): string {
  const route = functions.flatMap((fn) => fn.routes).find((candidate) => candidate.type === type);
  if (!route) throw new Error(`no function declares a ${type} route`);
  return `https://${options.publicHost}${route.path}`;
}

/** slack-app-manifest.yaml. */
export function slackAppManifest(functions: readonly AnyFunction[], options: ManifestOptions): string {
  const doc = new Document(
    {
      _metadata: { major_version: 1, minor_version: 1 },
      display_information: {
        name: 'CoffeeBuddy',
        description: 'Office coffee runs, end to end: orders, a fair runner, reminders.',
        background_color: '#6f4e37',
      },
      features: {
        bot_user: { display_name: 'CoffeeBuddy', always_online: false },
        slash_commands: [
          {
            command: '/coffee',
            url: routeUrl(functions, 'slash', options),
            description: 'Start a coffee run; close, cancel, history, stats, help',
            usage_hint: '[pickup time] [note] | close | cancel | history | stats | help',
            should_escape: false,
          },
          {
            command: '/coffee-history',
            url: routeUrl(functions, 'slash', options),
            description: 'Your last 10 coffee runs (started, ordered in or ran), in any channel',
            should_escape: false,
          },
          {
            command: '/coffee-cancel',
            url: routeUrl(functions, 'slash', options),
            description: "Cancel this channel's coffee run (whoever started it, its runner or an admin)",
            should_escape: false,
          },
        ],
      },
      oauth_config: { scopes: { bot: botScopes.map((entry) => entry.scope) } },
      settings: {
        interactivity: { is_enabled: true, request_url: routeUrl(functions, 'interaction', options) },
        org_deploy_enabled: false,
        socket_mode_enabled: false,
        token_rotation_enabled: false,
      },
    },
    { aliasDuplicateObjects: false },
  );
  doc.commentBefore =
    ' Create the app from this manifest (api.slack.com/apps → Create New App → From a manifest),\n' +
    ' install it, and put its Bot User OAuth Token and Signing Secret in Vault (README "Deploy to Knative").';
  const scopes = doc.getIn(['oauth_config', 'scopes', 'bot'], true);
  if (!isSeq(scopes)) throw new Error('scopes are not a sequence');
  scopes.items.forEach((item, index) => {
    (item as Scalar).commentBefore = ` ${botScopes[index]!.why}`;
  });
  return renderDocument(doc);
}
