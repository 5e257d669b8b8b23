/**
 * Block Kit to HTML (https://api.slack.com/reference/block-kit), the part of it the bot uses and
 * a little more: sections (text, fields, accessories), context, divider, header, actions, image,
 * and modal input blocks. Anything else is shown as its JSON with a note, so the sandbox never
 * hides what the bot posted.
 *
 * Interactive elements carry `data-action-id` and `data-element-type`, and every block wrapper
 * `data-block-id` (generated ids where the bot gave none, see view-state.ts); elements that send
 * `block_actions` when used carry `data-fires`, inputs whose value goes into `view.state.values`
 * carry `data-input`. The page's click handlers find the element's JSON again by those ids, so the
 * HTML holds no behaviour. Pure: strings in, strings out, tested in node.
 */
import { attrs, escapeHtml, safeUrl } from './html.ts';
import { mrkdwn, plainText, type MrkdwnContext } from './mrkdwn.ts';
import { actionIdOf, asArray, asObject, asString, blockIdOf, initialValues, type Json } from './view-state.ts';

/** The JSON of something the sandbox does not render, with a note saying so. */
export function unsupported(type: string, value: unknown): string {
  return (
    `<div class="bk-unsupported"><div class="bk-unsupported-note">not rendered by the sandbox: ${escapeHtml(type)}</div>` +
    `<pre>${escapeHtml(JSON.stringify(value, null, 2) ?? String(value))}</pre></div>`
  );
}

/** A text object: mrkdwn, or plain_text (with emoji shortcodes unless `emoji: false`). */
export function textHtml(value: unknown, ctx: MrkdwnContext): string {
  const t = asObject(value);
  const text = asString(t.text) ?? '';
  return t.type === 'mrkdwn' ? mrkdwn(text, ctx) : plainText(text, t.emoji !== false);
}

/** Where blocks are rendered: unique radio-group names need a scope, and modals show field errors. */
interface Place {
  ctx: MrkdwnContext;
  /** A message id or a view id: keeps input names unique on the page. */
  scope: string;
  errors: Record<string, string>;
}

/** Render a message's or a view's blocks. */
export function renderBlocks(blocks: readonly unknown[], ctx: MrkdwnContext, scope: string, errors: Record<string, string> = {}): string {
  const place: Place = { ctx, scope, errors };
  return blocks.map((block, index) => renderBlock(block, blockIdOf(block, index), place)).join('');
}

function renderBlock(block: unknown, blockId: string, place: Place): string {
  const b = asObject(block);
  const type = asString(b.type) ?? '(no type)';
  const wrap = (cls: string, inner: string) => `<div${attrs({ class: `bk-block ${cls}`, 'data-block-id': blockId })}>${inner}</div>`;
  switch (type) {
    case 'section':
      return wrap('bk-section', section(b, blockId, place));
    case 'context':
      return wrap(
        'bk-context',
        asArray(b.elements)
          .map((e) => contextElement(e, place.ctx))
          .join(''),
      );
    case 'divider':
      return wrap('bk-divider', '<hr>');
    case 'header':
      return wrap('bk-header', `<h3>${textHtml(b.text, place.ctx)}</h3>`);
    case 'image':
      return wrap('bk-image-block', imageBlock(b, place.ctx));
    case 'actions':
      return wrap(
        'bk-actions',
        asArray(b.elements)
          .map((e, i) => interactive(asObject(e), blockId, actionIdOf(e, i), place))
          .join(''),
      );
    case 'input':
      return wrap('bk-input', input(b, blockId, place));
    default:
      return wrap('bk-unknown', unsupported(type, block));
  }
}

function section(b: Json, blockId: string, place: Place): string {
  const text = b.text ? `<div class="bk-text">${textHtml(b.text, place.ctx)}</div>` : '';
  const fields = asArray(b.fields).length
    ? `<div class="bk-fields">${asArray(b.fields)
        .map((f) => `<div class="bk-field">${textHtml(f, place.ctx)}</div>`)
        .join('')}</div>`
    : '';
  const accessory = b.accessory
    ? `<div class="bk-accessory">${
        asObject(b.accessory).type === 'image'
          ? image(asObject(b.accessory), 'bk-thumb')
          : interactive(asObject(b.accessory), blockId, actionIdOf(b.accessory, 0), place)
      }</div>`
    : '';
  return `<div class="bk-section-body">${text}${fields}</div>${accessory}`;
}

function contextElement(element: unknown, ctx: MrkdwnContext): string {
  const e = asObject(element);
  if (e.type === 'image') return image(e, 'bk-context-image');
  if (e.type === 'mrkdwn' || e.type === 'plain_text') return `<span class="bk-context-text">${textHtml(e, ctx)}</span>`;
  return unsupported(asString(e.type) ?? '(no type)', element);
}

function image(e: Json, cls: string): string {
  const src = safeUrl(asString(e.image_url) ?? '') ?? '';
  return `<img${attrs({ class: cls, src, alt: asString(e.alt_text) ?? '', loading: 'lazy' })}>`;
}

