// Sign-in: address and password, and the second factor's code when the account has one.
export default {
  id: 'signin', title: 'signin.title', public: true, order: 0,
  async render(root, { api, h, t, say, errorText, signedIn }) {
    const box = h('div', { id: 'signin-msg' });
    const totp = h('div', { hidden: true }, h('label', { for: 'totp' }, t('signin.totp')),
      h('input', { id: 'totp', name: 'totp', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: '6' }));
    const form = h('form', { id: 'signin-form' },
      h('label', { for: 'address' }, t('signin.address')),
      h('input', { id: 'address', name: 'address', type: 'email', autocomplete: 'username', required: true }),
      h('label', { for: 'password' }, t('signin.password')),
      h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
      totp,
      h('div', {}, h('button', { type: 'submit' }, t('signin.submit'))),
      h('p', { class: 'muted' }, t('signin.hint')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const body = { address: form.address.value.trim(), password: form.password.value };
      if (!totp.hidden && form.totp.value) body.totp = form.totp.value.trim();
      const r = await api('POST', '/session', body);
      if (r.ok) return signedIn(r.data);
      if (r.error.code === 'totp_required') {
        totp.hidden = false;
        form.totp.focus();
      }
      say(box, errorText(r.error));
    });
    root.append(h('h1', {}, t('signin.title')), h('section', { class: 'card' }, box, form));
    form.address.focus();
  },
};
