import type { EphemeralReply } from './messages.ts';
import type { Button, PlainTextElement } from '@slack/types';
import { typedText } from '../slack/text.ts';
import { suggestionActions } from '../slack/interaction-ids.ts';

/** The words after `/coffee` that are subcommands (see `handleSlashCommand`). */
export const subcommands = ['help', 'close', 'cancel', 'history', 'stats', 'admin', 'away', 'back', 'forget-me'] as const;
export type Subcommand = (typeof subcommands)[number];

/**
 * Words people try as subcommands that are not ones: what to suggest instead (null when no
 * subcommand does it, with a hint of what does).
 */
const reservedWords: Record<string, { command: Subcommand | null; hint?: string }> = {
  config: { command: 'admin' },
  configure: { command: 'admin' },
  settings: { command: 'admin' },
  setup: { command: 'admin' },
  reset: { command: 'admin' },
  optout: { command: 'away' },
  'opt-out': { command: 'away' },
  optin: { command: 'back' },
  'opt-in': { command: 'back' },
  forget: { command: 'forget-me' },
  status: { command: 'stats' },
  list: { command: 'history' },
  join: { command: null, hint: 'To join a run, use *Place order* on its message.' },
  order: { command: null, hint: 'To order, use *Place order* on the run message.' },
};

/** Words that start a valid run text and must never be taken for a misspelt subcommand. */
const runWords = new Set(['closes', 'in', 'at']);

const weekdays = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const tomorrowWords = new Set(['tomorrow', 'tmrw', 'tmr', 'tomorow', 'tommorow', 'tommorrow']);
/** `12/24`, `24/12/2026`, `2026-12-24`: `10.30` stays a (mistyped) time for the pickup parser. */
const dateLike = /^(?:\d{1,2}\/\d{1,2}(?:\/\d{2,4})?|\d{4}-\d{1,2}-\d{1,2})$/;

/** What the first word of `/coffee <text>` turned out to be when it is neither a time nor a note. */
export type FirstWordCheck = { kind: 'suggest'; word: string; command: string | null; hint?: string } | { kind: 'day'; word: string; when: string };

/**
 * Look at the first word only (a note after a pickup time, `/coffee 10:30 reset the machine`, is
 * never looked at): a word close to a subcommand, a reserved word, or a day other than today.
 * Null when the text is an ordinary run text.
 */
export function checkFirstWord(text: string): FirstWordCheck | null {
  const words = text.trim().split(/\s+/);
  const first = words[0] ?? '';
  const word = first.toLowerCase();
  if (dateLike.test(word)) return { kind: 'day', word: first, when: 'on that day' };
  if (!/^[a-z][a-z_-]*$/.test(word) || runWords.has(word)) return null;
  if (tomorrowWords.has(word)) return { kind: 'day', word: first, when: 'tomorrow' };
  if (weekdays.includes(word)) return { kind: 'day', word: first, when: `on ${word[0]!.toUpperCase()}${word.slice(1)}` };
  if ((subcommands as readonly string[]).includes(word)) return null;
  const reserved = Object.hasOwn(reservedWords, word) ? reservedWords[word] : undefined;
  if (reserved) return { kind: 'suggest', word: first, ...reserved };
  const typo = closestSubcommand(word);
  if (!typo) return null;
  return { kind: 'suggest', word: first, command: [typo, ...words.slice(1)].join(' ') };
}

/**
 * The subcommand `word` is most likely a typo of. Long subcommands take up to two edits (one for
 * a word under six letters); short ones (`help`, `away`, `back`) only two letters swapped, because
 * a single edit of a four-letter word is too often a real note (`black`, `way`).
 */
export function closestSubcommand(word: string): Subcommand | null {
  let best: { command: Subcommand; distance: number } | null = null;
  for (const command of subcommands) {
    // Two edits at most: a length further off cannot match, and its distance would cost
    // O(length × 9) work for nothing (a 4,000-character word took 15–35 ms).
    if (Math.abs(word.length - command.length) > 2) continue;
    const distance = editDistance(word, command);
    const allowed = command.length < 5 ? (isSwap(word, command) ? 1 : 0) : word.length < 6 ? 1 : 2;
    if (distance <= allowed && (!best || distance < best.distance)) best = { command, distance };
  }
  return best?.command ?? null;
}

function isSwap(a: string, b: string): boolean {
  return a.length === b.length && [...a].sort().join('') === [...b].sort().join('');
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number) => rows[i]![j]!;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, at(i - 2, j - 2) + 1);
      rows[i]![j] = value;
    }
  }
  return at(a.length, b.length);
}

/** Block Kit caps a button's text at 75 characters and its value at 2,000. */
const buttonTextMax = 75;
const buttonValueMax = 2000;

/** "Did you mean …?" with a button for the subcommand and one to start the run as typed. */
export function suggestionReply(check: Extract<FirstWordCheck, { kind: 'suggest' }>, text: string): EphemeralReply {
  const question = check.command
    ? `Did you mean \`/coffee ${typedText(check.command, 60)}\`?`
    : `\`${typedText(check.word)}\` isn't a CoffeeBuddy command. ${check.hint ?? ''}`.trimEnd();
  const note = text.trim();
  const buttons = [
    ...(check.command && check.command.length <= buttonValueMax
      ? [
          {
            type: 'button',
            action_id: suggestionActions.runCommand,
            style: 'primary',
            text: plain(`/coffee ${check.command}`),
            value: check.command,
          } satisfies Button,
        ]
      : []),
    ...(note.length <= buttonValueMax
      ? [{ type: 'button', action_id: suggestionActions.startRun, text: plain(`Start a run with note '${note}'`), value: note } satisfies Button]
      : []),
  ];
  return {
    text: `${question} To start a run with the note as typed, use the button. See \`/coffee help\` for every form.`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: question } },
      { type: 'actions', block_id: 'coffee.suggest', elements: buttons },
    ],
  };
}

/** A run started for another day: refused, since runs are same-day (pickup, reminders, fairness). */
export function otherDayReply(check: Extract<FirstWordCheck, { kind: 'day' }>): EphemeralReply {
  return {
    text: `CoffeeBuddy runs are for today: start it ${check.when}, or use \`in 2h\` for later today. No run was started.`,
  };
}

const plain = (text: string): PlainTextElement => ({
  type: 'plain_text',
  text: text.length > buttonTextMax ? `${text.slice(0, buttonTextMax - 1)}…` : text,
  emoji: true,
});
