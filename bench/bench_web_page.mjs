// Page load times of the web console in Debian's headless Chromium (playwright-core): signs in
// once, then loads each page ROUNDS times, cold (the browser cache disabled) and warm (ETag
// revalidation), on the browser's own clock from navigation start to the page shown with its
// API data (body[data-ready-ms], set by app.js once the shell, the page module and its API
// calls are done). The baseline is when a tiny file's answer has arrived. Prints one JSON line.
//   node bench_web_page.mjs BASE ADDRESS PASSWORD ROUNDS
import { createRequire } from 'module';
import fs from 'fs';
import os from 'os';
import path from 'path';

const require = createRequire(process.env.HEARTH_NPM_DIR + '/node_modules/');
const { chromium } = require('playwright-core');
const [base, address, password, rounds] = process.argv.slice(2);
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
  '--no-first-run'];
if (process.env.HOST_RULES) args.push(`--host-resolver-rules=${process.env.HOST_RULES}`);
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-web-'));
const ctx = await chromium.launchPersistentContext(profile, { executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args, ignoreHTTPSErrors: true });
const page = ctx.pages()[0] || await ctx.newPage();
const cdp = await ctx.newCDPSession(page);
await page.goto(base + '/');
await page.waitForFunction(() => document.body.dataset.ready === 'signin');
await page.fill('#address', address);
await page.fill('#password', password);
await page.press('#password', 'Enter');
await page.waitForFunction(() => document.body.dataset.ready && document.body.dataset.ready !== 'signin');
const out = {};
// What the browser alone costs here: loading a tiny JSON file, no script.
{
  const times = [];
  for (let i = 0; i < Number(rounds); i++) {
    await page.goto(`${base}/web/pages.json?r=${i}`);
    times.push(await page.evaluate(() => Math.round(performance.getEntriesByType('navigation')[0].responseEnd)));
  }
  times.sort((a, b) => a - b);
  out['baseline (a 60-byte file arrives)'] = { p50: times[Math.floor(times.length / 2)], max: times[times.length - 1] };
}
// Where the time of one page goes (resource timings of the last load).
for (const cold of [true, false]) {
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: cold });
  for (const id of ['account', 'app-passwords', 'security', 'devices']) {
    const times = [];
    for (let i = 0; i < Number(rounds); i++) {
      await page.goto(`${base}/?r=${i}#/${id}`);
      await page.waitForFunction((p) => document.body.dataset.ready === p, id);
      // The browser's own clock: navigation start to the page shown with its API data.
      times.push(Number(await page.evaluate(() => document.body.dataset.readyMs)));
    }
    times.sort((a, b) => a - b);
    out[`${cold ? 'cold' : 'warm'} ${id}`] = { p50: times[Math.floor(times.length / 2)], max: times[times.length - 1] };
  }
}
const entries = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => [e.name.replace(/^https:\/\/[^/]+/, ''), Math.round(e.startTime), Math.round(e.connectEnd - e.connectStart), Math.round(e.responseStart - e.requestStart), Math.round(e.duration)]));
console.error(JSON.stringify(entries));
console.log(JSON.stringify(out));
await ctx.close();
fs.rmSync(profile, { recursive: true, force: true });
