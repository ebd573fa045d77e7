// Admin: DNS. For each domain, what DNS says now (each FAIL with its fix) beside the records
// to publish (the zone text to copy), like `hearth dns check` and `hearth dns zone`.
export default {
  id: 'admin-dns', nav: 'nav.admin_dns', title: 'adm.dns.title', admin: true, order: 63,
  async render(root, ctx) {
    const { api, h, t, say, errorText } = ctx;
    const out = h('div', { id: 'admin-dns-report', 'aria-live': 'polite' });
    const r = await api('GET', '/admin/domains');
    const pick = h('div', { class: 'choices' });
    root.append(h('h1', {}, t('adm.dns.title')), h('section', { class: 'card' }, h('p', { class: 'muted' }, t('adm.dns.hint')), pick), out);
    if (!r.ok) return say(out, errorText(r.error));

    async function show(name) {
      out.replaceChildren(h('p', { class: 'muted' }, t('adm.dns.asking')));
      const d = await api('GET', '/admin/dns/' + encodeURIComponent(name));
      if (!d.ok) return say(out, errorText(d.error));
      const s = d.data.summary;
      const zone = h('pre', { class: 'zone', id: 'admin-dns-zone' }, d.data.zone);
      out.replaceChildren(
        h('section', { class: 'card', 'data-domain': name },
          h('h2', {}, name),
          h('p', { id: 'admin-dns-summary', class: s.failures ? 'msg error' : 'msg ok' },
            `${s.ok} ${t('adm.dns.ok')}, ${s.warnings} ${t('adm.dns.warnings')}, ${s.failures} ${t('adm.dns.failures')}`),
          h('table', { id: 'admin-dns-checks' }, d.data.checks.map((c) => h('tr', { class: 'level-' + c.level },
            h('td', {}, h('span', { class: 'tag ' + c.level }, t('adm.dns.' + c.level))),
            h('td', {}, c.what, c.detail ? h('div', { class: 'muted' }, c.detail) : null),
            h('td', {}, c.fix))))),
        h('section', { class: 'card' },
          h('h2', {}, t('adm.dns.records')),
          h('button', { type: 'button', class: 'secondary', onclick: () => navigator.clipboard && navigator.clipboard.writeText(d.data.zone) }, t('adm.dns.copy')),
          zone,
          d.data.notes.length ? h('ul', {}, d.data.notes.map((n) => h('li', {}, n))) : null));
    }

    for (const d of r.data.domains)
      pick.append(h('button', { type: 'button', class: 'secondary', 'data-domain': d.name, onclick: () => show(d.name) }, d.display));
    if (r.data.domains.length) await show(r.data.domains[0].name);
  },
};
