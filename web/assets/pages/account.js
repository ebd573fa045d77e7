// The account: address, storage used, password change, sign out everywhere, recent sign-ins.
export default {
  id: 'account', nav: 'nav.account', order: 10,
  async render(root, { api, h, t, say, errorText, when, bytes, signedOut }) {
    const [acc, logins] = await Promise.all([api('GET', '/account'), api('GET', '/account/logins')]);
    root.append(h('h1', {}, t('account.title')));
    if (!acc.ok) return say(root, errorText(acc.error));
    const a = acc.data;
    const used = a.used_bytes ?? 0;
    const storage = a.quota_bytes
      ? [h('div', { class: 'bar', role: 'img', 'aria-label': Math.round(100 * used / a.quota_bytes) + '%' },
          h('span', { 'data-pct': Math.min(100, Math.round(100 * used / a.quota_bytes)) })),
        h('span', {}, `${bytes(used)} ${t('account.of')} ${bytes(a.quota_bytes)}`)]
      : h('span', {}, `${bytes(used)} (${t('account.unlimited')})`);
    root.append(h('section', { class: 'card' }, h('dl', { class: 'settings' },
      h('dt', {}, t('account.address')), h('dd', { id: 'account-address' }, a.address),
      a.display_name ? [h('dt', {}, t('account.name')), h('dd', {}, a.display_name)] : null,
      h('dt', {}, t('account.storage')), h('dd', { id: 'account-storage' }, storage),
      a.spam_trained ? [h('dt', {}, t('account.spam')), h('dd', { id: 'account-spam' },
        t('account.spam_value').replace('{spam}', a.spam_trained.spam).replace('{ham}', a.spam_trained.ham))] : null)));
    // Inline styles are refused by the CSP: the bar's width is set from script.
    root.querySelectorAll('.bar > span').forEach((s) => { s.style.width = s.dataset.pct + '%'; });

    const msg = h('div');
    const form = h('form', { id: 'password-form' },
      h('input', { type: 'email', autocomplete: 'username', value: a.address, hidden: true, readonly: true }),
      h('label', { for: 'current' }, t('account.current')),
      h('input', { id: 'current', name: 'current', type: 'password', autocomplete: 'current-password', required: true }),
      h('label', { for: 'new' }, t('account.new')),
      h('input', { id: 'new', name: 'new', type: 'password', autocomplete: 'new-password', minlength: '10', required: true }),
      h('div', {}, h('button', { type: 'submit' }, t('account.change'))));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const r = await api('POST', '/account/password', { current: form.current.value, new: form.new.value });
      if (!r.ok) return say(msg, errorText(r.error));
      form.reset();
      say(msg, t('account.changed'), 'ok');
    });
    root.append(h('section', { class: 'card' }, h('h2', {}, t('account.password')), msg, form));

    const everywhere = h('button', { class: 'secondary', id: 'sign-out-everywhere', type: 'button' }, t('account.everywhere'));
    everywhere.addEventListener('click', async () => {
      const r = await api('DELETE', '/sessions');
      if (r.ok) signedOut();
    });
    root.append(h('section', { class: 'card' }, h('h2', {}, t('account.everywhere')), h('p', { class: 'muted' }, t('account.everywhere_hint')), everywhere));

    if (logins.ok) {
      const known = logins.data.addresses.map((l) => h('tr', {}, h('td', {}, l.ip), h('td', {}, when(l.first_seen)), h('td', {}, when(l.last_seen))));
      const events = logins.data.events.map((e) => h('tr', {}, h('td', {}, when(e.at)), h('td', {}, e.event), h('td', {}, e.proto), h('td', {}, e.ip)));
      root.append(h('section', { class: 'card', id: 'logins' }, h('h2', {}, t('account.logins')),
        h('h3', {}, t('account.known')),
        known.length ? h('table', {}, h('tr', {}, h('th', {}, 'IP'), h('th', {}, t('account.first')), h('th', {}, t('account.last'))), known) : h('p', {}, t('account.none')),
        h('h3', {}, t('account.failures')),
        events.length ? h('table', {}, events) : h('p', {}, t('account.none'))));
    }
  },
};
