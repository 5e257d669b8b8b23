import type { SlackMember } from './port.ts';

/** How a typed name compares: case, Unicode form and the leading `@` do not matter. */
const folded = (text: string) => text.normalize('NFC').toLocaleLowerCase('en').trim();
/** The same, with accents dropped: `chloe` still finds `chloé` when nobody is called `chloe`. */
const plain = (text: string) => folded(text).normalize('NFD').replace(/\p{M}/gu, '');

/**
 * Who a typed `@name` means: the people whose username, display name or full name it is. With
 * `should_escape: false` Slack passes a typed mention as plain text
 * (https://docs.slack.dev/interactivity/implementing-slash-commands#creating_commands), so
 * `@chloé` arrives as written. An exact match (ignoring case) wins; only when there is none does
 * one ignoring accents count. Several matches are for the caller to ask about, never to guess.
 */
export function membersNamed(members: readonly SlackMember[], typed: string): SlackMember[] {
  const wanted = typed.replace(/^@/, '');
  if (folded(wanted) === '') return [];
  const names = (m: SlackMember) => [m.handle, m.displayName, m.realName].filter((name) => name.trim() !== '');
  for (const fold of [folded, plain]) {
    const target = fold(wanted);
    const found = members.filter((m) => names(m).some((name) => fold(name) === target));
    if (found.length > 0) return found;
  }
  return [];
}
