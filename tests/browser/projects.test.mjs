// Projects and a call for projects, as a region lives them: its admin opens a call from the
// console, a member submits a project to it, two others vote (one changes her mind and comes
// back), the call closes and the project reads finished with its count. Every page passes axe-core
// at phone and desktop widths and keeps to the Content-Security-Policy.
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

const day = (n) => new Date(Date.now() + n * 86400000).toISOString().slice(0, 10);

async function person(name, email) {
  const page = await watchedPage(await browser.newContext());
  await signUp(page, alpes, { name, email });
  return page;
}

test('a call is opened, a project submitted and voted for, and once closed it reads finished', async () => {
  const stamp = Date.now();
  const callTitle = `Sciences citoyennes ${stamp}`;
  const projectTitle = `Capteurs pour l’air ${stamp}`;

  const adminEmail = `admin.projets.${stamp}@exemple.org`;
  const admin = await person('Alice Admin', adminEmail);
  execFileSync(ECHOS, ['tenant', 'admin', 'alpes', adminEmail], { stdio: 'pipe' });
  await admin.goto(`${alpes}/admin/appels`);
  await checkA11y(admin, 'the console calls page');
  await admin.getByLabel(/^Titre de l’appel/).fill(callTitle);
  await admin.getByLabel(/^Texte de l’appel/).fill('Des projets **citoyens** de mesure de l’air.');
  await admin.getByLabel(/^Ouverture/).fill(day(-1));
  await admin.getByLabel(/^Clôture/).fill(day(20));
  await admin.getByLabel(/^Votes par membre/).fill('2');
  await admin.getByRole('button', { name: 'Ouvrir l’appel' }).click();
  await admin.waitForURL(/\/admin\/appels\?ok=1/);
  await shoot(admin, 'console-calls');

  // A member submits a project to it.
  const owner = await person('Paul Porteur', `paul.${stamp}@exemple.org`);
  await owner.goto(`${alpes}/projets/nouveau`);
  await checkA11y(owner, 'the project form');
  await owner.getByLabel(/^Nom du projet/).fill(projectTitle);
  await owner.getByLabel(/^Présentation/).fill('Dix capteurs dans les écoles de la vallée.');
  await owner.getByLabel(/^Appel à projets/).selectOption({ label: callTitle });
  await owner.getByLabel(/^Objectif/).fill('3 000 € pour dix capteurs');
  await owner.getByRole('button', { name: 'Publier', exact: true }).click();
  await owner.waitForURL(/\/projets\/\d+-capteurs/);
  const projectUrl = owner.url();

  // Two members vote; one withdraws and votes again.
  for (const [name, again] of [['Vera Votante', true], ['Yves Votant', false]]) {
    const fan = await person(name, `${name.split(' ')[0].toLowerCase()}.${stamp}@exemple.org`);
    await fan.goto(projectUrl);
    await fan.getByRole('button', { name: /^Voter pour ce projet/ }).click();
    await fan.waitForURL(/vote=compte/);
    assert.match(await fan.locator('.project-tally__mine').textContent(), /Vous soutenez ce projet/);
    if (again) {
      await checkA11y(fan, "a project's page, as a supporter");
      await fan.getByRole('button', { name: 'Retirer mon vote' }).click();
      await fan.waitForURL(/vote=retire/);
      await fan.getByRole('button', { name: /^Voter pour ce projet/ }).click();
      await fan.waitForURL(/vote=compte/);
    }
    assert.deepEqual(fan.cspViolations(), []);
  }
  await owner.goto(projectUrl);
  assert.match(await owner.locator('.project-tally__count').textContent(), /2 votes/);
  await shoot(owner, 'project');
  await owner.goto(`${alpes}/projets?tri=votes`);
  await checkA11y(owner, 'the projects list');
  assert.match(await owner.content(), new RegExp(projectTitle));
  await shoot(owner, 'projects');

  // The call closes: its page gives the results, the project reads finished.
  await admin.goto(`${alpes}/admin/appels`);
  await admin.getByRole('link', { name: `Modifier ${callTitle}` }).click();
  await admin.getByLabel(/^Ouverture/).fill(day(-10));
  await admin.getByLabel(/^Clôture/).fill(day(-1));
  await admin.getByRole('button', { name: 'Enregistrer' }).click();
  await admin.waitForURL(/\/admin\/appels\?ok=1/);
  await admin.goto(`${alpes}/appels`);
  await checkA11y(admin, 'the calls');
  await admin.getByRole('link', { name: callTitle }).click();
  await checkA11y(admin, "a call's page");
  assert.match(await admin.content(), /Résultats/);
  await shoot(admin, 'call');
  await owner.goto(projectUrl);
  assert.match(await owner.locator('.project-tally').textContent(), /Ce projet est terminé/);
  assert.match(await owner.locator('.project-tally__count').textContent(), /2 votes/);
  assert.equal(await owner.getByRole('button', { name: /^Voter pour ce projet/ }).count(), 0);
  await checkA11y(owner, 'a finished project');
  assert.deepEqual(admin.cspViolations(), []);
  assert.deepEqual(owner.cspViolations(), []);
});
