// Admin: accounts. Add one; per account: disable/enable, admin flag, new password, quota, delete.
export default {
  id: 'admin-accounts', nav: 'nav.admin_accounts', title: 'adm.accounts.title', admin: true, order: 60,
  async render(root, ctx) {
    const { api, h, t, say, errorText, bytes } = ctx;
    const msg = h('div', { 'aria-live': 'polite' });
    const list = h('div', { id: 'admin-account-list' });
    const path = (a) => '/admin/accounts/' + encodeURIComponent(a.address);
    const change = async (a, body, done) => {
      const r = await api('PATCH', path(a), body);
      if (!r.ok) return say(msg, errorText(r.error));
      say(msg, t(done), 'ok');
      refresh();
    };

    async function refresh() {
      const r = await api('GET', '/admin/accounts');
      if (!r.ok) return say(list, errorText(r.error));
      list.replaceChildren(h('table', {},
        h('tr', {}, h('th', {}, t('adm.address')), h('th', {}, t('adm.quota')), h('th', {}, '')),
        r.data.accounts.map((a) => {
          const pw = h('input', { type: 'password', autocomplete: 'new-password', 'aria-label': t('adm.new_password'), placeholder: t('adm.new_password') });
          const quota = h('input', { type: 'number', min: '0', 'aria-label': t('adm.quota_bytes'), placeholder: t('adm.quota_bytes') });
          return h('tr', { 'data-address': a.address },
            h('td', {}, a.address, a.admin ? h('span', { class: 'tag' }, t('adm.admin')) : null,
              a.disabled ? h('span', { class: 'tag bad' }, t('adm.disabled')) : null),
            h('td', {}, a.quota_bytes ? bytes(a.quota_bytes) : t('account.unlimited')),
            h('td', { class: 'actions' },
              h('button', { type: 'button', class: 'secondary', onclick: () => change(a, { disabled: !a.disabled }, 'adm.saved') },
                a.disabled ? t('adm.enable') : t('adm.disable')),
              h('button', { type: 'button', class: 'secondary', onclick: () => change(a, { admin: !a.admin }, 'adm.saved') },
                a.admin ? t('adm.admin_off') : t('adm.admin_on')),
              h('form', { class: 'inline', onsubmit: (ev) => { ev.preventDefault(); change(a, { password: pw.value }, 'adm.password_set'); } },
                pw, h('button', { type: 'submit', class: 'secondary' }, t('adm.set_password'))),
              h('form', { class: 'inline', onsubmit: (ev) => { ev.preventDefault(); change(a, { quota_bytes: Number(quota.value) }, 'adm.saved'); } },
                quota, h('button', { type: 'submit', class: 'secondary' }, t('adm.set_quota'))),
              h('button', { type: 'button', class: 'danger', onclick: async () => {
                if (!confirm(t('adm.confirm_delete') + ' ' + a.address)) return;
                const d = await api('DELETE', path(a));
                if (!d.ok) return say(msg, errorText(d.error));
                refresh();
              } }, t('adm.delete'))));
        })));
    }

    const form = h('form', { id: 'admin-account-form' },
      h('label', { for: 'new-address' }, t('adm.address')),
      h('input', { id: 'new-address', name: 'address', type: 'email', required: true, autocomplete: 'off' }),
      h('label', { for: 'new-password' }, t('adm.password')),
      h('input', { id: 'new-password', name: 'password', type: 'password', required: true, autocomplete: 'new-password' }),
      h('div', {}, h('button', { type: 'submit' }, t('adm.add_account'))));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const r = await api('POST', '/admin/accounts', { address: form.address.value.trim(), password: form.password.value });
      if (!r.ok) return say(msg, errorText(r.error));
      say(msg, t('adm.added') + ' ' + r.data.address, 'ok');
      form.reset();
      refresh();
    });
    root.append(h('h1', {}, t('adm.accounts.title')), h('section', { class: 'card' }, form, msg), h('section', { class: 'card' }, list));
    await refresh();
  },
};
