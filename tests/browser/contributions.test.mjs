// Two members in two browsers: A publishes an article with a tag and a cover image; B follows A
// and comments; A sees the notification; B shares a curated link (its preview fetched from a
// page served here) and opens a debate; A writes and publishes an article with the keyboard only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alpes, launch, shots, signUp } from './support.mjs';

const COVER = fileURLToPath(new URL('./fixtures/cover.png', import.meta.url));
let browser;
let previewServer;
let previewUrl;

before(async () => {
  mkdirSync(shots, { recursive: true });
  browser = await launch();
  // The page B shares: the server fetches its preview (run.sh allows 127.0.0.2 for that).
  previewServer = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><head><title>Carnet de glace</title>
      <meta property="og:title" content="Carnet de terrain : une saison sur le glacier">
      <meta property="og:description" content="Balises, carottages et nuits en refuge : le journal d’une équipe de glaciologues.">
      <meta property="og:site_name" content="Carnets de glace"></head><body><p>Bonjour</p></body></html>`);
  });
  await new Promise((resolve) => previewServer.listen(0, '127.0.0.2', resolve));
  previewUrl = `http://127.0.0.2:${previewServer.address().port}/carnet-de-terrain`;
});

after(async () => {
  await browser?.close();
  previewServer?.close();
});

/** Presses Tab until the focused element matches `selector`, and checks that the focus shows. */
async function tabTo(page, selector, max = 100) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) {
      const ring = await page.evaluate(() => {
        const style = getComputedStyle(document.activeElement);
        return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
      });
      assert.ok(ring, `the focus on ${selector} is visible`);
      return;
    }
  }
  throw new Error(`Tab never reached ${selector}`);
}

