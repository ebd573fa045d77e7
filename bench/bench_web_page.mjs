// Page load times of the web console in Debian's headless Chromium (playwright-core): signs in
// once, then loads each page ROUNDS times, cold (the browser cache disabled) and warm (the
// browser's cache as a returning user has it), on the browser's own clock from navigation
// start to the page shown with its API data (body[data-ready-ms], set by app.js after the
// frame that draws the page once the shell, the script and its API calls are done). Beside
// each load, the server's own time for the page's API calls (their Server-Timing "app"
// entries, the longest when a page makes several at once), the part spent drawing (from the
// page's DOM filled, body[data-built-ms], to drawn) and how many requests the load made.
// Prints one JSON line:
//   {"baseline": {p50, p95}, "pages": {ID: {cold: {p50, p95}, warm: {...}, server: {...}, draw: {...}, requests: {cold, warm}}}}
//   node bench_web_page.mjs BASE ADDRESS PASSWORD ROUNDS PAGE...
import { createRequire } from 'module';
import fs from 'fs';
import os from 'os';
import path from 'path';

const require = createRequire(process.env.HEARTH_NPM_DIR + '/node_modules/');
const { chromium } = require('playwright-core');
const [base, address, password, rounds, ...ids] = process.argv.slice(2);
const SETTLE = Number(process.env.BENCH_WEB_SETTLE_MS || 250);
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
  '--no-first-run'];
if (process.env.HOST_RULES) args.push(`--host-resolver-rules=${process.env.HOST_RULES}`);
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-web-'));
const ctx = await chromium.launchPersistentContext(profile, { executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args, ignoreHTTPSErrors: true });
const page = ctx.pages()[0] || await ctx.newPage();
const cdp = await ctx.newCDPSession(page);
// Network.setCacheDisabled takes effect only with the Network domain enabled: without it the
// "cold" loads were served from the cache too.
await cdp.send('Network.enable');
await page.goto(base + '/');
await page.waitForFunction(() => document.body.dataset.ready === 'signin');
await page.fill('#address', address);
await page.fill('#password', password);
await page.press('#password', 'Enter');
await page.waitForFunction(() => document.body.dataset.ready && document.body.dataset.ready !== 'signin');

const pct = (v, p) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(s.length * p))] : null;
};
const summary = (v) => ({ p50: pct(v, 0.5), p95: pct(v, 0.95) });
const out = { baseline: null, pages: {} };
// What the browser alone costs here: loading a tiny JSON file, no script.
{
  const times = [];
  for (let i = 0; i < Number(rounds); i++) {
    await page.goto(`${base}/web/pages.json?r=${i}`);
    times.push(await page.evaluate(() => performance.getEntriesByType('navigation')[0].responseEnd));
  }
  out.baseline = summary(times);
}
for (const id of ids) {
  const r = { server: [], draw: [], requests: {} };
  for (const cold of [true, false]) {
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: cold });
    // One load first, not counted: the warm runs then start from a filled cache.
    await page.goto(`${base}/?r=first#/${id}`);
    await page.waitForFunction((p) => document.body.dataset.ready === p, id);
    const times = [];
    for (let i = 0; i < Number(rounds); i++) {
      await page.goto(`${base}/?r=${i}#/${id}`);
      // Playwright's waiting runs in the page: its script is injected into each new document
      // (5-9 ms of compiling on the renderer's main thread here) and then polls every frame,
      // which delayed the very frame being measured. The page takes its own time, so the
      // harness first leaves it alone for SETTLE ms, then checks.
      await new Promise((done) => setTimeout(done, SETTLE));
      await page.waitForFunction((p) => document.body.dataset.ready === p, id);
      const m = await page.evaluate(() => {
        const res = performance.getEntriesByType('resource');
        const apiCalls = res.filter((e) => e.name.includes('/api/v1/'));
        const server = Math.max(0, ...apiCalls.map((e) => (e.serverTiming.find((s) => s.name === 'app') || { duration: 0 }).duration));
        // Requests that went to the server (a memory or disk cache hit has no transfer).
        const fetched = res.filter((e) => e.transferSize > 0 || e.name.includes('/api/v1/')).length + 1;
        const b = document.body.dataset;
        return { ready: Number(b.readyMs), draw: Number(b.readyMs) - Number(b.builtMs), server, fetched };
      });
      times.push(m.ready);
      r.server.push(m.server);
      r.draw.push(m.draw);
      r.requests[cold ? 'cold' : 'warm'] = m.fetched;
    }
    r[cold ? 'cold' : 'warm'] = summary(times);
  }
  r.server = summary(r.server);
  r.draw = summary(r.draw);
  out.pages[id] = r;
}
console.log(JSON.stringify(out));
await ctx.close();
fs.rmSync(profile, { recursive: true, force: true });
