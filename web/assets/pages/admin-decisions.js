// Admin: what was decided about incoming mail (the MX port), newest first: blocklist hits,
// greylisting, the spam score and verdict, accepted or refused and the answer the sender got.
// One search box for an address (sender or recipient) or a client IP.
export default {
  id: 'admin-decisions', nav: 'nav.admin_decisions', title: 'adm.dec.title', admin: true, order: 65,
  async render(root, ctx) {
    const { api, h, t, say, errorText, when } = ctx;
    const list = h('div', { id: 'admin-decisions-list' });
    const q = h('input', { id: 'decisions-q', name: 'q', type: 'search', placeholder: t('adm.dec.search_hint'), 'aria-label': t('adm.dec.search_hint') });
    const form = h('form', { class: 'filter', id: 'admin-decisions-form', role: 'search' }, q, h('button', { type: 'submit' }, t('adm.dec.search')));
    const outcome = { accepted: 'ok', greylisted: 'warn', tempfail: 'warn', refused: 'fail' };

    async function load() {
      const r = await api('GET', '/admin/decisions?limit=100' + (q.value.trim() ? '&q=' + encodeURIComponent(q.value.trim()) : ''));
      if (!r.ok) return say(list, errorText(r.error));
      if (!r.data.kept) return list.replaceChildren(h('p', { class: 'muted' }, t('adm.dec.off')));
      if (!r.data.decisions.length) return list.replaceChildren(h('p', { id: 'admin-decisions-none' }, t('adm.dec.none')));
      list.replaceChildren(h('table', {},
        h('tr', {}, ['adm.when', 'adm.dec.client', 'adm.dec.mail', 'adm.dec.findings', 'adm.dec.outcome'].map((k) => h('th', {}, t(k)))),
        r.data.decisions.map((d) => h('tr', { 'data-seq': String(d.seq), 'data-outcome': d.outcome, 'data-ip': d.ip },
          h('td', {}, when(d.time)),
          h('td', {}, d.ip, h('div', { class: 'muted' }, d.helo)),
          h('td', {}, (d.from || '<>') + ' → ' + d.rcpts.join(', ')),
          h('td', { class: 'findings' },
            d.dnsbl ? h('div', { class: 'dnsbl' }, t('adm.dec.listed') + ' ' + d.dnsbl) : null,
            d.greylist ? h('div', {}, t('adm.dec.greylist') + ' ' + d.greylist) : null,
            d.spam || d.symbols ? h('div', { class: 'spam' }, t('adm.dec.score') + ' ' + d.score.toFixed(1) + (d.spam ? ' · ' + d.spam : ''),
              d.symbols ? h('div', { class: 'muted' }, d.symbols) : null) : null),
          h('td', {}, h('span', { class: 'tag ' + (outcome[d.outcome] || 'warn') }, t('adm.dec.' + d.outcome)),
            h('div', { class: 'muted reply' }, d.reply))))));
    }
    form.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
    root.append(h('h1', {}, t('adm.dec.title')), h('section', { class: 'card' }, form, list));
    await load();
  },
};