test('members publish, follow, comment and are notified, by mouse and by keyboard', async () => {
  const stamp = Date.now();
  const nameA = 'Louise Arago';
  const nameB = 'Paul Tissandier';
  const title = `Carottes de glace : lire le climat passé (${stamp})`;

  // A signs up and publishes an article with a tag and a cover image.
  const contextA = await browser.newContext();
  const a = await contextA.newPage();
  await signUp(a, alpes, { name: nameA, email: `auteur-${stamp}@exemple.org`, audience: 'researcher' });
  await a.goto(`${alpes}/articles/nouveau`);
  await a.getByLabel(/^Titre/).fill(title);
  await a.getByLabel(/^Résumé/).fill('Huit cent mille ans d’atmosphère piégés dans la glace de l’Antarctique.');
  await a.getByLabel(/^Image de couverture/).setInputFiles(COVER);
  await a.getByLabel(/^Texte/).fill('Chaque bulle d’air est un **échantillon** de l’atmosphère d’autrefois.');
  await a.getByLabel(/^Mots-clés/).fill('Glaciologie');
  await a.getByRole('button', { name: 'Publier', exact: true }).click();
  await a.waitForURL(/\/articles\/\d+-carottes-de-glace/);
  const articleUrl = a.url();
  assert.equal((await a.getByRole('heading', { level: 1 }).textContent()).trim(), title);
  await a.getByRole('link', { name: 'glaciologie' }).waitFor();
  const cover = a.locator('img.article-cover__image');
  await cover.waitFor();
  assert.ok((await cover.evaluate((img) => img.complete && img.naturalWidth)) > 0, 'the cover is served and decodes');
  await a.screenshot({ path: join(shots, 'article-with-cover.png'), fullPage: true });

  // B, in another browser context, signs up, follows A from the article's byline, and comments.
  const contextB = await browser.newContext();
  const b = await contextB.newPage();
  await signUp(b, alpes, { name: nameB, email: `lecteur-${stamp}@exemple.org`, audience: 'curious' });
  await b.goto(articleUrl);
  await b.locator('.byline__author', { hasText: nameA }).click();
  await b.waitForURL(/\/membres\//);
  const follow = b.getByRole('button', { name: `Suivre ${nameA}` });
  await follow.click();
  await b.waitForLoadState();
  const following = b.locator('.follow__form button');
  assert.equal(await following.getAttribute('aria-pressed'), 'true');
  assert.match(await b.locator('.follow__count').textContent(), /1 abonné·e/);

  await b.goto(articleUrl);
  const comment = 'Passionnant ! Jusqu’à quelle profondeur carotte-t-on ?';
  await b.getByLabel(/^Votre commentaire/).fill(comment);
  await b.getByRole('button', { name: 'Publier le commentaire' }).click();
  await b.locator('.comment__body', { hasText: comment }).waitFor();

  // A sees the badge, then the notification, which leads back to the comment.
  await a.goto(`${alpes}/`);
  assert.equal((await a.locator('.account-nav__badge [aria-hidden="true"]').textContent()).trim(), '1');
  await a.locator('.account-nav__bell').click();
  await a.waitForURL(`${alpes}/mon-espace/notifications`);
  const notice = a.locator('.notification__link', { hasText: `${nameB} a commenté « ${title} »` });
  await notice.waitFor();
  await a.screenshot({ path: join(shots, 'notifications.png'), fullPage: true });
  await notice.click();
  await a.waitForURL(/#commentaire-\d+$/);
  assert.ok(a.url().startsWith(articleUrl));

  // B shares a curated link; the worker fetches its preview.
  await b.goto(`${alpes}/veille/nouveau`);
  await b.getByLabel(/^Titre/).fill('Le carnet de terrain d’une glaciologue');
  await b.getByLabel(/^Adresse de la page/).fill(previewUrl);
  await b.getByLabel(/^Votre commentaire/).fill('Un récit de terrain très vivant, à lire avant une sortie sur glacier.');
  await b.getByLabel(/^Mots-clés/).fill('glaciologie, récit');
  await b.getByRole('button', { name: 'Publier', exact: true }).click();
  await b.waitForURL(/\/veille\/\d+-/);
  const linkUrl = b.url();
  assert.equal(await b.getByRole('link', { name: /Voir la ressource/ }).getAttribute('href'), previewUrl);
  const previewTitle = b.locator('.link-card__title', { hasText: 'Carnet de terrain : une saison sur le glacier' });
  for (let i = 0; i < 75 && !(await previewTitle.count()); i++) {
    await new Promise((r) => setTimeout(r, 200));
    await b.goto(linkUrl);
  }
  await previewTitle.waitFor({ timeout: 1000 });
  assert.match(await b.locator('.link-card__source').textContent(), /Carnets de glace/);
  await b.screenshot({ path: join(shots, 'curated-link.png'), fullPage: true });

  // B opens a debate.
  await b.goto(`${alpes}/debats/nouveau`);
  const question = 'Faut-il encore skier sur les glaciers ?';
  await b.getByLabel(/^La question/).fill(question);
  await b.getByLabel(/^Texte d’ouverture/).fill('Les stations d’altitude comptent sur eux, les glaciologues s’inquiètent.');
  await b.getByRole('button', { name: 'Publier', exact: true }).click();
  await b.waitForURL(/\/debats\/\d+-/);
  assert.equal((await b.getByRole('heading', { level: 1 }).textContent()).trim(), question);
  assert.match(await b.locator('.article-header .kind-label').textContent(), /Débat/);
  await b.goto(`${alpes}/debats`);
  await b.getByRole('link', { name: question }).waitFor();

  // A writes and publishes an article with the keyboard alone.
  const typed = `Écrit au clavier (${stamp})`;
  await a.goto(`${alpes}/articles/nouveau`);
  await tabTo(a, '#title');
  await a.keyboard.type(typed);
  await tabTo(a, '#summary');
  await a.keyboard.type('Sans souris, du titre jusqu’au bouton.');
  await tabTo(a, '#body');
  await a.keyboard.type('Premier paragraphe.\n\nSecond paragraphe.');
  await tabTo(a, '#tags');
  await a.keyboard.type('accessibilité');
  await tabTo(a, 'button[value="published"]');
  await a.keyboard.press('Enter');
  await a.waitForURL(/\/articles\/\d+-ecrit-au-clavier/);
  assert.equal((await a.getByRole('heading', { level: 1 }).textContent()).trim(), typed);
  assert.equal(await a.locator('.draft-badge').count(), 0, 'published, not a draft');
  await a.getByRole('link', { name: 'accessibilité' }).waitFor();

  // B follows A: the new article is in B's feed.
  await b.goto(`${alpes}/mon-espace`);
  await b.getByRole('region', { name: 'Mon fil' }).getByRole('link', { name: typed }).waitFor();
  await b.screenshot({ path: join(shots, 'my-feed.png'), fullPage: true });

  await contextA.close();
  await contextB.close();
});
