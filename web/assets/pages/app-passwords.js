// App passwords: create one per device (shown once), see when each was last used, revoke.
export default {
  id: 'app-passwords', nav: 'nav.app_passwords', order: 20,
  async render(root, ctx) {
    const { api, h, t, say, errorText, when, session } = ctx;
    const msg = h('div');
    const list = h('div', { id: 'app-password-list' });
    const created = h('div', { id: 'app-password-created', 'aria-live': 'polite' });

    async function refresh() {
      const r = await api('GET', '/account/app-passwords');
      if (!r.ok) return say(list, errorText(r.error));
      const rows = r.data.app_passwords.map((p) => {
        const revoke = h('button', { class: 'secondary', type: 'button', 'data-label': p.label }, t('apps.revoke'));
        revoke.addEventListener('click', async () => {
          const d = await api('DELETE', '/account/app-passwords/' + p.id);
          if (!d.ok) return say(msg, errorText(d.error));
          created.replaceChildren();
          refresh();
        });
        return h('tr', {}, h('td', {}, p.label), h('td', {}, when(p.created)),
          h('td', {}, p.last_used ? when(p.last_used) : t('apps.never')), h('td', {}, revoke));
      });
      list.replaceChildren(rows.length
        ? h('table', {}, h('tr', {}, h('th', {}, t('apps.name')), h('th', {}, t('apps.made')), h('th', {}, t('apps.used')), h('th', {}, '')), rows)
        : h('p', {}, t('apps.none')));
    }

    const form = h('form', { id: 'app-password-form' },
      h('label', { for: 'label' }, t('apps.label')),
      h('input', { id: 'label', name: 'label', maxlength: '64', required: true, autocomplete: 'off' }),
      // The account password again: a browser left signed in must not hand out a password
      // that opens the mailbox (the API checks it when sent; scripts may leave it out).
      h('input', { type: 'email', autocomplete: 'username', value: session.address, hidden: true, readonly: true }),
      h('label', { for: 'app-current' }, t('apps.current')),
      h('input', { id: 'app-current', name: 'current', type: 'password', autocomplete: 'current-password', required: true }),
      h('div', {}, h('button', { type: 'submit' }, t('apps.create'))));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const r = await api('POST', '/account/app-passwords', { label: form.label.value.trim(), current: form.current.value });
      if (!r.ok) return say(msg, errorText(r.error));
      msg.replaceChildren();
      form.reset();
      created.replaceChildren(h('div', { class: 'msg ok' }, t('apps.created')),
        h('p', { class: 'secret', id: 'new-app-password' }, r.data.password));
      refresh();
    });
    root.append(h('h1', {}, t('apps.title')),
      h('section', { class: 'card' }, h('p', { class: 'muted' }, t('apps.hint')), msg, form, created),
      h('section', { class: 'card' }, list));
    await refresh();
  },
};
