/**
 * Slack mrkdwn to HTML, as a Slack client shows it to one viewer
 * (https://api.slack.com/reference/surfaces/formatting): bold, italic, strike, code, preformatted
 * blocks, quotes, links, user/channel/special mentions, emoji shortcodes, and `<!date^…>` rendered
 * in the viewer's own time zone — the reason the sandbox can show what each person would see.
 *
 * Safety: the input is treated as untrusted. `<…>` tokens are cut out first and replaced by
 * placeholders (private-use characters stripped from the input beforehand), the remaining text is
 * HTML-escaped before any markup is added, and placeholders are filled with HTML built from
 * escaped parts only. Pure: no DOM, so it is tested in node.
 */
import type { SandboxConversation, SandboxPerson } from '../protocol.ts';
import { attrs, escapeHtml, safeUrl } from './html.ts';

/** Who is reading and what names resolve to: mentions and dates depend on it. */
export interface MrkdwnContext {
  people: readonly SandboxPerson[];
  conversations: readonly SandboxConversation[];
  /** The viewer's IANA zone. */
  viewerTz: string;
  /** "Today" / "Yesterday" / "Tomorrow" are relative to this. */
  now: Date;
}

/** Common shortcodes → emoji; an unknown one stays as its `:text:`. */
const emojiMap: Record<string, string> = {
  coffee: '☕',
  tea: '🍵',
  scales: '⚖️',
  no_entry_sign: '🚫',
  no_entry: '⛔',
  white_check_mark: '✅',
  heavy_check_mark: '✔️',
  x: '❌',
  ok_hand: '👌',
  lock: '🔒',
  unlock: '🔓',
  alarm_clock: '⏰',
  warning: '⚠️',
  runner: '🏃',
  running: '🏃',
  hourglass_flowing_sand: '⏳',
  hourglass: '⌛',
  broom: '🧹',
  '+1': '👍',
  thumbsup: '👍',
  '-1': '👎',
  thumbsdown: '👎',
  tada: '🎉',
  wave: '👋',
  raising_hand: '🙋',
  information_source: 'ℹ️',
  calendar: '📅',
  date: '📅',
  bell: '🔔',
  star: '⭐',
  memo: '📝',
  pencil: '📝',
  smile: '😄',
  slightly_smiling_face: '🙂',
  pray: '🙏',
  fire: '🔥',
  eyes: '👀',
  rocket: '🚀',
  sparkles: '✨',
  bust_in_silhouette: '👤',
  busts_in_silhouette: '👥',
  clock: '🕐',
  mega: '📣',
  loudspeaker: '📢',
  zzz: '💤',
  palm_tree: '🌴',
  wastebasket: '🗑️',
  gear: '⚙️',
  bar_chart: '📊',
  chart_with_upwards_trend: '📈',
  trophy: '🏆',
  question: '❓',
  exclamation: '❗',
  heart: '❤️',
  cup_with_straw: '🥤',
  croissant: '🥐',
  doughnut: '🍩',
  cake: '🍰',
  repeat: '🔁',
  arrows_counterclockwise: '🔄',
  hand: '✋',
  raised_hand: '✋',
  point_right: '👉',
  bulb: '💡',
  mag: '🔍',
  link: '🔗',
  shield: '🛡️',
  key: '🔑',
  robot_face: '🤖',
  handshake: '🤝',
  muscle: '💪',
  serviceaccount: '🤖',
};

/** `:coffee:` → ☕ in already-escaped text (shortcodes contain no escapable characters). */
function emojify(escaped: string): string {
  return escaped.replace(/:([a-z0-9_+-]+):/g, (whole, name: string) => emojiMap[name] ?? whole);
}

/** Plain text as Slack shows it: escaped, with emoji shortcodes when `emoji` is on (Slack's default). */
export function plainText(text: string, emoji = true): string {
  const escaped = escapeHtml(text).replace(/\n/g, '<br>');
  return emoji ? emojify(escaped) : escaped;
}

const open = '\uE000';
const close = '\uE001';

