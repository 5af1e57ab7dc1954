// The preview in a real browser: headless Chromium (Debian's, at
// /usr/bin/chromium) driven by playwright-core. `scripts/preview-test`
// installs playwright-core, builds waymark-pack and runs this with
//   WAYMARK_PACK      the waymark-pack binary
//   PLAYWRIGHT_CORE   the playwright-core package directory
//   SCREENSHOTS       where to write the screenshots (content/preview-screenshots)
//
// It previews a copy of the eastern-med sample with one mistake (a service
// in Athens placed in Turkey), and checks, as a person looking at a phone
// would: the page loads; a search typed in Arabic shows its results right to
// left, right-aligned; the warning about the mistake is visible next to the
// service; an edit that breaks the source shows its error on reload.

import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const bin = process.env.WAYMARK_PACK;
const shots = process.env.SCREENSHOTS ?? path.join(repo, 'content/preview-screenshots');
assert.ok(bin && fs.existsSync(bin), 'WAYMARK_PACK must name the built waymark-pack');
assert.ok(process.env.PLAYWRIGHT_CORE, 'PLAYWRIGHT_CORE must name the playwright-core package');
const { chromium } = await import(
  pathToFileURL(path.join(process.env.PLAYWRIGHT_CORE, 'index.mjs')).href
);

// The sample, with one service (the Athens night shelter) put in Turkey.
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'waymark-preview-test-'));
const src = path.join(work, 'eastern-med');
fs.cpSync(path.join(repo, 'content/samples/eastern-med'), src, { recursive: true });
const locations = path.join(src, 'services/location.csv');
const before = fs.readFileSync(locations, 'utf8');
const after = before.replace(
  '"Night shelter site, Athens (example)",37.9810,23.7330',
  '"Night shelter site, Athens (example)",38.4200,27.1400',
);
assert.notEqual(after, before, 'the sample changed: update the deliberate mistake');
fs.writeFileSync(locations, after);

/** Starts `waymark-pack preview` on a free port; resolves with its URL. */
function startPreview(dir) {
  // Its temporary files in `work`, removed at the end (it is killed).
  const env = { ...process.env, TMPDIR: work };
  delete env.WAYMARK_PACK_NOW;
  const child = spawn(bin, ['preview', dir, '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'], env });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
      const m = err.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) resolve({ child, url: m[0] });
    });
    child.on('exit', (code) => reject(new Error(`waymark-pack preview exited (${code}): ${err}`)));
  });
}

const { child, url } = await startPreview(src);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true });
try {
  fs.mkdirSync(shots, { recursive: true });
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
  const shot = async (name) => {
    await page.screenshot({ path: path.join(shots, name) });
    console.log(`wrote ${path.relative(repo, path.join(shots, name))}`);
  };

  // 1. The page loads, in the pack's fallback language, left to right.
  const resp = await page.goto(url);
  assert.equal(resp.status(), 200);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal(await page.getAttribute('html', 'dir'), 'ltr');
  assert.match(await page.textContent('h1'), /Eastern Mediterranean route/);
  assert.ok(await page.isVisible('header .badge.sample'), 'the SAMPLE mark is shown');
  const services = page.locator('#services .service');
  assert.ok((await services.count()) >= 10, 'the services are listed');
  assert.match(await services.first().textContent(), /km/);
  assert.ok(await page.isVisible('#services .phone'), 'phone numbers are shown');
  await page.locator('#nearby').scrollIntoViewIfNeeded();
  await page.evaluate(() => document.querySelector('#nearby').scrollIntoView());
  await shot('01-services-en.png');

  // 2. Arabic: the switcher, then a search typed in Arabic.
  await page.click('nav a[lang="ar"]');
  assert.equal(await page.getAttribute('html', 'dir'), 'rtl');
  await page.fill('input[name="q"]', 'محامي');
  await page.press('input[name="q"]', 'Enter');
  await page.waitForSelector('#hits .hit');
  const hit = page.locator('#hits .hit').first();
  assert.equal(await hit.getAttribute('lang'), 'ar');
  const style = await hit.evaluate((el) => {
    const h3 = el.querySelector('h3');
    const range = document.createRange();
    range.selectNodeContents(h3);
    return {
      direction: getComputedStyle(el).direction,
      textRight: range.getBoundingClientRect().right,
      boxRight: h3.getBoundingClientRect().right,
      textLeft: range.getBoundingClientRect().left,
      boxLeft: h3.getBoundingClientRect().left,
    };
  });
  assert.equal(style.direction, 'rtl', 'Arabic results are laid out right to left');
  assert.ok(Math.abs(style.boxRight - style.textRight) < 2, `the title is right-aligned: ${JSON.stringify(style)}`);
  assert.match(await hit.locator('h3').textContent(), /[\u0600-\u06FF]/, 'the title is in Arabic');
  await shot('02-search-ar.png');

  // 3. The mistake's warning, next to the service it concerns.
  await page.goto(`${url}?lang=en`);
  const warning = page.locator('#services .service .warn', { hasText: 'is in TR, not in GR' });
  assert.equal(await warning.count(), 1, 'the warning is on one service');
  await warning.scrollIntoViewIfNeeded();
  assert.ok(await warning.isVisible(), 'the warning is visible');
  const card = page.locator('#services .service', {
    has: page.locator('.warn', { hasText: 'is in TR, not in GR' }),
  });
  assert.match(await card.locator('h3').textContent(), /Night shelter/);
  await card.evaluate((el) => el.scrollIntoView());
  await shot('03-warning-en.png');

  // 4. An edit that makes an error, then a reload: the error is on top.
  const phones = path.join(src, 'services/phone.csv');
  fs.writeFileSync(phones, fs.readFileSync(phones, 'utf8').replace('+30 210 000 0001', 'call us'));
  await page.reload();
  const errors = page.locator('#errors');
  assert.ok(await errors.isVisible(), 'errors are shown');
  assert.match(await errors.textContent(), /services\/phone\.csv:2/);
  assert.equal(await page.locator('#services').count(), 0, 'no pack is shown when it does not build');
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot('04-error-en.png');
  console.log('preview browser test: 4 checks passed');
} finally {
  await browser.close();
  child.kill();
  fs.rmSync(work, { recursive: true, force: true });
}
