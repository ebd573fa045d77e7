// The admin's Reports page in Debian's headless Chromium through playwright-core: signs in,
// opens #/admin-reports and prints what it shows, one line each, for the test to check:
//   dmarc-day DOMAIN DAY MESSAGES PASS FAIL | source IP VERDICT | tls-day DOMAIN DAY OK FAILED |
//   tls-failure TEXT | step NAME | error: ... | pageerror: ...
// and saves reports.png into OUT_DIR.
//   node reports_browser.mjs BASE_URL ADDRESS PASSWORD OUT_DIR
import { createRequire } from 'module';
import fs from 'fs';
import os from 'os';
import path from 'path';

const require = createRequire(process.env.HEARTH_NPM_DIR + '/node_modules/');
const { chromium } = require('playwright-core');

const [base, address, password, outDir] = process.argv.slice(2);
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--disable-background-networking', '--no-first-run'];
if (process.env.HOST_RULES) args.push(`--host-resolver-rules=${process.env.HOST_RULES}`);
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'reports-profile-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args,
  viewport: { width: 1100, height: 900 },
});
const page = ctx.pages()[0] || await ctx.newPage();
page.on('pageerror', (e) => console.log(`pageerror: ${e}`));
let ok = false;
const cells = (row) => row.$$eval('td', (tds) => tds.map((td) => td.firstChild ? td.firstChild.textContent.trim() : ''));
try {
  await page.goto(base + '/');
  await page.waitForSelector('#signin-form', { timeout: 20000 });
  await page.fill('#address', address);
  await page.fill('#password', password);
  await page.click('#signin-form button[type=submit]');
  await page.waitForFunction(() => document.body.dataset.ready && document.body.dataset.ready !== 'signin', null, { timeout: 20000 });
  console.log('step signed-in');
  const nav = await page.$$eval('#nav a', (as) => as.map((a) => a.getAttribute('href')));
  if (nav.includes('#/admin-reports')) console.log('step nav-link');
  await page.goto(`${base}/#/admin-reports`);
  await page.waitForFunction(() => document.body.dataset.ready === 'admin-reports', null, { timeout: 20000 });
  await page.waitForSelector('#admin-reports-dmarc', { timeout: 15000 });
  for (const row of await page.$$('#admin-reports-dmarc tr[data-day]')) console.log('dmarc-day ' + (await cells(row)).slice(0, 5).join(' '));
  for (const row of await page.$$('#admin-reports-sources tr[data-ip]'))
    console.log('source ' + await row.getAttribute('data-ip') + ' ' + await row.getAttribute('data-verdict'));
  for (const row of await page.$$('#admin-reports-tls tr[data-day]')) console.log('tls-day ' + (await cells(row)).slice(0, 4).join(' '));
  for (const row of await page.$$('#admin-reports-tls tr.tls-failure')) console.log('tls-failure ' + (await row.textContent()).trim());
  await page.screenshot({ path: path.join(outDir, 'reports.png'), fullPage: true });
  ok = true;
} catch (e) {
  console.log(`error: ${e.message.split('\n')[0]}`);
  try { await page.screenshot({ path: path.join(outDir, 'failure.png'), fullPage: true }); } catch (_) {}
} finally {
  await ctx.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
