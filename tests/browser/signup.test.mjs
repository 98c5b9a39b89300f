// A science centre opens its region from the platform's home (billing off: in trial), checks its
// sub-domain as it types, lands in the new region's console through the mailed link, brands it
// and publishes; then an operator, made on the command line, signs in by link, finds the region
// and approves it. Every page passes axe-core at phone and desktop widths, none breaks the CSP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { checkA11y, launch, mailTo, port, shoot, shots, watchedPage } from './support.mjs';

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

test('a science centre opens its region, brands it and publishes; an operator approves it', async () => {
  const stamp = Date.now().toString(36);
  const sub = `lac${stamp}`;
  const email = `direction.${stamp}@musee-lac.example`;
  const region = `http://${sub}.localhost:${port}`;
  const context = await browser.newContext();
  const page = await watchedPage(context);

  // The platform's home: the networks, the prices, the way in.
  await page.goto(`${platform}/`);
  await checkA11y(page, 'the platform home');
  await shoot(page, 'platform-home');
  await page.getByRole('link', { name: /Ouvrir votre réseau/ }).first().click();
  await page.waitForURL(`${platform}/ouvrir`);
  await checkA11y(page, 'the sign-up form');
  await shoot(page, 'platform-signup');

  // The sub-domain is checked as it is typed: a taken one, then a free one.
  const field = page.getByLabel('Adresse du réseau');
  await field.fill('alpes');
  await page.locator('#subdomain-status').filter({ hasText: /déjà|pris/i }).waitFor();
  await field.fill(sub);
  await page.locator('#subdomain-status').filter({ hasText: /libre/i }).waitFor();

  await page.getByLabel('Organisation').fill('Musée du Lac');
  await page.getByLabel('Votre nom').fill('Hélène Roux');
  await page.getByLabel('Votre adresse e-mail').fill(email);
  await page.getByLabel('Nom du réseau').fill(`Echosciences Lac ${stamp}`);
  await page.getByLabel('J’accepte les conditions d’utilisation de la plateforme').check();
  await page.getByRole('button', { name: 'Ouvrir mon réseau' }).click();
  await page.waitForURL(/\/ouvrir\/merci\?inscription=/);
  assert.match(await page.content(), new RegExp(`${sub}\\.localhost`));
  await checkA11y(page, 'the sign-up done page');
  await shoot(page, 'platform-signup-done');

  // The mailed link: a button, then the console of the new region, as its admin.
  const link = (await mailTo(email)).join('\n').match(new RegExp(`${region}/connexion/lien/[A-Za-z0-9_-]+`))?.[0];
  assert.ok(link, 'a one-time sign-in link into the new region');
  await page.goto(link);
  await checkA11y(page, 'the sign-in link page');
  await page.getByRole('button', { name: 'Me connecter' }).click();
  await page.waitForURL(`${region}/admin`).catch(async (e) => {
    throw new Error(`${e.message}\nat ${page.url()}: ${(await page.locator('main').innerText()).slice(0, 400)}`);
  });
  assert.match(await page.content(), /essai|trial/i, 'the console says the region is in trial');

  await page.goto(`${region}/admin/abonnement`);
  await checkA11y(page, 'the subscription page');
  await shoot(page, 'console-billing');

  // Branded, then a first article.
  await page.goto(`${region}/admin/apparence`);
  await page.getByLabel(/^Accroche/).fill('Les sciences au bord du lac');
  await page.getByRole('button', { name: 'Enregistrer' }).first().click();
  await page.waitForURL(/\/admin\/apparence\?ok=1/);
  await page.goto(`${region}/articles/nouveau`);
  await page.getByLabel(/^Titre/).fill('Les poissons du lac');
  await page.getByLabel(/^Texte/).fill('Un inventaire des **espèces** du lac, saison par saison.');
  await page.getByRole('button', { name: 'Publier', exact: true }).click();
  await page.waitForURL(/\/articles\/\d+-les-poissons-du-lac/);
  await page.goto(`${region}/`);
  const home = await page.content();
  assert.match(home, /Les sciences au bord du lac/);
  assert.match(home, /Les poissons du lac/);
  assert.deepEqual(page.cspViolations(), [], 'no page broke the Content-Security-Policy');
  await context.close();

  // The operator: made on the command line, in by the mailed link.
  const operatorEmail = `operations.${stamp}@echosciences.example`;
  execFileSync(ECHOS, ['operator', 'create', operatorEmail], { stdio: 'pipe' });
  const opLink = (await mailTo(operatorEmail)).join('\n').match(new RegExp(`${platform}/platform/lien/[A-Za-z0-9_-]+`))?.[0];
  assert.ok(opLink, 'a sign-in link to the operator console');
  const opContext = await browser.newContext();
  const op = await watchedPage(opContext);
  await op.goto(opLink);
  await op.getByRole('button', { name: /connecter/i }).click();
  await op.waitForURL(`${platform}/platform`);
  assert.match(await op.content(), new RegExp(`Echosciences Lac ${stamp}`));
  await checkA11y(op, 'the operator console');
  await shoot(op, 'operator-regions');
  await op.goto(`${platform}/platform/regions/${sub}`);
  await checkA11y(op, 'a region in the operator console');
  await shoot(op, 'operator-region');
  await op.getByRole('button', { name: /Approuver/ }).click();
  await op.waitForURL(/ok=approved/);
  for (const [path, name] of [
    ['/platform/participation', 'operator-participation'],
    ['/platform/taches', 'operator-jobs'],
    ['/platform/migrations', 'operator-migrations'],
    ['/platform/journal', 'operator-journal'],
  ]) {
    await op.goto(`${platform}${path}`);
    await checkA11y(op, path);
    await shoot(op, name);
  }
  assert.match(await op.content(), /region\.approved/);
  assert.deepEqual(op.cspViolations(), [], 'no operator page broke the Content-Security-Policy');
  await opContext.close();
});
