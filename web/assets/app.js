// The page shell: signs in, builds the navigation from the pages, and shows the page named by
// the URL's #/id.
// Pages use only the JSON API (api()). Strings come from i18n/ through t().
// The build puts this file, the English strings and every page into one script (see
// cmake/bundle_web_app.cmake): '/web/pages.js' stands for the list of every pages/*.js, and
// each import becomes the imported file's default export, so a page is shown after one script
// with no further module to fetch and link.
import en from '/web/i18n/en.js';
import pages from '/web/pages.js';

let strings = en;
export const t = (key) => strings[key] ?? en[key] ?? key;

const state = { session: null, pages: pages.filter(Boolean).sort((a, b) => (a.order ?? 100) - (b.order ?? 100)) };

// name under web/assets/ -> its versioned URL (cached by the browser for good), from the shell:
// the strings of other languages are loaded only when the browser asks for them.
const metaAssets = document.querySelector('meta[name="hearth-assets"]');
const assets = metaAssets ? JSON.parse(metaAssets.content) : null;
const assetUrl = (name) => (assets && assets[name]) || '/web/' + name;

// One call of the API: {ok, status, data} or {ok:false, status, error:{code,message}}.
export async function api(method, path, body) {
  const opt = { method, headers: {}, credentials: 'same-origin' };
  if (body !== undefined) {
    opt.headers['Content-Type'] = 'application/json';
    opt.body = JSON.stringify(body);
  }
  if (method !== 'GET' && state.session) opt.headers['X-CSRF-Token'] = state.session.csrf;
  let r;
  try {
    r = await fetch('/api/v1' + path, opt);
  } catch (e) {
    return { ok: false, status: 0, error: { code: 'network', message: t('error.network') } };
  }
  const data = r.status === 204 ? null : await r.json().catch(() => null);
  if (!r.ok) return { ok: false, status: r.status, error: (data && data.error) || { code: 'internal', message: String(r.status) } };
  return { ok: true, status: r.status, data };
}

// Builds an element: h('button', {type: 'submit', onclick: f}, 'text', child...). Text is
// always set as text, never parsed as HTML.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}

// A message for the user in `box` (an element), as an error or a confirmation.
export function say(box, text, kind = 'error') {
  box.replaceChildren(h('div', { class: 'msg ' + kind, role: kind === 'error' ? 'alert' : 'status' }, text));
}

// The text for an API error: its code's string when we have one, else the server's message.
export const errorText = (e) => (strings['error.' + e.code] ?? en['error.' + e.code] ?? e.message);

export function when(unix) {
  return unix ? new Date(unix * 1000).toLocaleString() : '—';
}

export function bytes(n) {
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : n) + ' ' + u[i];
}

const main = () => document.getElementById('main');

function visiblePages() {
  return state.pages.filter((p) => p.nav && !p.public && (!p.admin || (state.session && state.session.admin)));
}

function renderNav(current) {
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  if (!state.session) {
    nav.replaceChildren();
    who.textContent = '';
    return;
  }
  const items = visiblePages().map((p) =>
    h('li', {}, h('a', { href: '#/' + p.id, 'aria-current': p.id === current ? 'page' : null }, t(p.nav))));
  items.push(h('li', {}, h('a', { href: '#/', id: 'sign-out', onclick: signOut }, t('nav.sign_out'))));
  nav.replaceChildren(h('ul', {}, items));
  who.textContent = state.session.address;
}

async function signOut(ev) {
  ev.preventDefault();
  await api('DELETE', '/session');
  state.session = null;
  location.hash = '#/signin';
}

export function signedIn(session) {
  state.session = session;
  location.hash = '#/' + (visiblePages()[0] || { id: 'account' }).id;
}

export function signedOut() {
  state.session = null;
  location.hash = '#/signin';
}

async function show() {
  const id = (location.hash.match(/^#\/([\w-]+)/) || [])[1];
  let page = state.pages.find((p) => p.id === id);
  if (!state.session || !page || page.public) page = state.session ? visiblePages()[0] : state.pages.find((p) => p.id === 'signin');
  if (!page) return;
  if (page.admin && !(state.session && state.session.admin)) page = visiblePages()[0];
  renderNav(page.id);
  document.title = t(page.title || page.nav || 'app.name') + ' — ' + t('app.name');
  const root = h('div', { 'data-page': page.id });
  main().replaceChildren(root);
  await page.render(root, { api, h, t, say, errorText, when, bytes, session: state.session, signedIn, signedOut });
  // Keyboard users start in the page, unless the page put the focus on a field itself.
  if (!root.contains(document.activeElement)) main().focus({ preventScroll: true });
  // For tests and the benchmark: which page is shown, and when (ms since navigation start).
  // Usable means drawn: the time is taken after the next frame (requestAnimationFrame runs
  // just before style, layout and paint; a task queued from it runs after them), so it counts
  // the browser's drawing too. A hidden tab draws no frames: there, when the DOM is filled.
  document.body.dataset.builtMs = String(Math.round(performance.now()));
  if (document.visibilityState === 'visible') await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
  if (!root.isConnected) return;  // another page was asked for meanwhile
  document.body.dataset.readyMs = String(Math.round(performance.now()));
  document.body.dataset.ready = page.id;
}

async function start() {
  const lang = (navigator.language || 'en').slice(0, 2);
  if (lang !== 'en') {
    try { strings = (await import(assetUrl('i18n/' + lang + '.js'))).default; } catch (e) { strings = en; }
  }
  document.documentElement.lang = strings === en ? 'en' : lang;
  // The shell says who is signed in (the same answer as GET /api/v1/session): no round trip.
  const meta = document.querySelector('meta[name="hearth-session"]');
  if (meta) state.session = meta.content ? JSON.parse(meta.content) : null;
  else {
    const s = await api('GET', '/session');
    state.session = s.ok ? s.data : null;
  }
  window.addEventListener('hashchange', show);
  await show();
}

start();
