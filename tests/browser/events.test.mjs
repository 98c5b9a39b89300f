// Events and places, as a member announces them: the event form with the map picker (a click
// places the marker and fills the coordinates), then the event's page, the agenda, and the map
// where its marker appears (the time to first markers is measured); a place the same way. Every
// page passes axe-core at phone and desktop widths and keeps to the Content-Security-Policy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { alpes, checkA11y, launch, shoot, shots, signUp, watchedPage } from './support.mjs';

let browser;

before(async () => {
  mkdirSync(shots, { recursive: true });
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

function inDays(n) {
  const d = new Date(Date.now() + n * 86400000);
  return d.toISOString().slice(0, 10);
}

test('a member announces an event with the map picker; it is on its page, the agenda and the map', async () => {
  const stamp = Date.now();
  const title = `Atelier fusées ${stamp}`;
  const context = await browser.newContext();
  // The tiles come from the internet, which the tests do not reach: answer them empty.
  await context.route(/tile\.openstreetmap\.org/, (route) => route.fulfill({ status: 204, body: '' }));
  const page = await watchedPage(context);
  await signUp(page, alpes, { name: 'Rose Organisatrice', email: `rose.${stamp}@exemple.org` });

  await page.goto(`${alpes}/evenements/nouveau`);
  await page.waitForSelector('.map-picker__canvas.leaflet-container');
  await checkA11y(page, 'the event form');
  await page.getByLabel(/^Titre de l’événement/).fill(title);
  await page.getByLabel(/^Présentation/).fill('On construit des fusées à eau, **dès 8 ans**.');
  await page.getByLabel(/^Date de début/).fill(inDays(5));
  await page.getByLabel(/^Heure de début/).fill('14:00');
  await page.getByLabel(/^Heure de fin/).fill('16:30');
  await page.getByLabel(/^Nom du lieu/).fill('La Casemate');
  await page.getByLabel(/^Adresse/).fill('2 place Saint-Laurent, 38000 Grenoble');
  // A click on the map places the marker and writes its coordinates.
  const canvas = page.locator('.map-picker__canvas');
  const box = await canvas.boundingBox();
  await canvas.click({ position: { x: box.width / 2 + 20, y: box.height / 2 - 10 } });
  await page.waitForFunction(() => document.getElementById('lat').value !== '');
  const lat = Number(await page.locator('#lat').inputValue());
  const lon = Number(await page.locator('#lon').inputValue());
  assert.ok(Math.abs(lat) <= 90 && Math.abs(lon) <= 180, `a point: ${lat}, ${lon}`);
  assert.equal(await page.locator('.map-picker .leaflet-marker-icon').count(), 1, 'the marker');
  await page.getByLabel(/^Type d’événement/).selectOption('workshop');
  await page.getByLabel(/^Public/).selectOption('children');
  await shoot(page, 'event-form');
  await page.getByRole('button', { name: 'Publier', exact: true }).click();
  await page.waitForURL(/\/evenements\/\d+-atelier-fusees/);
  const eventUrl = page.url();
  assert.match(await page.locator('.event-facts').textContent(), /14 h – 16 h 30/);
  await page.getByRole('radio', { name: 'J’y vais' }).check();
  await page.getByRole('button', { name: 'Enregistrer' }).click();
  await page.waitForURL(/#participer$/);
  assert.match(await page.locator('.event-actions__counts').textContent(), /1 participant/);
  await checkA11y(page, "the event's page");
  await shoot(page, 'event');

  // The agenda.
  await page.goto(`${alpes}/agenda`);
  assert.match(await page.content(), new RegExp(title));
  await checkA11y(page, 'the agenda');
  await shoot(page, 'agenda');
  await page.getByRole('link', { name: 'Mois' }).click();
  await page.waitForURL(/vue=mois/);
  await checkA11y(page, "the agenda's month");

  // The map: the marker is there, and the list beside it names the event.
  const started = Date.now();
  await page.goto(`${alpes}/carte`);
  await page.waitForSelector('#map[data-ready]');
  const firstMarkers = Date.now() - started;
  assert.ok(Number(await page.locator('#map').getAttribute('data-ready')) >= 1, 'points drawn');
  await page.waitForSelector('.map-canvas .leaflet-marker-icon');
  assert.match(await page.locator('#map-items').textContent(), new RegExp(title));
  console.log(`time to first markers: ${firstMarkers} ms`);
  await checkA11y(page, 'the map');
  await shoot(page, 'map');

  // A place to visit, with coordinates typed by hand.
  await page.goto(`${alpes}/lieux/nouveau`);
  await page.getByLabel(/^Nom du lieu/).fill(`Observatoire ${stamp}`);
  await page.getByLabel(/^Présentation/).fill('Un observatoire ouvert le samedi soir.');
  await page.getByLabel(/^Type de lieu/).selectOption('observatory');
  await page.getByLabel(/^Adresse/).fill('Col de Porte, 38700 Sarcenas');
  await page.getByLabel(/^Latitude/).fill('45.2935');
  await page.getByLabel(/^Longitude/).fill('5.7651');
  await page.getByLabel(/^Horaires d’ouverture/).fill('Le samedi, de 21 h à minuit');
  await checkA11y(page, 'the place form');
  await page.getByRole('button', { name: 'Publier', exact: true }).click();
  await page.waitForURL(/\/lieux\/\d+-observatoire/);
  await checkA11y(page, "a place's page");
  await page.goto(`${alpes}/carte?couches=lieux`);
  await page.waitForSelector('#map[data-ready]');
  assert.match(await page.locator('#map-items').textContent(), new RegExp(`Observatoire ${stamp}`));

  // A visitor adds the event to their calendar.
  const visitor = await (await browser.newContext()).newPage();
  await visitor.goto(eventUrl);
  const href = await visitor.getByRole('link', { name: 'Ajouter à mon agenda' }).getAttribute('href');
  const ics = await visitor.evaluate((u) => fetch(u).then((r) => r.text()), href);
  assert.match(ics, /BEGIN:VEVENT[\s\S]*SUMMARY:Atelier fusées/);
  assert.deepEqual(page.cspViolations(), []);
});
