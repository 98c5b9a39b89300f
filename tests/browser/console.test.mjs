// The regional console, as a science centre's admin uses it: made admin from the command line,
// they brand the region (name, colour, logo) and see the public site change at once, turn a kind
// off, add a domain, read the participation charts and download a CSV, write a newsletter and send
// a test; a member is refused everywhere. Every console page passes axe-core at phone and
// desktop widths, and no page breaks the Content-Security-Policy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { alpes, checkA11y, launch, mailTo, shoot, shots, signUp, watchedPage } from './support.mjs';

const LOGO = fileURLToPath(new URL('./fixtures/cover.png', import.meta.url));
const ECHOS = process.env.ECHOS_BIN;
let browser;

before(async () => {
  mkdirSync(shots, { recursive: true });
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

test('a regional admin brands and configures the region; a member is refused', async () => {
  const stamp = Date.now();
  const email = `claire.${stamp}@exemple.org`;
  const context = await browser.newContext();
  const page = await watchedPage(context);
  await signUp(page, alpes, { name: 'Claire Meunier', email });
  execFileSync(ECHOS, ['tenant', 'admin', 'alpes', email], { stdio: 'pipe' });

  // The console's front page, reached from the header.
  await page.goto(`${alpes}/`);
  await page.getByRole('link', { name: 'Console' }).click();
  await page.waitForURL(`${alpes}/admin`);
  await checkA11y(page, 'the console');
  await shoot(page, 'console-dashboard');

  // The look: a name and a colour typed, a preview, then saved; a logo uploaded.
  await page.goto(`${alpes}/admin/apparence`);
  await checkA11y(page, 'the appearance page');
  await page.getByLabel('Nom du réseau').fill(`Sciences en Alpes ${stamp}`);
  await page.locator('input[name="color_primary"][type="text"]').fill('#7a1f5c');
  await page.getByRole('button', { name: 'Aperçu' }).click();
  await page.waitForLoadState();
  assert.match(await page.content(), /Aperçu/);
  await shoot(page, 'console-appearance');
  await page.getByRole('button', { name: 'Enregistrer' }).first().click();
  await page.waitForURL(/\/admin\/apparence\?ok=1/);
  const logoForm = page.locator('#images form.image-slot__form')
    .filter({ has: page.locator('input[name="which"][value="logo"]') });
  await logoForm.locator('input[type="file"]').setInputFiles(LOGO);
  await logoForm.locator('button[type="submit"]').click();
  await page.waitForURL(/\/admin\/apparence\?ok=1#images/);
  await page.goto(`${alpes}/`);
  const home = await page.content();
  assert.match(home, new RegExp(`Sciences en Alpes ${stamp}`), 'the new name, at once');
  assert.match(home, /--color-primary:#7a1f5c/, 'the new colour');
  assert.match(home, /class="brand__logo"><img src="\/media\//, 'the uploaded logo');
  await checkA11y(page, 'the rebranded home page');

  // The configuration: announcements turned off leave the menu (other tests publish the rest), then
  // come back.
  await page.goto(`${alpes}/admin/reglages`);
  await checkA11y(page, 'the settings page');
  await shoot(page, 'console-settings');
  const announcements = () => page.getByLabel('Annonces', { exact: true });
  await announcements().uncheck();
  await page.getByRole('button', { name: 'Enregistrer' }).click();
  await page.waitForURL(/\/admin\/reglages\?ok=1/);
  await page.goto(`${alpes}/`);
  assert.equal(await page.locator('.main-nav a[href="/annonces"]').count(), 0, 'no announcements in the menu');
  assert.equal((await page.goto(`${alpes}/annonces`)).status(), 404);
  await page.goto(`${alpes}/admin/reglages`);
  await announcements().check();
  await page.getByRole('button', { name: 'Enregistrer' }).click();
  await page.waitForURL(/\/admin\/reglages\?ok=1/);
  await page.goto(`${alpes}/`);
  assert.equal(await page.locator('.main-nav a[href="/annonces"]').count(), 1, 'announcements back');

  // A domain of its own, waiting for verification, with the instructions.
  await page.goto(`${alpes}/admin/domaines`);
  await page.locator('input[name="host"]').fill(`sciences-alpes-${stamp}.fr`);
  await page.getByRole('button', { name: /Ajouter/ }).click();
  await page.waitForURL(/ok=added/);
  assert.match(await page.content(), new RegExp(`sciences-alpes-${stamp}.fr`));
  await checkA11y(page, 'the domains page');
  await shoot(page, 'console-domains');

  // Members, participation (with a CSV), the home page's composition, the pages, the audit log.
  for (const [path, name] of [
    ['/admin/membres', 'console-members'],
    ['/admin/participation', 'console-participation'],
    ['/admin/accueil', 'console-home'],
    ['/admin/pages', 'console-pages'],
    ['/admin/journal', 'console-journal'],
  ]) {
    await page.goto(`${alpes}${path}`);
    await checkA11y(page, path);
    await shoot(page, name);
  }
  await page.goto(`${alpes}/admin/participation`);
  assert.ok(await page.locator('svg.chart').count() >= 4, 'the charts');
  // Fetched from the page: the browser resolves *.localhost, Node's resolver does not.
  const csv = await page.evaluate(async () => {
    const r = await fetch('/admin/participation/membres.csv');
    return { status: r.status, text: await r.text() };
  });
  assert.equal(csv.status, 200);
  assert.match(csv.text, /^\uFEFF?mois,person,structure/);
  await page.goto(`${alpes}/admin/journal`);
  assert.match(await page.content(), /branding\.look|Apparence|apparence/);

  // A newsletter, and its test copy in the admin's own inbox.
  await page.goto(`${alpes}/admin/lettres/nouvelle`);
  await page.getByLabel('Objet').fill(`La lettre des Alpes ${stamp}`);
  await page.getByLabel(/Texte/).fill('Bonjour à toutes et à tous !\n\n**Trois ateliers** ce mois-ci.');
  await page.getByRole('button', { name: /Enregistrer/ }).click();
  await page.waitForURL(/\/admin\/lettres\/\d+$/);
  await checkA11y(page, 'a newsletter');
  await shoot(page, 'console-newsletter');
  await page.getByRole('button', { name: /test/i }).click();
  await page.waitForURL(/ok=test/);
  assert.ok((await mailTo(email)).some((m) => m.includes(`La lettre des Alpes ${stamp}`)), 'the test copy arrived');

  assert.deepEqual(page.cspViolations(), [], 'no page broke the Content-Security-Policy');
  await context.close();

  // A member who is not an admin is refused everywhere.
  const other = await browser.newContext();
  const member = await watchedPage(other);
  await signUp(member, alpes, { name: 'Marc Lambda', email: `marc.${stamp}@exemple.org` });
  for (const path of ['/admin', '/admin/apparence', '/admin/membres', '/admin/participation']) {
    const r = await member.goto(`${alpes}${path}`);
    assert.equal(r.status(), 403, path);
  }
  assert.equal(await member.locator('a[href="/admin"]').count(), 0, 'no console link for a member');
  await other.close();
});