function imageBlock(b: Json, ctx: MrkdwnContext): string {
  const title = b.title ? `<figcaption>${textHtml(b.title, ctx)}</figcaption>` : '';
  return `<figure>${title}${image(b, 'bk-image')}</figure>`;
}

/** The ids every interactive element carries. */
function ids(element: Json, actionId: string, extra: Record<string, string | boolean | undefined> = {}) {
  return attrs({ 'data-action-id': actionId, 'data-element-type': asString(element.type) ?? '', ...extra });
}

/** An element in an actions block or a section accessory: using it sends `block_actions`. */
function interactive(element: Json, blockId: string, actionId: string, place: Place): string {
  const type = asString(element.type) ?? '(no type)';
  const name = `${place.scope}|${blockId}|${actionId}`;
  const stateful = { 'data-input': true, 'data-fires': true };
  switch (type) {
    case 'button': {
      const style = element.style === 'primary' || element.style === 'danger' ? ` bk-${element.style}` : '';
      return `<button${attrs({ type: 'button', class: `bk-button${style}` })}${ids(element, actionId, { 'data-fires': true, 'data-confirm': element.confirm ? 'yes' : undefined })}>${textHtml(element.text, place.ctx)}</button>`;
    }
    case 'overflow':
      return `<select${attrs({ class: 'bk-overflow', 'aria-label': 'More actions' })}${ids(element, actionId, { 'data-fires': true })}><option value="" selected disabled>⋯</option>${optionList(element, [])}</select>`;
    case 'static_select':
      return select(element, actionId, place, stateful);
    case 'users_select':
      return usersSelect(element, actionId, place, stateful);
    case 'checkboxes':
    case 'radio_buttons':
      return choices(element, actionId, name, place, stateful);
    default:
      return unsupported(type, element);
  }
}

/** A modal input block: label, element, the error Slack would show under it, hint. */
function input(b: Json, blockId: string, place: Place): string {
  const element = asObject(b.element);
  const actionId = actionIdOf(element, 0);
  const optional = b.optional === true ? ' <span class="bk-optional">(optional)</span>' : '';
  const label = `<label class="bk-label">${textHtml(b.label, place.ctx)}${optional}</label>`;
  const error = place.errors[blockId];
  const errorHtml = error ? `<div${attrs({ class: 'bk-error', 'data-testid': 'modal-error', role: 'alert' })}>${escapeHtml(error)}</div>` : '';
  const hint = b.hint ? `<div class="bk-hint">${textHtml(b.hint, place.ctx)}</div>` : '';
  return `${label}${inputElement(element, actionId, `${place.scope}|${blockId}|${actionId}`, place, Boolean(error))}${errorHtml}${hint}`;
}

function inputElement(element: Json, actionId: string, name: string, place: Place, invalid: boolean): string {
  const type = asString(element.type) ?? '(no type)';
  const extra = { 'data-input': true, 'aria-invalid': invalid ? 'true' : undefined };
  const placeholder = asString(asObject(element.placeholder).text);
  const initial = asString(element.initial_value);
  switch (type) {
    case 'plain_text_input':
      return element.multiline === true
        ? `<textarea${attrs({ class: 'bk-textinput', rows: 4, placeholder })}${ids(element, actionId, extra)}>${escapeHtml(initial ?? '')}</textarea>`
        : `<input${attrs({ class: 'bk-textinput', type: 'text', placeholder, value: initial })}${ids(element, actionId, extra)}>`;
    case 'number_input':
      return `<input${attrs({
        class: 'bk-textinput',
        type: 'number',
        placeholder,
        value: initial,
        min: asString(element.min_value),
        max: asString(element.max_value),
        step: element.is_decimal_allowed === true ? 'any' : '1',
      })}${ids(element, actionId, extra)}>`;
    case 'static_select':
    case 'multi_static_select':
      return select(element, actionId, place, extra);
    case 'users_select':
      return usersSelect(element, actionId, place, extra);
    case 'multi_users_select': {
      const chosen = initialValues(element);
      const people = place.ctx.people.map(
        (p) =>
          `<label class="bk-choice bk-person-choice"><input${attrs({ type: 'checkbox', value: p.id, checked: chosen.includes(p.id) })}><span>${escapeHtml(p.name)}</span></label>`,
      );
      return `<div${attrs({ class: 'bk-choices bk-people', role: 'group' })}${ids(element, actionId, extra)}>${people.join('')}</div>`;
    }
    case 'checkboxes':
    case 'radio_buttons':
      return choices(element, actionId, name, place, extra);
    default:
      return unsupported(type, element);
  }
}

function optionList(element: Json, selected: readonly string[]): string {
  const option = (o: unknown) => {
    const opt = asObject(o);
    const value = asString(opt.value) ?? '';
    return `<option${attrs({ value, selected: selected.includes(value) })}>${escapeHtml(asString(asObject(opt.text).text) ?? value)}</option>`;
  };
  const groups = asArray(element.option_groups).map((g) => {
    const group = asObject(g);
    return `<optgroup${attrs({ label: asString(asObject(group.label).text) ?? '' })}>${asArray(group.options).map(option).join('')}</optgroup>`;
  });
  return asArray(element.options).map(option).join('') + groups.join('');
}

