// What the browser tests share: the server's address, Debian's chromium, the outbox, signing up.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const port = process.env.ECHOS_BASE_PORT;
export const outbox = process.env.ECHOS_MAIL__OUTBOX_DIR;
export const shots = process.env.SHOTS_DIR;
export const alpes = `http://alpes.localhost:${port}`;
export const littoral = `http://littoral.localhost:${port}`;
export const PASSWORD = 'une phrase de passe solide';

export function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** The decoded text of the messages to `to`, waiting for the worker to send one. */
export async function mailTo(to, { timeoutMs = 15000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let files = [];
    try { files = readdirSync(outbox).filter((f) => f.endsWith('.eml')); } catch { /* not yet */ }
    const found = files
      .map((f) => readFileSync(join(outbox, f), 'utf8'))
      .filter((m) => m.includes(`To: ${to}`))
      .map((m) => m.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))));
    if (found.length) return found;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no mail to ${to} in ${outbox}`);
}

/** Signs up on `base` in this page and follows the confirmation link; ends on the member's space. */
export async function signUp(page, base, { name, email, audience = 'mediator' }) {
  await page.goto(`${base}/inscription`);
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByLabel('Mot de passe').fill(PASSWORD);
  await page.getByLabel('Nom affiché').fill(name);
  await page.getByLabel('Ce qui vous décrit le mieux').selectOption(audience);
  await page.getByRole('button', { name: 'Créer mon compte' }).click();
  await page.waitForLoadState();
  const link = (await mailTo(email)).join('\n').match(new RegExp(`${base}/confirmer/[A-Za-z0-9_-]+`))?.[0];
  assert.ok(link, `a confirmation link for ${email}`);
  await page.goto(link);
  await page.goto(`${base}/mon-espace`);
  assert.match(await page.content(), new RegExp(name));
}

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 900 };

/**
 * A page that fails the test on any Content-Security-Policy violation Chromium reports (the
 * pages run under `script-src 'self'`, no inline script): call `page.cspViolations()` at the end.
 */
export async function watchedPage(context) {
  const page = await context.newPage();
  const violations = [];
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) violations.push(msg.text());
  });
  page.cspViolations = () => violations;
  return page;
}

/** Fails unless the page has no WCAG 2.1 AA violation axe-core can find, at phone and desktop widths. */
export async function checkA11y(page, label) {
  const { default: AxeBuilder } = await import('@axe-core/playwright');
  for (const size of [PHONE, DESKTOP]) {
    await page.setViewportSize(size);
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const found = results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    assert.deepEqual(found, [], `${label} at ${size.width}px`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    assert.ok(!overflow, `${label} at ${size.width}px scrolls sideways`);
  }
  await page.setViewportSize(DESKTOP);
}

/** Screenshots of the page at phone and desktop widths: `<name>-phone.png`, `<name>-desktop.png`. */
export async function shoot(page, name) {
  for (const [suffix, size] of [['phone', PHONE], ['desktop', DESKTOP]]) {
    await page.setViewportSize(size);
    await page.evaluate(() => window.scrollTo(0, 0)); // sticky parts drawn where they start
    await page.screenshot({ path: join(shots, `${name}-${suffix}.png`), fullPage: true });
  }
  await page.setViewportSize(DESKTOP);
}
