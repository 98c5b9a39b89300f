// Sign up → confirm by the link in the outbox → sign out → sign in → sign in on a second region
// with the same account and join it, in Debian's chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alpes, launch, littoral, mailTo, shots } from './support.mjs';

let browser;

// A 2×2 PNG.
const AVATAR_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==';

before(async () => {
  mkdirSync(shots, { recursive: true });
  browser = await launch();
});
after(async () => browser?.close());

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

  // Edit the profile with an avatar (a real PNG, written for the occasion).
  const png = join(shots, 'avatar.png');
  writeFileSync(png, Buffer.from(AVATAR_PNG, 'base64'));
  await page.goto(`${alpes}/mon-espace/profil`);
  await page.getByLabel('Choisir une image').setInputFiles(png);
  await page.getByRole('button', { name: 'Envoyer l’image' }).click();
  await page.waitForURL(`${alpes}/mon-espace/profil`);
  await page.getByLabel('Présentation').fill('Astronome et vulgarisateur.');
  await page.getByRole('button', { name: /enregistrer/i }).click();
  await page.waitForURL(/\/membres\//);
  const avatar = page.locator('img.avatar--image');
  await avatar.waitFor();
  assert.ok((await avatar.evaluate((img) => img.naturalWidth)) > 0, 'the avatar is served and decodes');
  assert.match(await page.content(), /Astronome et vulgarisateur/);
  await page.screenshot({ path: join(shots, 'profile.png'), fullPage: true });

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

  // Export my data, then delete the account.
  await page.goto(`${littoral}/mon-espace/compte`);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Exporter mes données' }).click(),
  ]);
  const exported = JSON.parse(readFileSync(await download.path(), 'utf8'));
  assert.equal(exported.account.email, email);
  assert.deepEqual(exported.memberships.map((m) => m.region), ['alpes', 'littoral']);
  const deletion = page.getByRole('region', { name: 'Supprimer mon compte' });
  await deletion.getByLabel('Votre mot de passe, pour confirmer').fill(password);
  await deletion.getByRole('button', { name: 'Supprimer définitivement mon compte' }).click();
  await page.waitForLoadState();
  await page.screenshot({ path: join(shots, 'deleted.png'), fullPage: true });
  await page.goto(`${alpes}/connexion`);
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByLabel('Mot de passe').fill(password);
  await page.getByRole('button', { name: /connecter/i }).click();
  await page.waitForLoadState();
  assert.ok(page.url().startsWith(`${alpes}/connexion`), 'the deleted account cannot sign in');
  await page.close();
});
