// Set up a device: what to type into each app, the Apple profile, QR codes for the apps that
// scan URIs (DAVx5, Conversations).
export default {
  id: 'devices', nav: 'nav.devices', order: 40,
  async render(root, { api, h, t, say, errorText }) {
    root.append(h('h1', {}, t('dev.title')), h('p', { class: 'muted' }, t('dev.hint')));
    const r = await api('GET', '/account/devices');
    if (!r.ok) return say(root, errorText(r.error));
    const d = r.data;
    const settings = (...rows) => h('dl', { class: 'settings' }, rows.flat());
    const row = (k, v) => [h('dt', {}, k), h('dd', {}, v)];
    const mail = settings(
      row(t('dev.user'), d.address),
      row(t('dev.password'), t('dev.password_value')),
      row(t('dev.imap'), `${d.hostname}, ${t('dev.port')} ${d.imaps_port}`),
      d.submission_port ? row(t('dev.smtp'), `${d.hostname}, ${t('dev.port')} ${d.submission_port}`) : [],
      d.submissions_port ? row(t('dev.smtps'), `${d.hostname}, ${t('dev.port')} ${d.submissions_port}`) : []);
    const card = (id, title, ...body) => h('section', { class: 'card', id }, h('h2', {}, title), body);
    root.append(
      card('dev-thunderbird', t('dev.thunderbird'), h('p', {}, t('dev.thunderbird_hint'))),
      card('dev-apple', t('dev.apple'), h('p', {}, t('dev.apple_hint')),
        h('a', { href: '/api/v1/account/apple.mobileconfig', download: 'hearth.mobileconfig', id: 'apple-download' }, t('dev.apple_download'))),
      card('dev-k9', t('dev.k9'), h('p', {}, t('dev.k9_hint')), mail),
      card('dev-davx5', t('dev.davx5'), h('p', {}, t('dev.davx5_hint')),
        h('img', { class: 'qr', src: d.davx5_qr, alt: d.davx5_uri }),
        settings(row(t('dev.dav_url'), d.dav_url), row(t('dev.user'), d.address))),
      card('dev-conversations', t('dev.conversations'), h('p', {}, t('dev.conversations_hint')),
        h('img', { class: 'qr', src: d.xmpp_qr, alt: d.xmpp_uri }),
        settings(row('XMPP', d.address), row(t('dev.server'), `${d.hostname}, ${t('dev.port')} ${d.xmpp_port}`))));
  },
};
