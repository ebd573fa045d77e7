// Admin: domains and their DKIM keys (the records to publish; new keys under a new selector).
export default {
  id: 'admin-domains', nav: 'nav.admin_domains', title: 'adm.domains.title', admin: true, order: 61,
  async render(root, ctx) {
    const { api, h, t, say, errorText, when } = ctx;
    const msg = h('div', { 'aria-live': 'polite' });
    const list = h('div', { id: 'admin-domain-list' });

    async function refresh() {
      const r = await api('GET', '/admin/domains');
      if (!r.ok) return say(list, errorText(r.error));
      const cards = [];
      for (const d of r.data.domains) {
        const k = await api('GET', '/admin/dkim/' + encodeURIComponent(d.name));
        const keys = k.ok ? k.data.keys : [];
        cards.push(h('section', { class: 'card', 'data-domain': d.name },
          h('h2', {}, d.display, ' ', h('span', { class: 'muted' }, d.accounts + ' ' + t('adm.n_accounts'))),
          h('h3', {}, t('adm.dkim')),
          keys.length ? h('table', {}, keys.map((x) => h('tr', {},
            h('td', {}, x.selector, h('br'), h('span', { class: 'muted' }, x.algorithm + ', ' + when(x.created))),
            h('td', {}, h('code', { class: 'record' }, x.record.name + '. TXT "' + x.record.value + '"')))))
            : h('p', { class: 'muted' }, t('adm.no_dkim')),
          h('button', { type: 'button', class: 'secondary', onclick: async () => {
            const g = await api('POST', '/admin/dkim/' + encodeURIComponent(d.name));
            if (!g.ok) return say(msg, errorText(g.error));
            say(msg, t('adm.dkim_added'), 'ok');
            refresh();
          } }, t('adm.dkim_new')),
          h('button', { type: 'button', class: 'danger', onclick: async () => {
            if (!confirm(t('adm.confirm_delete') + ' ' + d.name)) return;
            const x = await api('DELETE', '/admin/domains/' + encodeURIComponent(d.name));
            if (!x.ok) return say(msg, errorText(x.error));
            refresh();
          } }, t('adm.delete'))));
      }
      list.replaceChildren(...cards);
    }

    // Not form.name: that is the form's own name attribute.
    const input = h('input', { id: 'new-domain', name: 'domain', required: true, autocomplete: 'off' });
    const form = h('form', { id: 'admin-domain-form' },
      h('label', { for: 'new-domain' }, t('adm.domain')), input,
      h('div', {}, h('button', { type: 'submit' }, t('adm.add_domain'))));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const r = await api('POST', '/admin/domains', { name: input.value.trim() });
      if (!r.ok) return say(msg, errorText(r.error));
      say(msg, t('adm.added') + ' ' + r.data.domain.name + '. ' + t('adm.publish_hint'), 'ok');
      form.reset();
      refresh();
    });
    root.append(h('h1', {}, t('adm.domains.title')), h('section', { class: 'card' }, form, msg), list);
    await refresh();
  },
};
