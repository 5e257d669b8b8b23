import type { EmulatedUser } from '../emulator.ts';
import { localSlack } from '../../../test/support/slack-requests.ts';
import type { SandboxConversation, SandboxPerson } from './protocol.ts';

/** The shared channel of local runs: the one `npm start`'s curls and the sandbox both act in. */
export const sandboxChannel: SandboxConversation = { id: localSlack.channelId, name: '#coffee', kind: 'channel' };

/**
 * The people of `npm start`'s workspace, in four time zones so pickup times visibly render per
 * reader. Ana is the user the banner's curl signs as, and a workspace admin; her zone follows
 * `DEFAULT_TIME_ZONE` as before.
 */
export function localPeople(env: { DEFAULT_TIME_ZONE?: string | undefined } = {}): SandboxPerson[] {
  return [
    { id: localSlack.userId, name: localSlack.userName, realName: 'Ana', tz: env.DEFAULT_TIME_ZONE ?? 'Europe/London', isAdmin: true },
    { id: 'U0LOCAL2', name: 'ben', realName: 'Ben', tz: 'Europe/Berlin', isAdmin: false },
    { id: 'U0LOCAL3', name: 'chloé', realName: 'Chloé', tz: 'America/New_York', isAdmin: false },
    { id: 'U0LOCAL4', name: 'dev', realName: 'Dev', tz: 'Asia/Kolkata', isAdmin: false },
  ];
}

/** The people as the Slack emulator's `users.info` knows them. */
export function emulatedUsers(people: readonly SandboxPerson[]): Record<string, EmulatedUser> {
  return Object.fromEntries(people.map((p) => [p.id, { name: p.name, real_name: p.realName, tz: p.tz, is_admin: p.isAdmin }]));
}

/** A person's DM with the bot, as the emulator names it (`conversations.open` answers `D<user id>`). */
export function dmConversation(person: SandboxPerson): SandboxConversation {
  return { id: `D${person.id}`, name: person.name, kind: 'dm', userId: person.id };
}
