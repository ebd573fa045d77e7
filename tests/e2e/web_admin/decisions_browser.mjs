// The admin's "Incoming mail" page in Debian's headless Chromium through playwright-core:
// signs in, opens #/admin-decisions, searches for QUERY and prints each row it shows
// ("row OUTCOME IP DNSBL-TEXT"), "step NAME" per step, "error: ..." / "pageerror: ..." on
// failure; saves decisions.png into OUT_DIR.
//   node decisions_browser.mjs BASE_URL ADDRESS PASSWORD OUT_DIR QUERY
import { createRequire } from 'module';
import fs from 'fs';
import os from 'os';
import path from 'path';

const require = createRequire(process.env.HEARTH_NPM_DIR + '/node_modules/');
const { chromium } = require('playwright-core');

const [base, address, password, outDir, query] = process.argv.slice(2);
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--disable-background-networking', '--no-first-run'];
if (process.env.HOST_RULES) args.push(`--host-resolver-rules=${process.env.HOST_RULES}`);
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'decisions-profile-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args,
  viewport: { width: 1100, height: 900 },
});
const page = ctx.pages()[0] || await ctx.newPage();
page.on('pageerror', (e) => console.log(`pageerror: ${e}`));
let ok = false;
const rows = async () => {
  for (const r of await page.$$('#admin-decisions-list tr[data-seq]')) {
    const dnsbl = await r.$('.dnsbl');
    console.log(['row', await r.getAttribute('data-outcome'), await r.getAttribute('data-ip'),
      dnsbl ? (await dnsbl.textContent()).trim() : '-'].join(' '));
  }
};
try {
  await page.goto(base + '/');
  await page.waitForSelector('#signin-form', { timeout: 20000 });
  await page.fill('#address', address);
  await page.fill('#password', password);
  await page.click('#signin-form button[type=submit]');
  await page.waitForFunction(() => document.body.dataset.ready && document.body.dataset.ready !== 'signin', null, { timeout: 20000 });
  await page.goto(`${base}/#/admin-decisions`);
  await page.waitForFunction(() => document.body.dataset.ready === 'admin-decisions', null, { timeout: 20000 });
  const all = (await page.$$('#admin-decisions-list tr[data-seq]')).length;
  console.log('step all ' + all);
  await page.fill('#decisions-q', query);
  await page.press('#decisions-q', 'Enter');
  await page.waitForFunction((n) => document.querySelectorAll('#admin-decisions-list tr[data-seq]').length !== n
    || document.getElementById('admin-decisions-none'), all, { timeout: 15000 });
  console.log('step searched');
  await rows();
  await page.screenshot({ path: path.join(outDir, 'decisions.png'), fullPage: true });
  ok = true;
} catch (e) {
  console.log(`error: ${e.message.split('\n')[0]}`);
  try { await page.screenshot({ path: path.join(outDir, 'failure.png'), fullPage: true }); } catch (_) {}
} finally {
  await ctx.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
