// Sign up → confirm by the link in the outbox → sign out → sign in → sign in on a second region
// with the same account and join it, in Debian's chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const port = process.env.ECHOS_BASE_PORT;
const outbox = process.env.ECHOS_MAIL__OUTBOX_DIR;
const shots = process.env.SHOTS_DIR;
const alpes = `http://alpes.localhost:${port}`;
const littoral = `http://littoral.localhost:${port}`;
let browser;

before(async () => {
  mkdirSync(shots, { recursive: true });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
});
after(async () => browser?.close());

/** The decoded text of the newest message to `to`, waiting for the worker to send it. */
async function mailTo(to, { timeoutMs = 15000 } = {}) {
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

test('a visitor signs up, confirms, signs out and in, then joins a second region', async () => {
  const email = `visiteur-${Date.now()}@exemple.org`;
  const password = 'une phrase de passe solide';
  const page = await browser.newPage();

  await page.goto(`${alpes}/`);
  await page.getByRole('link', { name: 'S’inscrire' }).first().click();
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByLabel('Mot de passe').fill(password);
  await page.getByLabel('Nom affiché').fill('Camille Flammarion');
  await page.getByLabel('Ce qui vous décrit le mieux').selectOption('mediator');
  await page.screenshot({ path: join(shots, 'sign-up.png'), fullPage: true });
  await page.getByRole('button', { name: 'Créer mon compte' }).click();
  await page.waitForLoadState();
  assert.match(await page.content(), new RegExp(email.replace('.', '\\.')));

  const mails = await mailTo(email);
  const link = mails.join('\n').match(new RegExp(`${alpes}/confirmer/[A-Za-z0-9_-]+`))?.[0];
  assert.ok(link, 'the confirmation mail carries a link to the region’s own host');
  await page.goto(link);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent().then((t) => t.trim().length > 0), true);
  await page.screenshot({ path: join(shots, 'confirmed.png'), fullPage: true });

  await page.goto(`${alpes}/mon-espace`);
  assert.match(await page.content(), /Camille Flammarion/);
  await page.getByRole('button', { name: /déconnecter/i }).click();
  await page.waitForURL(`${alpes}/`);
  await page.goto(`${alpes}/mon-espace`);
  assert.ok(page.url().startsWith(`${alpes}/connexion`), 'signed out: my space asks to sign in');

  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByLabel('Mot de passe').fill(password);
  await page.getByRole('button', { name: /connecter/i }).click();
  await page.waitForURL(`${alpes}/mon-espace`);
  assert.match(await page.content(), /Camille Flammarion/);

  // The same account on another region: sign in, then join in one click.
  await page.goto(`${littoral}/connexion`);
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByLabel('Mot de passe').fill(password);
  await page.getByRole('button', { name: /connecter/i }).click();
  await page.waitForURL(`${littoral}/rejoindre`);
  await page.getByLabel('Nom affiché').fill('C. Flammarion');
  await page.screenshot({ path: join(shots, 'join.png'), fullPage: true });
  await page.getByRole('button', { name: 'Rejoindre ce réseau' }).click();
  await page.waitForURL(`${littoral}/mon-espace`);
  assert.match(await page.content(), /C\. Flammarion/);
  await page.screenshot({ path: join(shots, 'my-space.png'), fullPage: true });
  await page.close();
});
