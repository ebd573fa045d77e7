// Admin: aliases and catch-alls ("@domain").
export default {
  id: 'admin-aliases', nav: 'nav.admin_aliases', title: 'adm.aliases.title', admin: true, order: 62,
  async render(root, ctx) {
    const { api, h, t, say, errorText } = ctx;
    const msg = h('div', { 'aria-live': 'polite' });
    const list = h('div', { id: 'admin-alias-list' });

    async function refresh() {
      const r = await api('GET', '/admin/aliases');
      if (!r.ok) return say(list, errorText(r.error));
      list.replaceChildren(h('table', {},
        h('tr', {}, h('th', {}, t('adm.source')), h('th', {}, t('adm.targets')), h('th', {}, '')),
        r.data.aliases.map((a) => h('tr', { 'data-source': a.source },
          h('td', {}, a.source, a.catch_all ? h('span', { class: 'tag' }, t('adm.catch_all')) : null),
          h('td', {}, a.targets.join(', ')),
          h('td', {}, h('button', { type: 'button', class: 'danger', onclick: async () => {
            if (!confirm(t('adm.confirm_delete') + ' ' + a.source)) return;
            const d = await api('DELETE', '/admin/aliases/' + encodeURIComponent(a.source));
            if (!d.ok) return say(msg, errorText(d.error));
            refresh();
          } }, t('adm.delete')))))));
    }

    const form = h('form', { id: 'admin-alias-form' },
      h('label', { for: 'alias-source' }, t('adm.source_hint')),
      h('input', { id: 'alias-source', name: 'source', required: true, autocomplete: 'off' }),
      h('label', { for: 'alias-targets' }, t('adm.targets_hint')),
      h('input', { id: 'alias-targets', name: 'targets', required: true, autocomplete: 'off' }),
      h('div', {}, h('button', { type: 'submit' }, t('adm.add_alias'))));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const targets = form.targets.value.split(',').map((s) => s.trim()).filter(Boolean);
      const r = await api('POST', '/admin/aliases', { source: form.source.value.trim(), targets });
      if (!r.ok) return say(msg, errorText(r.error));
      say(msg, t('adm.added') + ' ' + r.data.source, 'ok');
      form.reset();
      refresh();
    });
    root.append(h('h1', {}, t('adm.aliases.title')), h('section', { class: 'card' }, form, msg), h('section', { class: 'card' }, list));
    await refresh();
  },
};
