/**
 * HTML escaping for the sandbox page. Everything the page shows comes from the bot (or from what a
 * person typed, echoed by the bot), so every string goes through these before it reaches
 * `innerHTML`; the renderers never concatenate unescaped text. Pure, so node tests cover it.
 */

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape text for an HTML text node or a double-quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => entities[c]!);
}

/** ` name="value"` pairs for an element's opening tag; `undefined`/`false` values are left out, `true` is a bare attribute. */
export function attrs(values: Record<string, string | number | boolean | undefined>): string {
  let out = '';
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || value === false) continue;
    out += value === true ? ` ${name}` : ` ${name}="${escapeHtml(String(value))}"`;
  }
  return out;
}

/** A link target the page may open: web and mail links only, so `javascript:` and the like never become links. */
export function safeUrl(url: string): string | undefined {
  return /^(https?:\/\/|mailto:)/i.test(url.trim()) ? url.trim() : undefined;
}
