// Drives the web console's admin pages in Debian's headless Chromium through playwright-core,
// as an administrator would: signs in, adds an account, a domain, an account in it and an
// alias, reads the DNS page and the FAIL lines it shows, retries the first queued message
// and waits until its attempt count grows, and visits the other admin pages. Prints one line
// per step for the test to check ("step NAME", "dns-fail WHAT", "error: ..."); saves a
// screenshot of every page into OUT_DIR.
//   node admin_browser.mjs BASE_URL ADDRESS PASSWORD OUT_DIR
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

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'admin-profile-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args,
  viewport: { width: 1100, height: 900 },
});
const page = ctx.pages()[0] || await ctx.newPage();
page.on('pageerror', (e) => console.log(`pageerror: ${e}`));
page.on('dialog', (d) => d.accept());
let ok = false;

const shot = (name) => page.screenshot({ path: path.join(outDir, name + '.png'), fullPage: true });
async function open(id) {
  await page.goto(`${base}/#/${id}`);
  await page.waitForFunction((p) => document.body.dataset.ready === p, id, { timeout: 20000 });
}

try {
  await page.goto(base + '/');
  await page.waitForSelector('#signin-form', { timeout: 20000 });
  await shot('signin');
  await page.fill('#address', address);
  await page.fill('#password', password);
  await page.click('#signin-form button[type=submit]');
  await page.waitForFunction(() => document.body.dataset.ready && document.body.dataset.ready !== 'signin', null, { timeout: 20000 });
  console.log('step signed-in');

  await open('admin-accounts');
  await page.fill('#new-address', 'carol@example.test');
  await page.fill('#new-password', "carol's browser pw");
  await page.click('#admin-account-form button[type=submit]');
  await page.waitForSelector('tr[data-address="carol@example.test"]', { timeout: 15000 });
  console.log('step account-added');

  await open('admin-domains');
  await page.fill('#new-domain', 'other.test');
  await page.click('#admin-domain-form button[type=submit]');
  await page.waitForSelector('section[data-domain="other.test"] code.record', { timeout: 30000 });
  console.log('step domain-added');
  await shot('domains');

  await open('admin-accounts');
  await page.fill('#new-address', 'dan@other.test');
  await page.fill('#new-password', 'dan browser pw');
  await page.click('#admin-account-form button[type=submit]');
  await page.waitForSelector('tr[data-address="dan@other.test"]', { timeout: 15000 });
  console.log('step account2-added');
  await shot('accounts');

  await open('admin-aliases');
  await page.fill('#alias-source', 'info@other.test');
  await page.fill('#alias-targets', 'dan@other.test');
  await page.click('#admin-alias-form button[type=submit]');
  await page.waitForSelector('tr[data-source="info@other.test"]', { timeout: 15000 });
  console.log('step alias-added');
  await shot('aliases');

  await open('admin-dns');
  await page.waitForSelector('#admin-dns-checks', { timeout: 60000 });
  const fails = await page.$$eval('#admin-dns-checks tr.level-fail td:nth-child(2)', (tds) => tds.map((td) => td.firstChild.textContent));
  for (const f of fails) console.log('dns-fail ' + f);
  const zone = await page.textContent('#admin-dns-zone');
  if (zone.includes('_imaps._tcp')) console.log('step dns-zone-shown');
  await shot('dns');

  await open('admin-queue');
  const card = page.locator('#admin-queue-list section[data-id]').first();
  await card.waitFor({ timeout: 15000 });
  const attempts = async () => parseInt(await card.locator('td.attempts').first().textContent(), 10);
  const before = await attempts();
  console.log('queue-attempts ' + before);
  await card.locator('button.retry').click();
  console.log('step retried');
  const deadline = Date.now() + 20000;
  let after = before;
  while (Date.now() < deadline && after <= before) {
    await page.waitForTimeout(500);
    await page.click('text=' + 'Refresh');
    await page.waitForTimeout(200);
    after = await attempts();
  }
  console.log('queue-attempts ' + after);
  await shot('queue');

  await open('admin-greylist');
  await page.waitForSelector('#admin-greylist section', { timeout: 15000 });
  await shot('greylist');
  await open('admin-logins');
  await shot('logins');
  await open('admin-server');
  await page.waitForSelector('#admin-server table', { timeout: 15000 });
  console.log('step server-shown');
  await shot('server');
  ok = true;
} catch (e) {
  console.log(`error: ${e.message.split('\n')[0]}`);
  try { await shot('failure'); } catch (_) {}
} finally {
  await ctx.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
