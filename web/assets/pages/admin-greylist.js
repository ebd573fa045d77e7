// Admin: greylisting decisions (who waits for a retry, who passed) and the blocklists in use.
export default {
  id: 'admin-greylist', nav: 'nav.admin_greylist', title: 'adm.grey.title', admin: true, order: 65,
  async render(root, ctx) {
    const { api, h, t, say, errorText, when } = ctx;
    const box = h('div', { id: 'admin-greylist' });
    root.append(h('h1', {}, t('adm.grey.title')), box);
    const r = await api('GET', '/admin/greylist');
    if (!r.ok) return say(box, errorText(r.error));
    const d = r.data;
    box.replaceChildren(
      h('section', { class: 'card' },
        h('p', {}, d.enabled ? t('adm.grey.on') : t('adm.grey.off')),
        h('p', { class: 'muted' }, t('adm.grey.lists') + ' ' + [...d.blocklists.ip, ...d.blocklists.domain].join(', '))),
      h('section', { class: 'card' }, d.entries.length
        ? h('table', {}, h('tr', {}, h('th', {}, t('adm.when')), h('th', {}, t('adm.grey.client')), h('th', {}, t('adm.grey.mail')), h('th', {}, '')),
          d.entries.map((e) => h('tr', {}, h('td', {}, when(e.first_seen)), h('td', {}, e.network),
            h('td', {}, (e.sender || '<>') + ' → ' + e.rcpt),
            h('td', {}, h('span', { class: 'tag ' + (e.passed ? 'ok' : 'warn') }, e.passed ? t('adm.grey.passed') : t('adm.grey.waiting'))))))
        : h('p', {}, t('adm.grey.none'))));
  },
};
