/**
 * Whether Postgres can store `text` as typed: no NUL (a `text` column refuses U+0000) and no UTF-16
 * surrogate without its pair (not Unicode, so not UTF-8 either: it would be stored as U+FFFD).
 */
export function isStorableText(text: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what Postgres cannot store in text
  return !/\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}

/** "1 run", "2 runs", "1 person" / "3 people" (`many` for irregular plurals). */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
