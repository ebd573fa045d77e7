// Drives Converse.js (npm) in Debian's headless Chromium through playwright-core: loads the
// page PAGE_URL (which starts Converse with auto_login), waits until it is connected, opens a
// chat with PEER, types MESSAGE and presses Enter, then waits for a message from PEER whose
// text is REPLY. Prints one line per step ("connected", "sent", "received") for the test to
// follow; saves screenshots into OUT_DIR. Exit 0 when all steps happened.
//   node converse_client.mjs PAGE_URL PEER MESSAGE REPLY OUT_DIR
import { createRequire } from 'module';
import fs from 'fs';
import os from 'os';
import path from 'path';

const require = createRequire(process.env.HEARTH_NPM_DIR + '/node_modules/');
const { chromium } = require('playwright-core');

const [pageUrl, peer, message, reply, outDir] = process.argv.slice(2);
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--disable-background-networking', '--no-first-run'];
if (process.env.HOST_RULES) args.push(`--host-resolver-rules=${process.env.HOST_RULES}`);

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'converse-profile-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args,
  viewport: { width: 1200, height: 800 },
});
let ok = false;
const page = ctx.pages()[0] || await ctx.newPage();
page.on('console', m => console.log(`console ${m.type()}: ${m.text().slice(0, 300)}`));
page.on('pageerror', e => console.log(`pageerror: ${e}`));
try {
  await page.goto(pageUrl);
  await page.waitForFunction(() => window.hearth_connected === true, null, { timeout: 40000 });
  console.log('connected ' + await page.evaluate(() => window.hearth_transport));
  await page.screenshot({ path: path.join(outDir, 'connected.png') });
  await page.evaluate(async p => { await window.hearth_api.chats.open(p, {}, true); }, peer);
  const box = page.locator('converse-chat-textarea textarea, textarea.chat-textarea').first();
  await box.waitFor({ timeout: 15000 });
  await box.fill(message);
  await box.press('Enter');
  console.log('sent');
  await page.waitForFunction(r => [...document.querySelectorAll('.chat-msg__text')].some(e => e.textContent.includes(r)),
    reply, { timeout: 30000 });
  console.log('received');
  await page.screenshot({ path: path.join(outDir, 'conversation.png') });
  ok = true;
} catch (e) {
  console.log(`error: ${e.message.split('\n')[0]}`);
  try { await page.screenshot({ path: path.join(outDir, 'failure.png') }); } catch (_) {}
} finally {
  await ctx.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
