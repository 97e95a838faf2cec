// Browser test of /docs (issue #13): Debian's chromium, driven by puppeteer-core, loads the Swagger
// UI page of a running portcullis, checks that it shows every operationId of /openapi.json with no
// console error, failed request or CSP violation, registers a user through "Try it out" →
// "Execute" and sees the 201 rendered, and saves a screenshot.
//   node docs_browser.mjs <tools-dir> <base-url> <screenshot.png>
// <tools-dir> is where this folder's package-lock.json was installed (.cache/npm/test-tools).
// Exit 0 when every check held; otherwise 1 with one line per problem.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [tools, base, screenshot] = process.argv.slice(2);
if (!tools || !base || !screenshot) {
  console.error('usage: node docs_browser.mjs <tools-dir> <base-url> <screenshot.png>');
  process.exit(2);
}
const puppeteer = createRequire(join(tools, 'package.json'))('puppeteer-core');

const document = await (await fetch(`${base}/openapi.json`)).json();
const operations = [];
for (const [path, item] of Object.entries(document.paths)) {
  for (const [method, operation] of Object.entries(item)) {
    operations.push({ path, method, id: operation.operationId, tag: operation.tags[0] });
  }
}

const problems = [];
// A fresh profile, and no background traffic: the machine reaches no network but loopback.
const profile = mkdtempSync(join(tmpdir(), 'portcullis-chromium-'));
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  userDataDir: profile,
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) =>
    problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
  page.on('response', (response) => {
    // The only non-2xx/3xx answer the page may see is none: register is expected to give 201.
    if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()}`);
  });
  await page.evaluateOnNewDocument(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI}`);
    });
  });

  await page.goto(`${base}/docs/`, { waitUntil: 'networkidle0', timeout: 60000 });
  await page.waitForSelector('.opblock', { timeout: 60000 });
  const shown = await page.evaluate(() => document.querySelector('#swagger-ui').innerText);
  for (const operation of operations) {
    if (!shown.includes(operation.id)) {
      problems.push(`operationId ${operation.id} (${operation.method} ${operation.path}) not shown`);
    }
  }
  console.log(`page shows ${operations.length} operations`);

  // POST /auth/register: expand, "Try it out", a valid body, "Execute", expect 201 rendered.
  const block = '#operations-Auth-registerUser';
  await page.click(`${block} .opblock-summary-control`);
  await page.waitForSelector(`${block} .try-out__btn`);
  await page.click(`${block} .try-out__btn`);
  const editor = `${block} textarea.body-param__text`;
  await page.waitForSelector(editor);
  const email = `browser-${Date.now()}-${process.pid}@example.com`;
  await page.click(editor, { clickCount: 3 });
  await page.keyboard.down('Control');
  await page.keyboard.press('KeyA');
  await page.keyboard.up('Control');
  await page.keyboard.press('Backspace');
  await page.type(editor, JSON.stringify({ email, password: 'Str0ng!Passw0rd' }));
  await page.click(`${block} .execute`);
  const statusCell = `${block} .live-responses-table .response .response-col_status`;
  await page.waitForSelector(statusCell, { timeout: 60000 });
  const status = (await page.$eval(statusCell, (cell) => cell.innerText)).trim();
  const body = await page.$eval(`${block} .live-responses-table .response .response-col_description`,
    (cell) => cell.innerText);
  console.log(`register via "Try it out": ${status}`);
  // A second, viewport-sized picture of the rendered answer for people to look at.
  await page.$eval(statusCell, (cell) => cell.scrollIntoView({ block: 'center' }));
  const closeUp = screenshot.replace(/\.png$/, '-register.png');
  await page.screenshot({ path: closeUp });
  console.log(`screenshot: ${closeUp}`);
  if (!status.startsWith('201')) problems.push(`register answered ${status}, expected 201`);
  if (!body.includes('emailVerificationRequired')) {
    problems.push(`register response body not rendered: ${body.slice(0, 200)}`);
  }

} catch (error) {
  // Keep going: the console errors and the screenshot tell why a step failed.
  problems.push(`step failed: ${error.message.split('\n')[0]}`);
}
try {
  const page = (await browser.pages()).at(-1);
  const violations = await page.evaluate(() => window.__cspViolations ?? []);
  for (const violation of violations) problems.push(`CSP violation: ${violation}`);
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`screenshot: ${screenshot}`);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}

for (const problem of problems) console.log(`PROBLEM ${problem}`);
process.exit(problems.length === 0 ? 0 : 1);
