// Communities and moderation after the fact, as the people of a region live them: a member
// proposes a community, the regional admin approves it, members join and one publishes into it;
// six new members report the article, it is hidden at once and its author is told; the
// community's owner restores it from the community's queue, and the audit log shows it all.
// Every page on the way passes axe-core at phone and desktop widths.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { alpes, checkA11y, launch, shoot, shots, signUp, watchedPage } from './support.mjs';

const ECHOS = process.env.ECHOS_BIN;
let browser;

before(async () => {
  mkdirSync(shots, { recursive: true });
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

async function person(name, email) {
  const page = await watchedPage(await browser.newContext());
  await signUp(page, alpes, { name, email });
  return page;
}

test('a community is proposed, approved, joined, published into; a reported article is hidden then restored', async () => {
  const stamp = Date.now();
  const communityName = `Astronomie ${stamp}`;
  const articleTitle = `Jupiter ce soir ${stamp}`;

  // The admin, and the member who proposes.
  const adminEmail = `admin.${stamp}@exemple.org`;
  const admin = await person('Régine Admin', adminEmail);
  execFileSync(ECHOS, ['tenant', 'admin', 'alpes', adminEmail], { stdio: 'pipe' });
  const owner = await person('Olga Proposante', `olga.${stamp}@exemple.org`);

  await owner.goto(`${alpes}/communautes`);
  await checkA11y(owner, 'the communities list');
  await owner.goto(`${alpes}/communautes/proposer`);
  await checkA11y(owner, 'the proposal form');
  await owner.locator('input[name="name"]').fill(communityName);
  await owner.locator('input[name="kind"][value="theme"]').check();
  await owner.locator('textarea[name="description"]').fill('Observer le ciel ensemble, du **balcon** aux observatoires.');
  await owner.locator('input[name="access"][value="open"]').check();
  await owner.locator('form[action="/communautes"] button[type="submit"]').click();
  await owner.waitForURL(/\/communautes\?ok=proposed/);
  await checkA11y(owner, 'the list after a proposal');

  // The admin approves it in the console.
  await admin.goto(`${alpes}/admin/communautes`);
  await checkA11y(admin, 'the console communities page');
  await shoot(admin, 'console-communities');
  const row = admin.locator('li, tr, article').filter({ hasText: communityName }).last();
  await row.locator('form[action$="/approuver"] button').click();
  await admin.waitForURL(/\/admin\/communautes\?ok=approved/);

  // The proposer is told; the community is public.
  await owner.goto(`${alpes}/mon-espace/notifications`);
  assert.match(await owner.content(), new RegExp(communityName));
  await owner.goto(`${alpes}/communautes`);
  await shoot(owner, 'communities');
  await owner.getByRole('link', { name: communityName }).first().click();
  await owner.waitForURL(/\/communautes\/astronomie-/);
  const communityUrl = owner.url().split('?')[0];

  // A member joins and publishes into it.
  const author = await person('Bastien Auteur', `bastien.${stamp}@exemple.org`);
  await author.goto(communityUrl);
  await author.locator(`form[action$="/rejoindre"] button`).click();
  await author.waitForURL(/ok=joined/);
  await checkA11y(author, 'a community page, as a member');
  await author.goto(`${alpes}/articles/nouveau`);
  await author.getByLabel(/^Titre/).fill(articleTitle);
  await author.getByLabel(/^Texte/).fill('La Grande Tache rouge se voit à la lunette dès 21 h.');
  await author.locator('select[name="community"]').selectOption({ label: communityName });
  await author.getByRole('button', { name: 'Publier', exact: true }).click();
  await author.waitForURL(/\/articles\/\d+-jupiter-ce-soir/);
  const articleUrl = author.url();
  assert.match(await author.locator('.community-badge').textContent(), new RegExp(communityName));
  await author.goto(communityUrl);
  assert.match(await author.content(), new RegExp(articleTitle), 'in the community feed');
  await shoot(author, 'community');

  // Six new members report it: their reports weigh half each, six reach the threshold of three.
  for (let i = 0; i < 6; i += 1) {
    const reporter = await person(`Témoin ${i}`, `temoin${i}.${stamp}@exemple.org`);
    await reporter.goto(articleUrl);
    await reporter.locator('.report-link a').click();
    await reporter.waitForURL(/\/signaler\?/);
    if (i === 0) {
      await checkA11y(reporter, 'the report form');
      await shoot(reporter, 'report');
    }
    await reporter.locator('input[name="reason"][value="offensive"]').check();
    await reporter.locator('form[action="/signaler"] button[type="submit"]').click();
    await reporter.waitForLoadState();
    assert.equal(await reporter.locator('.form-success').count(), 1, `report ${i} recorded`);
    await reporter.context().close();
  }

  // Hidden at once: a visitor gets 404, the list does not show it; its author sees it and is told.
  const visitor = await (await browser.newContext()).newPage();
  assert.equal((await visitor.goto(articleUrl)).status(), 404);
  await visitor.goto(`${alpes}/articles`);
  assert.doesNotMatch(await visitor.content(), new RegExp(articleTitle));
  await author.goto(articleUrl);
  assert.equal(await author.locator('.moderation-banner').count(), 1, 'the author sees why');
  await checkA11y(author, 'a hidden article, as its author');
  await author.goto(`${alpes}/mon-espace/notifications`);
  assert.match(await author.content(), new RegExp(articleTitle));

  // The community's owner restores it from the community's queue.
  await owner.goto(`${communityUrl}/moderation`);
  await checkA11y(owner, "the community's review queue");
  await shoot(owner, 'community-moderation');
  await owner.locator('input[name="decision"][value="restore"]').first().check();
  await owner.locator('form[action="/moderation/decision"] button[type="submit"]').first().click();
  await owner.waitForURL(/\/moderation\?ok=restore/);
  assert.equal((await visitor.goto(articleUrl)).status(), 200, 'restored');

  // The community's management page, and the admin's queue and journal.
  await owner.goto(`${communityUrl}/gerer`);
  await checkA11y(owner, "the community's management page");
  await shoot(owner, 'community-manage');
  await admin.goto(`${alpes}/admin/moderation`);
  await checkA11y(admin, 'the console moderation page');
  await admin.goto(`${alpes}/admin/journal`);
  const journal = await admin.content();
  assert.match(journal, /moderation\.restored|community\.approve/);
  for (const p of [admin, owner, author]) assert.deepEqual(p.cspViolations(), []);
});
