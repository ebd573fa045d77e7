// Admin: the server: version, listeners, certificates and when they expire.
export default {
  id: 'admin-server', nav: 'nav.admin_server', title: 'adm.server.title', admin: true, order: 67,
  async render(root, ctx) {
    const { api, h, t, say, errorText, when } = ctx;
    const box = h('div', { id: 'admin-server' });
    root.append(h('h1', {}, t('adm.server.title')), box);
    const r = await api('GET', '/admin/status');
    if (!r.ok) return say(box, errorText(r.error));
    const s = r.data;
    const soon = (x) => x.not_after && x.not_after * 1000 - Date.now() < 14 * 86400 * 1000;
    box.replaceChildren(
      h('section', { class: 'card' }, h('p', {}, t('adm.server.version') + ' ' + s.version + ' · ' + s.hostname)),
      h('section', { class: 'card' }, h('h2', {}, t('adm.server.listeners')), h('table', {},
        s.listeners.map((l) => h('tr', {}, h('td', {}, l.service), h('td', {}, l.addresses.join(', ') + ' : ' + l.port), h('td', {}, l.tls))))),
      h('section', { class: 'card' }, h('h2', {}, t('adm.server.certificates')), h('table', {},
        s.certificates.map((c) => h('tr', { class: soon(c) ? 'level-fail' : '' }, h('td', {}, c.hosts.join(', ')),
          h('td', {}, c.subject || c.error || ''),
          h('td', {}, c.not_after ? t('adm.server.expires') + ' ' + when(c.not_after) : ''))))));
  },
};
