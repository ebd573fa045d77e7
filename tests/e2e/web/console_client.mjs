// Drives the web console in Debian's headless Chromium through playwright-core, one command
// per line on stdin, one answer line per command on stdout ("ok ...", "value TEXT",
// "error: ..."), so that the Python test can check mail and chat between the steps.
//   node console_client.mjs BASE_URL OUT_DIR
// Commands: signin ADDRESS PASSWORD [TOTP] | expect_error CODE_TEXT | password CURRENT NEW |
// app_password LABEL PASSWORD | revoke LABEL | totp_start | totp_confirm CODE | totp_disable PASSWORD | signout |
// vacation MESSAGE | visit PAGE_ID | scripts | viewport W H | fits | french | shot NAME | quit
import { createRequire } from 'module';
import fs from 'fs';
import os from 'os';
import path from 'path';
import readline from 'readline';

const require = createRequire(process.env.HEARTH_NPM_DIR + '/node_modules/');
const { chromium } = require('playwright-core');

const [base, outDir] = process.argv.slice(2);
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--disable-background-networking', '--no-first-run'];
if (process.env.HOST_RULES) args.push(`--host-resolver-rules=${process.env.HOST_RULES}`);
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'console-profile-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args,
  viewport: { width: Number(process.env.VIEW_W || 1000), height: Number(process.env.VIEW_H || 800) },
});
const page = ctx.pages()[0] || await ctx.newPage();
const problems = [];
// Script errors and CSP refusals count; a 401 answer to the sign-in check is expected.
page.on('console', (m) => {
  if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(m.text().slice(0, 300));
});
page.on('pageerror', (e) => problems.push(String(e).slice(0, 300)));
page.setDefaultTimeout(15000);

const ready = (id) => page.waitForFunction((p) => document.body.dataset.ready === p, id);
async function visit(id) {
  await page.evaluate(() => { delete document.body.dataset.ready; });
  // A fresh load each time (the query differs), even when the page is already on this #id.
  await page.goto(`${base}/?v=${Date.now()}#/${id}`);
  await ready(id);
}
const msgText = async () => (await page.locator('.msg').first().textContent({ timeout: 5000 })).trim();