/** Render mrkdwn as HTML for one viewer. */
export function mrkdwn(source: string, ctx: MrkdwnContext): string {
  const parts: string[] = [];
  const hold = (html: string) => `${open}${parts.push(html) - 1}${close}`;

  // Slack's own escapes (`&amp;`, `&lt;`, `&gt;`) are undone only in the text between tokens:
  // a literal `<` the app escaped stays text, a real `<…>` is a token.
  let text = source
    .replace(/[\uE000\uE001]/g, '\uFFFD')
    .replace(/<([^<>\n]*)>/g, (_whole, inner: string) => hold(angleToken(inner, ctx)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
  text = escapeHtml(text);

  text = text.replace(/```\n?([\s\S]*?)```/g, (_whole, body: string) => hold(`<pre class="mk-pre">${body}</pre>`));
  text = text.replace(/`([^`\n]+)`/g, (_whole, body: string) => hold(`<code class="mk-code">${body}</code>`));
  text = text.replace(/:([a-z0-9_+-]+):/g, (whole, name: string) => hold(emojiMap[name] ?? whole));
  text = inlineStyle(text, '\\*', 'strong');
  text = inlineStyle(text, '_', 'em');
  text = inlineStyle(text, '~', 's');
  text = quotes(text);
  text = text.replace(/\n/g, '<br>');

  // A placeholder's HTML may itself hold placeholders (a code span inside a quote): fill until none are left.
  while (text.includes(open)) text = text.replace(/\uE000(\d+)\uE001/g, (_whole, index: string) => parts[Number(index)]!);
  return text;
}

/** `*x*` / `_x_` / `~x~`: the marker hugs non-space text and is not inside a word, as in Slack. */
function inlineStyle(text: string, marker: string, tag: string): string {
  const pattern = new RegExp(`(^|[^\\w${marker}])${marker}(?=\\S)([^\\n]*?\\S)${marker}(?![\\w${marker}])`, 'g');
  return text.replace(pattern, (_whole, before: string, body: string) => `${before}<${tag}>${body}</${tag}>`);
}

/** Consecutive lines starting with `>` (escaped by now) become one quote. */
function quotes(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let quoted: string[] = [];
  const flush = () => {
    if (quoted.length) out.push(`<blockquote class="mk-quote">${quoted.join('<br>')}</blockquote>`);
    quoted = [];
  };
  for (const line of lines) {
    const match = /^&gt; ?(.*)$/.exec(line);
    if (match) quoted.push(match[1]!);
    else {
      flush();
      out.push(line);
    }
  }
  flush();
  // A quote is a block: the newline that ended the line before it is not also a line break.
  return out.join('\n').replace(/\n?(<blockquote[\s\S]*?<\/blockquote>)\n?/g, '$1');
}

/** One `<…>` token: a mention, a special command, a date, or a link. */
function angleToken(inner: string, ctx: MrkdwnContext): string {
  const bar = inner.indexOf('|');
  const target = bar === -1 ? inner : inner.slice(0, bar);
  const label = bar === -1 ? undefined : inner.slice(bar + 1);
  if (target.startsWith('@')) {
    const id = target.slice(1);
    const person = ctx.people.find((p) => p.id === id);
    return `<span class="mk-mention"${attrs({ 'data-user-id': id })}>@${escapeHtml(person?.name ?? label ?? id)}</span>`;
  }
  if (target.startsWith('#')) {
    const id = target.slice(1);
    const name = label ?? ctx.conversations.find((c) => c.id === id)?.name.replace(/^#/, '') ?? id;
    return `<span class="mk-channel">#${escapeHtml(name)}</span>`;
  }
  if (target.startsWith('!')) return special(target.slice(1), label, ctx);
  const url = safeUrl(unescapeSlack(target));
  const shown = escapeHtml(unescapeSlack(label ?? target));
  if (!url) return shown;
  return `<a${attrs({ href: url, target: '_blank', rel: 'noopener noreferrer' })}>${shown}</a>`;
}

