// Drives Roundcube (Debian's, served by roundcube_lib.py) in Debian's headless Chromium through
// playwright-core, the way a person would: signs in, then does each STEP given on the command
// line, printing "done STEP" after each one that Roundcube confirmed. Screenshots go to OUT_DIR.
//   node roundcube_client.mjs URL USER PASSWORD OUT_DIR STEP...
// Steps:
//   filter:NAME:SUBJECT_CONTAINS:FOLDER   Settings > Filters > Create: "Subject contains ... ->
//                                         Move message to FOLDER", Save
//   vacation:SUBJECT:TEXT                 Settings > Out of Office: on, subject, text, Save
//   junk:SUBJECT                          Mail: select the INBOX message with SUBJECT, press Spam
import { createRequire } from 'module';
import fs from 'fs';
import os from 'os';
import path from 'path';

const require = createRequire(process.env.HEARTH_NPM_DIR + '/node_modules/');
const { chromium } = require('playwright-core');

const [url, user, password, outDir, ...steps] = process.argv.slice(2);
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'roundcube-profile-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
    '--disable-background-networking', '--no-first-run'],
  viewport: { width: 1280, height: 900 },
});
const page = ctx.pages()[0] || await ctx.newPage();
page.on('pageerror', e => console.log(`pageerror: ${e}`));
let shot = 0;
const run = fs.readdirSync(outDir).filter(n => n.endsWith('.png')).length;
const snap = async name => page.screenshot({ path: path.join(outDir, `${String(run + ++shot).padStart(2, '0')}-${name}.png`) });

// Roundcube confirms a save with a toast ("Filter saved successfully." / "Successfully saved.")
// in the top window's message stack; an error shows there too.
async function confirmation() {
  const toast = page.locator('#messagestack div.confirmation, #messagestack div.error').first();
  await toast.waitFor({ timeout: 20000 });
  const cls = await toast.getAttribute('class');
  const text = (await toast.textContent()).trim();
  if (!cls.includes('confirmation')) throw new Error(`Roundcube said: ${text}`);
  return text;
}

let rc = 1;
try {
  await page.goto(url);
  await page.fill('#rcmloginuser', user);
  await page.fill('#rcmloginpwd', password);
  await page.click('#rcmloginsubmit');
  await page.waitForSelector('#messagelist', { timeout: 30000, state: 'attached' });
  console.log('done login');
  await snap('mail');
  for (const step of steps) {
    const [kind, ...a] = step.split(':');
    if (kind === 'filter') {
      const [name, contains, folder] = a;
      await page.goto(url + '?_task=settings&_action=plugin.managesieve');
      await page.waitForSelector('#filterslist', { state: 'attached' });
      await page.click('a.create');
      const frame = page.frameLocator('#filter-box');
      await frame.locator('#_name').fill(name);
      await frame.locator('#header0').selectOption('subject');
      await frame.locator('#rule_op0').selectOption('contains');
      // The target is a list of values: the visible inputs are named _rule_target[0][].
      await frame.locator('input[name="_rule_target[0][]"]').first().fill(contains);
      await frame.locator('#action_type0').selectOption('fileinto');
      await frame.locator('#action_mailbox0').selectOption(folder);
      await snap('filter-form');
      await frame.locator('button.submit').click();
      console.log(`confirmed ${await confirmation()}`);
      await page.locator('#filterslist').getByText(name).waitFor({ timeout: 10000 });
      await snap('filters');
    } else if (kind === 'vacation') {
      const [subject, text] = a;
      await page.goto(url + '?_task=settings&_action=plugin.managesieve-vacation');
      await page.locator('#vacation_reason').waitFor();
      await page.fill('#vacation_subject', subject);
      await page.fill('#vacation_reason', text);
      await page.selectOption('#vacation_status', 'on');
      await snap('vacation-form');
      await page.locator('button.submit').click();
      console.log(`confirmed ${await confirmation()}`);
      await snap('vacation-saved');
    } else if (kind === 'junk') {
      const [subject] = a;
      await page.goto(url + '?_task=mail&_mbox=INBOX');
      const row = page.locator('#messagelist tr').filter({ hasText: subject }).first();
      await row.waitFor({ timeout: 20000 });
      await row.click();
      // Roundcube ignores commands while it is busy (loading the preview of the selection).
      await page.waitForFunction(() => window.rcmail && !rcmail.busy && rcmail.message_list.get_selection().length === 1,
        null, { timeout: 20000 });
      await snap('junk-selected');
      // The toolbar's Junk button (markasjunk) is enabled once the selection is known.
      const button = page.locator('a.button.junk[aria-disabled="false"]');
      await button.waitFor({ timeout: 10000 });
      // While the preview is still loading, Roundcube may drop the click: press again, a bounded
      // number of times, until the markasjunk request goes out.
      let sent = false;
      for (let i = 0; i < 5 && !sent; ++i) {
        const req = page.waitForRequest(r => r.url().includes('plugin.markasjunk.junk'), { timeout: 4000 });
        await button.click();
        sent = await req.then(() => true, () => false);
      }
      if (!sent) throw new Error('the Junk button sent nothing');
      await page.waitForResponse(r => r.url().includes('_action=move') && r.ok(), { timeout: 20000 });
      await page.waitForFunction(() => !rcmail.busy, null, { timeout: 20000 });
      await snap('junk-moved');
    } else {
      throw new Error(`unknown step ${step}`);
    }
    console.log(`done ${kind}`);
  }
  rc = 0;
} catch (e) {
  console.log(`error: ${e.message.split('\n')[0]}`);
  await snap('error').catch(() => {});
} finally {
  await ctx.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(rc);