const commands = {
  async signin(address, password, totp) {
    await page.goto(base + '/');
    await ready('signin');
    await page.fill('#address', address);
    await page.fill('#password', password);
    await page.press('#password', 'Enter');
    if (totp) {
      await page.locator('#totp').waitFor({ state: 'visible' });
      await page.fill('#totp', totp);
      await page.press('#totp', 'Enter');
    }
    await page.waitForFunction(() => document.body.dataset.ready && document.body.dataset.ready !== 'signin');
    return 'ok ' + await page.textContent('#who');
  },
  // A sign-in that must fail: the message shown.
  async signin_refused(address, password) {
    await page.goto(base + '/');
    await ready('signin');
    await page.fill('#address', address);
    await page.fill('#password', password);
    await page.press('#password', 'Enter');
    return 'value ' + await msgText();
  },
  async password(current, fresh) {
    await visit('account');
    await page.fill('#current', current);
    await page.fill('#new', fresh);
    await page.click('#password-form button[type=submit]');
    return 'value ' + await msgText();
  },
  // The new app password shown, or "refused: MESSAGE".
  async app_password(label, current) {
    await visit('app-passwords');
    const before = problems.length;
    await page.fill('#label', label);
    await page.fill('#app-current', current);
    await page.press('#app-current', 'Enter');
    await page.locator('#new-app-password, .msg.error').first().waitFor();
    const made = await page.$('#new-app-password');
    if (made) return 'value ' + (await made.textContent()).trim();
    // The refusal (403) the browser logs is the answer looked for, not a problem.
    for (let i = problems.length - 1; i >= before; i--) if (/status of 403/.test(problems[i])) problems.splice(i, 1);
    return 'value refused: ' + await msgText();
  },
  async revoke(label) {
    await visit('app-passwords');
    await page.click(`button[data-label="${label}"]`);
    await page.waitForFunction((l) => !document.querySelector(`button[data-label="${l}"]`), label);
    return 'ok';
  },
  async totp_start() {
    await visit('security');
    await page.click('#totp-start');
    await page.locator('#totp-qr').waitFor();
    return 'value ' + (await page.textContent('#totp-secret')).trim();
  },
  async totp_confirm(code) {
    await page.fill('#code', code);
    await page.press('#code', 'Enter');
    await page.locator('#totp-state[data-enabled=yes]').waitFor();
    return 'ok';
  },
  // Turns two-step sign-in off, confirming with PASSWORD: "ok" once the page says it is off,
  // else the message the page shows.
  async totp_disable(password) {
    await visit('security');
    const before = problems.length;
    await page.fill('#totp-off-password', password);
    await page.press('#totp-off-password', 'Enter');
    const off = page.locator('#totp-state[data-enabled=no]');
    const err = page.locator('.msg.error');
    await Promise.race([off.waitFor(), err.waitFor()]);
    if (await off.count()) return 'ok';
    // The refusal (403) the browser logs is the answer this command looked for, not a problem.
    for (let i = problems.length - 1; i >= before; i--) if (/status of 403/.test(problems[i])) problems.splice(i, 1);
    return 'error: ' + (await err.first().textContent()).trim();
  },
  // Turns the vacation reply on with this message (one word) and adds a filter, then saves.
  async vacation(message) {
    await visit('rules');
    await page.check('#vacation');
    await page.fill('#message', message);
    await page.click('#add-filter');
    await page.fill('.filter input[name=contains]', 'invoice');
    await page.fill('.filter input[name=folder]', 'Bills');
    await page.click('#save-rules');
    return 'value ' + await msgText();
  },
  async signout() {
    await page.click('#sign-out');
    await ready('signin');
    return 'ok';
  },
  async visit(id) {
    await visit(id);
    return 'ok ' + await page.title();
  },
  // Resizes the window (a phone is 390 x 844); then answers whether the page fits its width.
  async viewport(w, h) {
    await page.setViewportSize({ width: Number(w), height: Number(h) });
    return 'ok';
  },
  async fits() {
    const [sw, iw] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    return sw <= iw ? 'ok' : `error: ${sw} px wide in a ${iw} px window`;
  },
  async shot(name) {
    await page.screenshot({ path: path.join(outDir, name + '.png'), fullPage: true });
    return 'ok';
  },
  // Whether the keyboard alone reaches the sign-in button (Tab order).
  async tab_to_submit() {
    await page.goto(base + '/');
    await ready('signin');
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      const tag = await page.evaluate(() => document.activeElement && document.activeElement.getAttribute('type'));
      if (tag === 'submit') return 'ok ' + i;
    }
    return 'error: the submit button is not reachable with Tab';
  },
  // From now on the browser says it prefers French; answers the sign-in page's heading.
  async french() {
    await page.addInitScript(() => Object.defineProperty(navigator, 'language', { get: () => 'fr-FR' }));
    await page.setExtraHTTPHeaders({ 'Accept-Language': 'fr-FR,fr;q=0.9' });
    await page.goto(`${base}/?lang=${Date.now()}`);
    await ready('signin');
    // How the strings came: "preloaded" when the shell named them (modulepreload) by the very
    // URL app.js imports, so that they were fetched once, beside app.js.
    const how = await page.evaluate(() => {
      const got = performance.getEntriesByType('resource').filter((e) => new URL(e.name).pathname === '/web/i18n/fr.js');
      const named = [...document.querySelectorAll('link[rel=modulepreload]')].map((l) => l.href);
      return got.length === 1 && named.includes(got[0].name) ? 'preloaded' : `fetched ${got.length}x, shell names ${named}`;
    });
    return 'value ' + (await page.textContent('h1')).trim() + ' | ' + await page.getAttribute('html', 'lang') + ' | ' + how;
  },
  // The scripts the current page loaded, from the network or the cache, by path.
  async scripts() {
    const paths = await page.evaluate(() => performance.getEntriesByType('resource')
      .map((e) => new URL(e.name).pathname).filter((p) => p.endsWith('.js')));
    return 'value ' + JSON.stringify(paths);
  },
  async problems() {
    return 'value ' + JSON.stringify(problems);
  },
};

const rl = readline.createInterface({ input: process.stdin });
for await (const line of rl) {
  const [cmd, ...rest] = line.trim().split(' ');
  if (cmd === 'quit') break;
  const f = commands[cmd];
  let out;
  try {
    out = f ? await f(...rest) : `error: unknown command ${cmd}`;
  } catch (e) {
    out = `error: ${e.message.split('\n')[0]}`;
    try { await page.screenshot({ path: path.join(outDir, `failure-${cmd}.png`) }); } catch (_) {}
  }
  console.log(out);
}
await ctx.close();
fs.rmSync(profile, { recursive: true, force: true });
