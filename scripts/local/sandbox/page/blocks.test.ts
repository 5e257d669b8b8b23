import { describe, expect, it } from 'vitest';
import { renderBlocks, renderConfirm, renderModal, textHtml } from './blocks.ts';
import type { MrkdwnContext } from './mrkdwn.ts';

const ctx: MrkdwnContext = {
  people: [
    { id: 'U01', name: 'Ana Ruiz', realName: 'Ana Ruiz', tz: 'Europe/Berlin', isAdmin: true },
    { id: 'U02', name: 'Ben <Carter>', realName: 'Ben', tz: 'America/New_York', isAdmin: false },
  ],
  conversations: [],
  viewerTz: 'Europe/Berlin',
  now: new Date('2026-11-30T12:00:00Z'),
};
const plain = (text: string) => ({ type: 'plain_text', text });
const option = (text: string, value = text) => ({ text: plain(text), value });

describe('message blocks', () => {
  it('sections with text, fields and a button accessory; block ids generated where missing', () => {
    const html = renderBlocks(
      [
        { type: 'section', block_id: 'run.summary', text: { type: 'mrkdwn', text: '*Coffee run*' }, fields: [{ type: 'mrkdwn', text: '_a_' }, plain('b')] },
        { type: 'section', text: plain('x'), accessory: { type: 'button', text: plain('Go'), action_id: 'go', value: 'r1' } },
      ],
      ctx,
      'm1',
    );
    expect(html).toContain('data-block-id="run.summary"');
    expect(html).toContain('<strong>Coffee run</strong>');
    expect(html).toContain('<div class="bk-field"><em>a</em></div><div class="bk-field">b</div>');
    expect(html).toContain('data-block-id="block-1"');
    expect(html).toMatch(/<button type="button" class="bk-button" data-action-id="go" data-element-type="button" data-fires>Go<\/button>/);
  });

  it('buttons keep their style and mark a confirm', () => {
    const html = renderBlocks(
      [
        {
          type: 'actions',
          elements: [
            { type: 'button', text: plain('Place order'), action_id: 'order.open', style: 'primary' },
            { type: 'button', text: plain('Reset'), action_id: 'reset', style: 'danger', confirm: { title: plain('Sure?'), text: plain('Gone for good') } },
            { type: 'button', text: plain(':+1:'), emoji: true },
          ],
        },
      ],
      ctx,
      'm1',
    );
    expect(html).toContain('class="bk-button bk-primary" data-action-id="order.open"');
    expect(html).toContain('class="bk-button bk-danger" data-action-id="reset" data-element-type="button" data-fires data-confirm="yes">Reset</button>');
    expect(html).toContain('data-action-id="action-2" data-element-type="button" data-fires>👍</button>');
  });

  it('the confirm dialog has its texts, deny and a danger style', () => {
    const html = renderConfirm(
      { title: plain('Reset CoffeeBuddy?'), text: { type: 'mrkdwn', text: 'All *runs* go' }, confirm: plain('Reset'), deny: plain('Keep'), style: 'danger' },
      ctx,
    );
    expect(html).toContain('<h2>Reset CoffeeBuddy?</h2>');
    expect(html).toContain('All <strong>runs</strong> go');
    expect(html).toContain('data-testid="confirm-no">Keep</button>');
    expect(html).toContain('class="bk-button bk-danger" data-testid="confirm-yes">Reset</button>');
  });

  it('selects, users selects, overflow, checkboxes and radio buttons in an actions block', () => {
    const html = renderBlocks(
      [
        {
          type: 'actions',
          block_id: 'pick',
          elements: [
            { type: 'static_select', action_id: 's', placeholder: plain('Choose'), option_groups: [{ label: plain('Hot'), options: [option('Latte')] }] },
            { type: 'users_select', action_id: 'u', initial_user: 'U02' },
            { type: 'overflow', action_id: 'o', options: [option('Hide', 'hide')] },
            { type: 'checkboxes', action_id: 'c', options: [option('One', '1')], initial_options: [option('One', '1')] },
            { type: 'radio_buttons', action_id: 'r', options: [option('A'), option('B')], initial_option: option('B') },
          ],
        },
      ],
      ctx,
      'm1',
    );
    expect(html).toContain('<option value="" selected>Choose</option><optgroup label="Hot"><option value="Latte">Latte</option></optgroup>');
    expect(html).toContain('<option value="U02" selected>Ben &lt;Carter&gt;</option>');
    expect(html).toContain('<option value="hide">Hide</option>');
    expect(html).toContain('<input type="checkbox" name="m1|pick|c" value="1" checked>');
    expect(html).toContain('<input type="radio" name="m1|pick|r" value="B" checked>');
    expect(html).toContain('<input type="radio" name="m1|pick|r" value="A">');
  });

  it('context, divider, header and image blocks', () => {
    const html = renderBlocks(
      [
        {
          type: 'context',
          elements: [
            { type: 'mrkdwn', text: '3 *orders*' },
            { type: 'image', image_url: 'https://x.test/a.png', alt_text: 'a "pic"' },
          ],
        },
        { type: 'divider' },
        { type: 'header', text: plain('Coffee & tea') },
        { type: 'image', image_url: 'javascript:alert(1)', alt_text: 'bad', title: plain('Cup') },
      ],
      ctx,
      'm1',
    );
    expect(html).toContain('<span class="bk-context-text">3 <strong>orders</strong></span>');
    expect(html).toContain('<img class="bk-context-image" src="https://x.test/a.png" alt="a &quot;pic&quot;" loading="lazy">');
    expect(html).toContain('<hr>');
    expect(html).toContain('<h3>Coffee &amp; tea</h3>');
    expect(html).toContain('<figcaption>Cup</figcaption><img class="bk-image" src="" alt="bad"');
  });

  it('unknown blocks and elements show as JSON with a note, escaped', () => {
    const html = renderBlocks(
      [
        { type: 'rich_text', elements: [{ text: '<script>x</script>' }] },
        { type: 'actions', elements: [{ type: 'datepicker', action_id: 'd' }] },
      ],
      ctx,
      'm1',
    );
    expect(html).toContain('not rendered by the sandbox: rich_text');
    expect(html).toContain('&quot;type&quot;: &quot;rich_text&quot;');
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('not rendered by the sandbox: datepicker');
  });

  it('plain_text is never read as mrkdwn', () => {
    expect(textHtml(plain('*not bold* <#C01>'), ctx)).toBe('*not bold* &lt;#C01&gt;');
  });
});