function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function special(command: string, label: string | undefined, ctx: MrkdwnContext): string {
  if (command === 'here' || command === 'channel' || command === 'everyone') {
    return `<span class="mk-mention mk-broadcast">@${command}</span>`;
  }
  if (command.startsWith('date^')) {
    const [, epoch, format, link] = command.split('^');
    const seconds = Number(epoch);
    const formatted = Number.isFinite(seconds) && format !== undefined ? formatSlackDate(seconds, unescapeSlack(format), ctx) : undefined;
    const shown = escapeHtml(formatted ?? unescapeSlack(label ?? command));
    const url = link ? safeUrl(unescapeSlack(link)) : undefined;
    const body = `<time class="mk-date"${attrs({ datetime: Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString() : undefined })}>${shown}</time>`;
    return url ? `<a${attrs({ href: url, target: '_blank', rel: 'noopener noreferrer' })}>${body}</a>` : body;
  }
  // `<!subteam^ID|@team>` and anything newer: its label, or the raw command.
  return escapeHtml(unescapeSlack(label ?? `<!${command}>`));
}

const monthNames = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

interface ZonedParts {
  year: number;
  month: number;
  day: number;
  weekday: string;
  hour: number;
  minute: number;
  second: number;
}

function zonedParts(at: Date, timeZone: string): ZonedParts {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    weekday: 'long',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(at);
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    year: Number(get('year')),
    month: Number(get('month')),
    day: Number(get('day')),
    weekday: get('weekday'),
    hour: Number(get('hour')) % 24,
    minute: Number(get('minute')),
    second: Number(get('second')),
  };
}

function ordinal(day: number): string {
  const tens = day % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[day % 10] ?? 'th');
  return `${day}${suffix}`;
}

/**
 * Slack's date tokens for `epochSeconds` in the viewer's zone; `undefined` when the zone is not a
 * zone (Slack then shows the fallback). 12-hour clock, as Slack's default preference.
 */
export function formatSlackDate(epochSeconds: number, format: string, ctx: Pick<MrkdwnContext, 'viewerTz' | 'now'>): string | undefined {
  let p: ZonedParts;
  let today: ZonedParts;
  try {
    p = zonedParts(new Date(epochSeconds * 1000), ctx.viewerTz);
    today = zonedParts(ctx.now, ctx.viewerTz);
  } catch {
    return undefined;
  }
  const month = monthNames[p.month - 1]!;
  const pad = (n: number) => String(n).padStart(2, '0');
  const hour12 = p.hour % 12 === 0 ? 12 : p.hour % 12;
  const meridiem = p.hour < 12 ? 'AM' : 'PM';
  const dayOffset = Math.round((Date.UTC(p.year, p.month - 1, p.day) - Date.UTC(today.year, today.month - 1, today.day)) / 86_400_000);
  // Slack capitalises the word only when the format starts with it: "until today at 2:00 PM".
  const word = ({ [-1]: 'yesterday', 0: 'today', 1: 'tomorrow' } as Record<number, string>)[dayOffset];
  const tokens: Record<string, string> = {
    date_num: `${p.year}-${pad(p.month)}-${pad(p.day)}`,
    date_slash: `${pad(p.day)}/${pad(p.month)}/${p.year}`,
    date: `${month} ${ordinal(p.day)}, ${p.year}`,
    date_short: `${month.slice(0, 3)} ${p.day}, ${p.year}`,
    date_long: `${p.weekday}, ${month} ${ordinal(p.day)}, ${p.year}`,
    date_long_full: `${month} ${p.day}, ${p.year}`,
    time: `${hour12}:${pad(p.minute)} ${meridiem}`,
    time_secs: `${hour12}:${pad(p.minute)}:${pad(p.second)} ${meridiem}`,
  };
  const pretty = ['date_pretty', 'date_short_pretty', 'date_long_pretty', 'day_divider_pretty'];
  tokens.date_pretty = tokens.date!;
  tokens.date_short_pretty = tokens.date_short!;
  tokens.date_long_pretty = tokens.date_long!;
  tokens.day_divider_pretty = p.year === today.year ? `${p.weekday}, ${month} ${ordinal(p.day)}` : tokens.date_long!;
  return format.replace(/\{(\w+)\}/g, (whole, name: string, at: number) => {
    if (word && pretty.includes(name)) return at === 0 ? `${word[0]!.toUpperCase()}${word.slice(1)}` : word;
    return tokens[name] ?? whole;
  });
}
