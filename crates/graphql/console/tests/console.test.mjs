// Clicks through the admin console in Debian's headless Chromium, as a person would:
//   node console.test.mjs <baseUrl> <screenshotDir>
// against `clockwork-local serve --demo` (crates/local/tests/console.rs starts it).
// Exits 1 with the failed expectation on the last line of stderr.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [base, shots] = process.argv.slice(2);
if (!base || !shots) {
  console.error('usage: node console.test.mjs <baseUrl> <screenshotDir>');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

const CHROMIUM = '/usr/bin/chromium';
const PROJECT = 'OPS';

class Expectation extends Error {}

function expect(condition, message) {
  if (!condition) throw new Expectation(message);
}

/** Polls `probe` until it returns a truthy value, at most `ms`; else fails naming `what`. */
async function until(what, probe, ms = 15000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Expectation(`${what} (still not so after ${ms} ms; last seen: ${JSON.stringify(last)})`);
}

async function shot(page, name, fullPage = true) {
  const path = join(shots, `${name}.png`);
  await page.screenshot({ path, fullPage });
  console.log(`screenshot ${path}`);
}

function step(name) {
  console.log(`- ${name}`);
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const problems = [];
function watch(page) {
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()} (${message.location().url})`);
  });
}

let failed = false;
try {
  const desktop = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  watch(desktop);
  await desktop.goto(`${base}/admin`);

  step('the demo needs no token: the console opens by itself');
  await until('the mode line says authentication is off',
    async () => (await desktop.textContent('#mode')).includes('Authentication is off'));
  expect(await desktop.isHidden('#sign-in'), 'the sign-in form is hidden in demo mode');

  step('keyboard: Tab reaches the skip link, then the first control, each visibly focused');
  const focus = async () => desktop.evaluate(() => {
    const active = document.activeElement;
    const style = getComputedStyle(active);
    const box = active.getBoundingClientRect();
    return {
      id: active.id, tag: active.tagName, text: active.textContent.trim(),
      outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
      onScreen: box.top >= 0 && box.bottom <= innerHeight && box.width > 0,
    };
  });
  await desktop.keyboard.press('Tab');
  let focused = await focus();
  expect(focused.tag === 'A' && focused.text === 'Skip to the projects' && focused.outline && focused.onScreen,
    `the first Tab shows the skip link with a focus ring: ${JSON.stringify(focused)}`);
  await desktop.keyboard.press('Tab');
  focused = await focus();
  expect(focused.id === 'refresh' && focused.outline,
    `the second Tab reaches the Refresh button with a focus ring: ${JSON.stringify(focused)}`);

  step(`track ${PROJECT} from Jira's projects`);
  const toggle = desktop.getByLabel(new RegExp(`^${PROJECT}\\b`));
  await toggle.waitFor();
  expect(!(await toggle.isChecked()), `${PROJECT} starts untracked`);
  await toggle.check();
  const card = desktop.locator(`section.project[aria-labelledby="project-${PROJECT}"]`);
  await card.waitFor({ timeout: 15000 });
  await until('the status region confirms the tracking',
    async () => (await desktop.textContent('#status')).includes(`${PROJECT} is tracked`));
  await shot(desktop, '1-tracked');

  step('sync now, then the issue count rises above 0');
  await card.getByRole('button', { name: 'Sync now' }).click();
  await until('the status region tells the sync is on its way',
    async () => /sync of OPS/i.test(await desktop.textContent('#status')));
  const issues = await until(`${PROJECT}'s issue count rises above 0`, async () => {
    const count = Number(await card.locator('[data-field="issues"]').textContent());
    return count > 0 && count;
  }, 30000);
  console.log(`  ${PROJECT} shows ${issues} issues`);
  await until('the chart draws the run as a bar', async () => (await card.locator('svg.runs rect.bar').count()) > 0);

  step('pause: the status shows PAUSED');
  await card.getByRole('button', { name: 'Pause' }).click();
  await until('the status badge says PAUSED',
    async () => (await card.locator('[data-field="status"]').textContent()) === 'PAUSED');
  expect((await card.locator('[data-field="next-run"]').textContent()).includes('paused'),
    'the next run reads as none while paused');

  step('reschedule with a bad cron: the error is inline, naming the field');
  const cron = card.getByLabel('Cron (UTC, 5 fields)');
  await cron.fill('*/5 25 * * *');
  await card.getByRole('button', { name: 'Reschedule' }).click();
  const error = card.locator(`#cron-error-${PROJECT}`);
  const message = await until('the inline cron error appears', async () => (await error.textContent()).trim());
  expect(message.includes('INVALID_CRON') && message.includes('hour'),
    `the inline error gives the code and names the hour field: ${message}`);
  expect(await cron.getAttribute('aria-invalid') === 'true', 'the cron field is aria-invalid');
  expect((await cron.getAttribute('aria-describedby')).split(' ').includes(`cron-error-${PROJECT}`),
    'the cron field is described by its error');
  expect((await desktop.textContent('#status')).includes('INVALID_CRON'), 'the status region carries the code too');
  await shot(desktop, '2-bad-cron');

  step('reschedule with a good cron: shown as the schedule in force');
  await cron.fill('*/30 * * * *');
  await card.getByRole('button', { name: 'Reschedule' }).click();
  await until('the schedule in force reads */30 * * * *',
    async () => (await card.locator('[data-field="cron"]').textContent()) === '*/30 * * * *');
  expect((await error.textContent()).trim() === '', 'the inline error is gone');
  expect(await cron.getAttribute('aria-invalid') === null, 'the cron field is valid again');

  step('the sync is in the logs panel, and the level filter narrows it');
  const logs = card.locator('[data-field="logs"] li');
  await until('a "sync finished" entry is listed',
    async () => (await logs.allTextContents()).some((text) => text.includes('sync finished')));
  await card.getByLabel('Level').selectOption('ERROR');
  await until('the ERROR filter lists no entry and says so',
    async () => (await logs.count()) === 0 && await card.locator('[data-field="logs-empty"]').isVisible());
  await card.getByLabel('Level').selectOption('INFO');
  await until('the INFO filter lists the sync again',
    async () => (await logs.allTextContents()).some((text) => text.includes('sync finished')));
  const levels = await card.locator('[data-field="logs"] li .badge').allTextContents();
  expect(levels.every((level) => level === 'INFO'), `only INFO entries under the INFO filter: ${levels}`);

  step('tracked people: the project\'s assignable users are listed');
  await card.locator('details.people summary').click();
  await until('people are listed', async () => (await card.locator('[data-field="people"] li').count()) > 0);
  await shot(desktop, '3-project-health');

  step('team: members and unmatched Jira users are listed');
  await until('the unmatched Jira users are listed', async () => (await desktop.locator('#unmatched-users li').count()) > 0);
  await desktop.locator('#team-title').scrollIntoViewIfNeeded();
  await shot(desktop, '4-team');

  step('375 px wide: no horizontal scrolling');
  const phone = await browser.newPage({ viewport: { width: 375, height: 812 }, isMobile: true });
  watch(phone);
  await phone.goto(`${base}/admin`);
  await phone.locator(`section.project[aria-labelledby="project-${PROJECT}"] [data-field="issues"]`).waitFor();
  await until('the phone view has its counts', async () =>
    Number(await phone.locator(`section.project[aria-labelledby="project-${PROJECT}"] [data-field="issues"]`).textContent()) > 0);
  const widths = await phone.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: innerWidth }));
  expect(widths.scroll <= widths.inner, `no horizontal scrollbar at 375 px: ${JSON.stringify(widths)}`);
  await shot(phone, '5-phone-top', false);
  await phone.locator(`section.project[aria-labelledby="project-${PROJECT}"] .controls`).scrollIntoViewIfNeeded();
  await shot(phone, '6-phone-controls', false);
  await shot(phone, '7-phone-whole');

  expect(problems.length === 0, `the page logged no errors: ${problems.join('; ')}`);
  console.log('console test: every expectation held');
} catch (error) {
  failed = true;
  console.error(error instanceof Expectation
    ? `console test FAILED: ${error.message}`
    : `console test FAILED with an unexpected error: ${error.stack}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