describe('modals', () => {
  const view = {
    type: 'modal',
    title: plain('Coffee order'),
    submit: plain('Place order'),
    close: plain('Cancel'),
    blocks: [
      {
        type: 'input',
        block_id: 'drink',
        label: plain('Drink'),
        optional: true,
        hint: plain('Pick one'),
        element: { type: 'static_select', action_id: 'value', options: [option('Latte'), option('Mocha')], initial_option: option('Mocha') },
      },
      {
        type: 'input',
        block_id: 'note',
        label: plain('Note'),
        element: { type: 'plain_text_input', action_id: 'value', multiline: true, initial_value: 'a </textarea><script>' },
      },
      {
        type: 'input',
        block_id: 'n',
        label: plain('Minutes'),
        element: { type: 'number_input', action_id: 'value', is_decimal_allowed: false, min_value: '1', max_value: '60', initial_value: '5' },
      },
      { type: 'input', block_id: 'admins', label: plain('Admins'), element: { type: 'multi_users_select', action_id: 'value', initial_users: ['U01'] } },
      { type: 'input', label: plain('Kind'), element: { type: 'radio_buttons', options: [option('A')] } },
      { type: 'input', block_id: 'when', label: plain('When'), element: { type: 'datepicker', action_id: 'value' } },
    ],
  };

  it('title, close, submit and the view id', () => {
    const html = renderModal('V1', view, {}, ctx);
    expect(html).toContain('data-testid="modal" data-view-id="V1"');
    expect(html).toContain('<h2>Coffee order</h2>');
    expect(html).toContain('data-testid="modal-close" data-close>Cancel</button>');
    expect(html).toContain('data-testid="modal-submit">Place order</button>');
    expect(renderModal('V2', { ...view, submit: undefined }, {}, ctx)).not.toContain('modal-submit');
  });

  it('inputs with their initial values, labels, optional and hints', () => {
    const html = renderModal('V1', view, {}, ctx);
    expect(html).toContain('<label class="bk-label">Drink <span class="bk-optional">(optional)</span></label>');
    expect(html).toContain('<option value="Mocha" selected>Mocha</option>');
    expect(html).toContain('<div class="bk-hint">Pick one</div>');
    expect(html).toContain('>a &lt;/textarea&gt;&lt;script&gt;</textarea>');
    expect(html).toContain('type="number" value="5" min="1" max="60" step="1"');
    expect(html).toContain('<input type="checkbox" value="U01" checked><span>Ana Ruiz</span>');
    expect(html).toContain('data-block-id="block-4"');
    expect(html).toContain('data-action-id="action-0" data-element-type="radio_buttons" data-input');
    expect(html).toContain('not rendered by the sandbox: datepicker');
  });

  it('an error shows under the input with that block id', () => {
    const html = renderModal('V1', view, { drink: 'Choose a <drink>' }, ctx);
    expect(html).toMatch(
      /data-block-id="drink">.*aria-invalid="true".*<div class="bk-error" data-testid="modal-error" role="alert">Choose a &lt;drink&gt;<\/div><div class="bk-hint">/s,
    );
    expect(html.match(/bk-error/g)).toHaveLength(1);
  });
});
