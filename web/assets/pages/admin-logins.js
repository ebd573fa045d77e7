// Admin: failed logins and blocked addresses of every account, newest first.
export default {
  id: 'admin-logins', nav: 'nav.admin_logins', title: 'adm.logins.title', admin: true, order: 66,
  async render(root, ctx) {
    const { api, h, t, say, errorText, when } = ctx;
    const list = h('div', { id: 'admin-login-list' });
    root.append(h('h1', {}, t('adm.logins.title')), h('section', { class: 'card' }, h('p', { class: 'muted' }, t('adm.logins.hint')), list));
    const r = await api('GET', '/admin/auth-failures');
    if (!r.ok) return say(list, errorText(r.error));
    if (!r.data.events.length) return list.replaceChildren(h('p', {}, t('adm.logins.none')));
    list.replaceChildren(h('table', {},
      h('tr', {}, h('th', {}, t('adm.when')), h('th', {}, t('adm.address')), h('th', {}, 'IP'), h('th', {}, '')),
      r.data.events.map((e) => h('tr', {}, h('td', {}, when(e.at)), h('td', {}, e.address), h('td', {}, e.ip),
        h('td', {}, e.proto + ' · ' + t('adm.logins.' + e.event))))));
  },
};
