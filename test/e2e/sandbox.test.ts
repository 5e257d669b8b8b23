import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-db.ts';
import { npmStart, stopNpmStart, type NpmStart } from './npm-start-process.ts';

/** Debian's Chromium (`.ci/run` installs it); CHROMIUM_PATH points elsewhere. */
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/**
 * The channel after a whole run, as the test leaves it. README.md shows the copy in
 * test/e2e/screenshots/; `SANDBOX_SCREENSHOT=test/e2e/screenshots/sandbox.png` refreshes it.
 */
const screenshotPath = process.env.SANDBOX_SCREENSHOT ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', '.data', 'sandbox.png');

/**
 * A click or a command, to what the page shows: the signed request, the bot's answer or its effect
 * worker's post to the emulator, the emulator's change over the page's event stream, the re-render.
 */
const renderedTimeoutMs = 10_000;
/**
 * A close, to the summary and the runner's DM: close-run's and then fairness-assign's events through
 * the in-process bus, each with its outbox relay and effect worker, then the page's re-render.
 */
const closeChainTimeoutMs = 20_000;

const people = { ana: 'U0LOCAL1', ben: 'U0LOCAL2', chloe: 'U0LOCAL3', dev: 'U0LOCAL4' } as const;
type Person = keyof typeof people;

/**
 * The sandbox in a real browser: `npm start` (on the test Postgres, its built-in Slack emulator and
 * the in-process bus) serves the page, and Chromium clicks through whole runs as four people —
 * every click a signed request to the bot's Slack routes, every answer rendered from the emulator.
 */
describe('the browser sandbox served by npm start', () => {
  let db: TestDatabase;
  let app: NpmStart;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await npmStart({ DATABASE_URL: db.url });
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(15_000);
    await page.goto(`${app.url}/`);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    if (app) await stopNpmStart(app.child);
    await db?.drop();
  });

  const actAs = async (person: Person) => {
    await page.getByTestId('person-select').selectOption(people[person]);
  };
  const openChannel = () => page.getByTestId('conversation-C0LOCAL1').click();
  const coffee = async (text: string) => {
    await openChannel();
    await page.getByTestId('composer').fill(`/coffee ${text}`);
    await page.getByTestId('composer').press('Enter');
  };
  /** The newest channel message whose text has `text`. */
  const message = (text: string | RegExp): Locator => page.getByTestId('message').filter({ hasText: text }).last();
  const runMessage = () => message('Coffee run started by');
  const click = (within: Locator, actionId: string) => within.locator(`[data-action-id="${actionId}"]`).click();
  const modal = () => page.getByTestId('modal');
  const submitModal = async () => {
    await page.getByTestId('modal-submit').click();
    await expect.poll(() => modal().count(), { timeout: renderedTimeoutMs }).toBe(0);
  };
  const order = async (person: Person, fill: (modal: Locator) => Promise<void>) => {
    await actAs(person);
    await openChannel();
    await click(runMessage(), 'order.open');
    await fill(modal());
    await submitModal();
  };
  const pickDrink = (drink: string, size: string) => async (form: Locator) => {
    await form.locator('[data-block-id="drink"] select').selectOption(drink);
    await form.locator('[data-block-id="size"] select').selectOption(size);
  };
  /** Who the summary names as going, by the name the page shows. */
  const runnerOfSummary = async (): Promise<Person> => {
    const text = await message('Coffee run closed').innerText();
    const name = /closed: @(\S+) is going/.exec(text)?.[1];
    const person = (Object.keys(people) as Person[]).find((p) => name?.normalize('NFD').replace(/\p{M}/gu, '') === p);
    if (!person) throw new Error(`no runner named in: ${text}`);
    return person;
  };
  const markDone = async (runner: Person, channelNote: string) => {
    await actAs(runner);
    await page.getByTestId(`conversation-D${people[runner]}`).click();
    const dm = message(channelNote);
    await expect.poll(() => dm.count(), { timeout: closeChainTimeoutMs }).toBe(1);
    await click(dm, 'runner.done');
  };

  it('clicks through two whole runs: order, last order, withdraw, close, fair pick, DM, done, history', async () => {
    expect(await page.getByTestId('status').getAttribute('data-status')).not.toBe('reconnecting');

    // A first run, so that Ben has a last order.
    await actAs('ana');
    await coffee('in 30m Lobby');
    await expect.poll(() => runMessage().count(), { timeout: renderedTimeoutMs }).toBe(1);
    // Slack shows the command only to whoever typed it.
    await expect.poll(() => page.getByTestId('ephemeral').count(), { timeout: renderedTimeoutMs }).toBeGreaterThan(0);
    await order('ben', pickDrink('Latte', 'Small'));
    await expect.poll(() => runMessage().innerText(), { timeout: renderedTimeoutMs }).toMatch(/1 person has ordered/);
    await actAs('ana');
    await click(runMessage(), 'run.close');
    await expect.poll(() => message('Coffee run closed').count(), { timeout: closeChainTimeoutMs }).toBe(1);
    expect(await runnerOfSummary()).toBe('ben');
    await markDone('ben', 'Lobby');

    // The run the README pictures.
    await actAs('ana');
    await coffee('in 45m Front desk');
    await expect
      .poll(() => page.getByTestId('message').filter({ hasText: 'Front desk' }).filter({ hasText: 'Coffee run started by' }).count(), {
        timeout: renderedTimeoutMs,
      })
      .toBe(1);
    await actAs('ben');
    await openChannel();
    await click(runMessage(), 'order.reuse_last');
    await order('chloe', pickDrink('Cappuccino', 'Large'));
    await order('dev', async (form) => {
      await form.locator('[data-block-id="free_text"] input, [data-block-id="free_text"] textarea').first().fill('Flat white, oat milk');
    });
    await expect.poll(() => runMessage().innerText(), { timeout: renderedTimeoutMs }).toMatch(/3 people have ordered/);
    await actAs('dev');
    await click(runMessage(), 'order.withdraw');
    await expect.poll(() => runMessage().innerText(), { timeout: renderedTimeoutMs }).toMatch(/2 people have ordered/);
    const list = await runMessage().innerText();
    expect(list).toContain('Latte');
    expect(list).toContain('Cappuccino');
    expect(list).not.toContain('Flat white');

    await actAs('ana');
    await click(runMessage(), 'run.close');
    await expect.poll(() => message('Coffee run closed').innerText(), { timeout: closeChainTimeoutMs }).toContain('Front desk');
    // Ben ran last time and did not volunteer: the fairness rule skips him, and says so.
    expect(await runnerOfSummary()).toBe('chloe');
    await markDone('chloe', 'Front desk');
    await actAs('chloe');
    await page.getByTestId('conversation-DU0LOCAL3').click();
    await expect.poll(() => message('Front desk').innerText(), { timeout: renderedTimeoutMs }).toMatch(/done|delivered|Thanks/i);

    await actAs('dev');
    await coffee('history');
    const history = page
      .getByTestId('message')
      .filter({ hasText: 'Coffee runs in this channel' })
      .filter({ has: page.getByTestId('ephemeral') });
    await expect.poll(() => history.count(), { timeout: renderedTimeoutMs }).toBe(1);
    // Both runs, newest first: Chloé's, then Ben's.
    expect(await history.innerText()).toMatch(/@chloé[\s\S]*@ben/);

    await actAs('ana');
    await openChannel();
    await mkdir(dirname(screenshotPath), { recursive: true });
    await page.screenshot({ path: screenshotPath });
    expect(await page.getByTestId('problems').innerText()).toMatch(/Problems\s*0/);
  }, 120_000);
});
