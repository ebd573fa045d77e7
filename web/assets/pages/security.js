// Two-step sign-in (TOTP): turn on with a QR code and a first code, or turn off.
export default {
  id: 'security', nav: 'nav.security', order: 30,
  async render(root, { api, h, t, say, errorText }) {
    const card = h('section', { class: 'card', id: 'totp' });
    root.append(h('h1', {}, t('totp.title')), card);
    const msg = h('div');

    async function refresh() {
      const r = await api('GET', '/account/totp');
      if (!r.ok) return say(card, errorText(r.error));
      if (r.data.enabled) {
        // Turning it off takes the password again (the server insists): a browser left signed
        // in is not enough.
        const off = h('form', { id: 'totp-disable-form' },
          h('label', { for: 'totp-off-password' }, t('totp.confirm_password')),
          h('input', { id: 'totp-off-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
          h('div', {}, h('button', { class: 'secondary', type: 'submit', id: 'totp-disable' }, t('totp.disable'))));
        off.addEventListener('submit', async (ev) => {
          ev.preventDefault();
          const d = await api('DELETE', '/account/totp', { password: off.password.value });
          off.password.value = '';
          if (!d.ok) return say(msg, errorText(d.error));
          refresh();
        });
        card.replaceChildren(msg, h('p', { id: 'totp-state', 'data-enabled': 'yes' }, t('totp.on')), off);
        return;
      }
      const on = h('button', { type: 'button', id: 'totp-start' }, t('totp.start'));
      on.addEventListener('click', begin);
      card.replaceChildren(msg, h('p', { id: 'totp-state', 'data-enabled': 'no' }, t('totp.off')), on);
    }

    async function begin() {
      const r = await api('POST', '/account/totp');
      if (!r.ok) return say(msg, errorText(r.error));
      const form = h('form', { id: 'totp-confirm' },
        h('label', { for: 'code' }, t('totp.code')),
        h('input', { id: 'code', name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '6', required: true }),
        h('div', {}, h('button', { type: 'submit' }, t('totp.confirm'))));
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const c = await api('POST', '/account/totp/confirm', { code: form.code.value.trim() });
        if (!c.ok) return say(msg, errorText(c.error));
        await refresh();
        say(msg, t('totp.enabled'), 'ok');
      });
      card.replaceChildren(msg, h('p', {}, t('totp.scan')),
        h('img', { class: 'qr', id: 'totp-qr', src: r.data.qr, alt: r.data.uri }),
        h('p', { class: 'secret', id: 'totp-secret' }, r.data.secret), form);
      form.code.focus();
    }
    await refresh();
  },
};