function select(element: Json, actionId: string, _place: Place, extra: Record<string, string | boolean | undefined>): string {
  const chosen = initialValues(element);
  const multiple = element.type === 'multi_static_select';
  const placeholder = asString(asObject(element.placeholder).text) ?? 'Select an item';
  const empty = multiple ? '' : `<option${attrs({ value: '', selected: chosen.length === 0 })}>${escapeHtml(placeholder)}</option>`;
  return `<select${attrs({ class: 'bk-select', multiple })}${ids(element, actionId, extra)}>${empty}${optionList(element, chosen)}</select>`;
}

function usersSelect(element: Json, actionId: string, place: Place, extra: Record<string, string | boolean | undefined>): string {
  const chosen = initialValues(element);
  const placeholder = asString(asObject(element.placeholder).text) ?? 'Select a person';
  const people = place.ctx.people.map((p) => `<option${attrs({ value: p.id, selected: chosen.includes(p.id) })}>${escapeHtml(p.name)}</option>`);
  return `<select${attrs({ class: 'bk-select' })}${ids(element, actionId, extra)}><option${attrs({ value: '', selected: chosen.length === 0 })}>${escapeHtml(placeholder)}</option>${people.join('')}</select>`;
}

function choices(element: Json, actionId: string, name: string, place: Place, extra: Record<string, string | boolean | undefined>): string {
  const chosen = initialValues(element);
  const kind = element.type === 'radio_buttons' ? 'radio' : 'checkbox';
  const options = asArray(element.options).map((o) => {
    const opt = asObject(o);
    const value = asString(opt.value) ?? '';
    const description = opt.description ? `<span class="bk-choice-description">${textHtml(opt.description, place.ctx)}</span>` : '';
    return `<label class="bk-choice"><input${attrs({ type: kind, name, value, checked: chosen.includes(value) })}><span>${textHtml(opt.text, place.ctx)}${description}</span></label>`;
  });
  return `<div${attrs({ class: 'bk-choices', role: kind === 'radio' ? 'radiogroup' : 'group' })}${ids(element, actionId, extra)}>${options.join('')}</div>`;
}

/** A modal: title, blocks with field errors, close and submit. */
export function renderModal(viewId: string, view: Json, errors: Record<string, string>, ctx: MrkdwnContext): string {
  const title = textHtml(view.title, ctx);
  const closeLabel = view.close ? textHtml(view.close, ctx) : 'Cancel';
  const submit = view.submit
    ? `<button${attrs({ type: 'button', class: 'bk-button bk-primary', 'data-testid': 'modal-submit' })}>${textHtml(view.submit, ctx)}</button>`
    : '';
  const body = view.type === 'modal' ? renderBlocks(asArray(view.blocks), ctx, viewId, errors) : unsupported(asString(view.type) ?? '(no type)', view);
  return (
    `<div${attrs({ class: 'modal', role: 'dialog', 'aria-modal': 'true', 'data-testid': 'modal', 'data-view-id': viewId })}>` +
    `<header class="modal-header"><h2>${title}</h2><button${attrs({ type: 'button', class: 'modal-x', 'aria-label': 'Close', 'data-close': true })}>×</button></header>` +
    `<div class="modal-body">${body}</div>` +
    `<footer class="modal-footer"><button${attrs({ type: 'button', class: 'bk-button', 'data-testid': 'modal-close', 'data-close': true })}>${closeLabel}</button>${submit}</footer>` +
    '</div>'
  );
}

/** An element's `confirm` dialog (https://api.slack.com/reference/block-kit/composition-objects#confirm), shown before the click is sent. */
export function renderConfirm(confirm: Json, ctx: MrkdwnContext): string {
  const yesStyle = confirm.style === 'danger' ? 'bk-danger' : 'bk-primary';
  return (
    `<div${attrs({ class: 'modal modal-confirm', role: 'alertdialog', 'aria-modal': 'true', 'data-testid': 'confirm' })}>` +
    `<header class="modal-header"><h2>${confirm.title ? textHtml(confirm.title, ctx) : 'Are you sure?'}</h2></header>` +
    `<div class="modal-body"><div class="bk-text">${textHtml(confirm.text, ctx)}</div></div>` +
    `<footer class="modal-footer"><button${attrs({ type: 'button', class: 'bk-button', 'data-testid': 'confirm-no' })}>${confirm.deny ? textHtml(confirm.deny, ctx) : 'Cancel'}</button>` +
    `<button${attrs({ type: 'button', class: `bk-button ${yesStyle}`, 'data-testid': 'confirm-yes' })}>${confirm.confirm ? textHtml(confirm.confirm, ctx) : 'Yes'}</button></footer>` +
    '</div>'
  );
}
