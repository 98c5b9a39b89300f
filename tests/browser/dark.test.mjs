// The dark theme: a browser that prefers a dark colour scheme gets dark pages everywhere — the
// platform's home and its sign-up form, a region's home, lists, an article, the sign-in and
// sign-up forms (with their error states), an error page, the member's space, the regional
// console with its charts, and the operator's console. Every page passes axe-core (WCAG 2.1 AA,
// contrast included) at phone and desktop widths, and the page really is dark.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { alpes, checkA11y, launch, mailTo, port, shoot, shots, signUp, watchedPage } from './support.mjs';

const platform = `http://localhost:${port}`;
const ECHOS = process.env.ECHOS_BIN;
let browser;

before(async () => {
  mkdirSync(shots, { recursive: true });
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/** A fresh browser context whose system setting is the dark colour scheme. */
function darkContext() {
  return browser.newContext({ colorScheme: 'dark' });
}

/** The relative luminance (WCAG) of a computed CSS colour, whatever its notation. */
async function luminance(page, css) {
  return page.evaluate((value) => {
    // The canvas turns any CSS colour (rgb(), color(srgb …), oklch() …) into sRGB bytes.
    const ctx = Object.assign(document.createElement('canvas'), { width: 1, height: 1 }).getContext('2d');
    ctx.fillStyle = value;
    ctx.fillRect(0, 0, 1, 1);
    const [r, g, b] = [...ctx.getImageData(0, 0, 1, 1).data].map((c) => {
      const s = c / 255;
      return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }, css);
}

/** Fails unless the page is drawn dark: a dark body under light text, and light links. */
async function assertDark(page, label) {
  const { bg, ink, link } = await page.evaluate(() => {
    const body = getComputedStyle(document.body);
    const a = document.querySelector('main a:not(.button):not([class*="cta"])');
    return { bg: body.backgroundColor, ink: body.color, link: a ? getComputedStyle(a).color : null };
  });
  assert.ok((await luminance(page, bg)) < 0.02, `${label}: a dark page (${bg})`);
  assert.ok((await luminance(page, ink)) > 0.6, `${label}: light text (${ink})`);
  if (link) assert.ok((await luminance(page, link)) > 0.3, `${label}: light links (${link})`);
}

/** axe-core at both widths, the page dark, and (when named) screenshots. */
async function check(page, label, shot) {
  await assertDark(page, label);
  await checkA11y(page, `${label} (dark)`);
  if (shot) await shoot(page, shot);
}

test('a visitor who prefers a dark scheme gets dark pages that pass WCAG AA', async () => {
  const context = await darkContext();
  const page = await watchedPage(context);

  await page.goto(`${platform}/`);
  await check(page, 'the platform home', 'dark-platform-home');
  await page.goto(`${platform}/ouvrir`);
  await check(page, 'the platform sign-up form', 'dark-platform-signup');

  await page.goto(`${alpes}/`);
  await check(page, 'a region home', 'dark-region-home');
  await page.goto(`${alpes}/articles`);
  await check(page, 'the articles', 'dark-articles');
  await page.goto(`${alpes}/connexion`);
  await check(page, 'the sign-in form', 'dark-sign-in');

  // A wrong password: the form's alert, in the dark theme.
  await page.getByLabel('Adresse e-mail').fill('personne@exemple.org');
  await page.getByLabel('Mot de passe').fill('pas le bon mot de passe');
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.locator('.form-alert').waitFor();
  await check(page, 'the sign-in form in error');

  // The sign-up form, then sent empty (the browser's own checks off) for the fields in error.
  await page.goto(`${alpes}/inscription`);
  await check(page, 'the sign-up form', 'dark-sign-up');
  await page.locator('main form.form').evaluate((form) => { form.noValidate = true; });
  await page.getByRole('button', { name: 'Créer mon compte' }).click();
  await page.locator('.field--error').first().waitFor();
  await check(page, 'the sign-up form with errors', 'dark-sign-up-errors');

  // The keyboard's focus ring is light on the dark page.
  await page.locator('.field--error .field__input').first().focus();
  const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineColor);
  assert.ok((await luminance(page, ring)) > 0.3, `a light focus ring (${ring})`);

  const missing = await page.goto(`${alpes}/nulle-part`);
  assert.equal(missing.status(), 404);
  await check(page, 'the not-found page', 'dark-not-found');

  assert.deepEqual(page.cspViolations(), [], 'no page broke the Content-Security-Policy');
  await context.close();
});

test('a member and a regional admin, in the dark theme', async () => {
  const stamp = Date.now();
  const email = `nuit.${stamp}@exemple.org`;
  const context = await darkContext();
  const page = await watchedPage(context);
  await signUp(page, alpes, { name: 'Camille Flammarion', email, audience: 'researcher' });
  await check(page, 'the member’s empty space');

  // An article with the parts of the prose that carry colour: a link, a quote, code, a list.
  const title = `Observer la Lune en montagne (${stamp})`;
  await page.goto(`${alpes}/articles/nouveau`);
  await page.getByLabel(/^Titre/).fill(title);
  await page.getByLabel(/^Résumé/).fill('Ce que l’on voit à l’œil nu, aux jumelles et au télescope.');
  await page.getByLabel(/^Texte/).fill([
    'La Lune se prête à l’observation **même en ville**, mais le ciel de montagne change tout.',
    '',
    '> Le premier quartier est le meilleur moment : les reliefs sont rasants.',
    '',
    '- des jumelles 10×50 ;',
    '- une carte de la Lune ;',
    '- un thermos de `thé chaud`.',
    '',
    'Voir aussi [le calendrier des phases](https://example.org/phases).',
  ].join('\n'));
  await page.getByLabel(/^Mots-clés/).fill('Astronomie');
  await page.getByRole('button', { name: 'Publier', exact: true }).click();
  await page.waitForURL(/\/articles\/\d+-observer-la-lune/);
  await page.getByLabel(/^Votre commentaire/).fill('Le ciel était parfait hier soir.');
  await page.getByRole('button', { name: 'Publier le commentaire' }).click();
  await page.locator('.comment__body', { hasText: 'Le ciel était parfait' }).waitFor();
  await check(page, 'an article', 'dark-article');

  // A draft (its amber badge), then the member's space with something in it.
  await page.goto(`${alpes}/articles/nouveau`);
  await page.getByLabel(/^Titre/).fill(`Carnet d’observation, brouillon (${stamp})`);
  await page.getByLabel(/^Texte/).fill('Premières notes, à compléter après la prochaine nuit claire.');
  await page.getByRole('button', { name: 'Enregistrer en brouillon' }).click();
  await page.locator('.draft-badge').waitFor();
  await check(page, 'a draft', 'dark-draft');
  await page.goto(`${alpes}/mon-espace`);
  await check(page, 'the member’s space', 'dark-my-space');

  // The search page: matches are highlighted.
  await page.goto(`${alpes}/recherche?q=Lune`);
  await check(page, 'the search results', 'dark-search');

  // Made admin: the console and its charts.
  execFileSync(ECHOS, ['tenant', 'admin', 'alpes', email], { stdio: 'pipe' });
  await page.goto(`${alpes}/admin`);
  await check(page, 'the regional console', 'dark-console');
  await page.goto(`${alpes}/admin/participation`);
  await check(page, 'the participation charts', 'dark-participation');
  await page.goto(`${alpes}/admin/apparence`);
  await check(page, 'the appearance page', 'dark-appearance');

  assert.deepEqual(page.cspViolations(), [], 'no page broke the Content-Security-Policy');
  await context.close();
});

test('the operator’s console, in the dark theme', async () => {
  const operatorEmail = `veille.${Date.now().toString(36)}@echosciences.example`;
  execFileSync(ECHOS, ['operator', 'create', operatorEmail], { stdio: 'pipe' });
  const link = (await mailTo(operatorEmail)).join('\n').match(new RegExp(`${platform}/platform/lien/[A-Za-z0-9_-]+`))?.[0];
  assert.ok(link, 'a sign-in link to the operator console');
  const context = await darkContext();
  const page = await watchedPage(context);
  await page.goto(link);
  await page.getByRole('button', { name: /connecter/i }).click();
  await page.waitForURL(`${platform}/platform`);
  await check(page, 'the operator console', 'dark-operator-regions');
  await page.goto(`${platform}/platform/participation`);
  await check(page, 'the network’s participation', 'dark-operator-participation');
  assert.deepEqual(page.cspViolations(), [], 'no operator page broke the Content-Security-Policy');
  await context.close();
});
