// Admin: the outbound queue, each recipient's last remote reply; retry now, bounce, delete.
export default {
  id: 'admin-queue', nav: 'nav.admin_queue', title: 'adm.queue.title', admin: true, order: 64,
  async render(root, ctx) {
    const { api, h, t, say, errorText, when, bytes } = ctx;
    const msg = h('div', { 'aria-live': 'polite' });
    const list = h('div', { id: 'admin-queue-list' });
    const act = async (method, path, done) => {
      const r = await api(method, path);
      if (!r.ok) return say(msg, errorText(r.error));
      say(msg, t(done), 'ok');
      refresh();
    };

    async function refresh() {
      const r = await api('GET', '/admin/queue');
      if (!r.ok) return say(list, errorText(r.error));
      if (!r.data.messages.length) return list.replaceChildren(h('p', { class: 'muted', id: 'admin-queue-empty' }, t('adm.queue.empty')));
      list.replaceChildren(...r.data.messages.map((m) => h('section', { class: 'card', 'data-id': m.id },
        h('h2', {}, m.id),
        h('p', { class: 'muted' }, (m.from ? '<' + m.from + '>' : t('adm.queue.null_sender')) + ' · ' + bytes(m.size) + ' · ' + when(m.created)),
        h('table', {}, m.recipients.map((x) => h('tr', {},
          h('td', {}, x.address),
          h('td', { class: 'attempts' }, x.attempts + ' ' + t('adm.queue.attempts'), h('br'), h('span', { class: 'muted' }, t('adm.queue.next') + ' ' + when(x.next_attempt))),
          h('td', { class: 'reply' }, x.last_reply || '—', x.relay ? h('div', { class: 'muted' }, x.relay) : null)))),
        h('button', { type: 'button', class: 'retry', onclick: () => act('POST', '/admin/queue/' + m.id + '/retry', 'adm.queue.retried') }, t('adm.queue.retry')),
        h('button', { type: 'button', class: 'secondary', onclick: () => act('POST', '/admin/queue/' + m.id + '/bounce', 'adm.queue.bounced') }, t('adm.queue.bounce')),
        h('button', { type: 'button', class: 'danger', onclick: () => confirm(t('adm.confirm_delete') + ' ' + m.id) && act('DELETE', '/admin/queue/' + m.id, 'adm.queue.deleted') }, t('adm.delete')))));
    }

    root.append(h('h1', {}, t('adm.queue.title')), msg,
      h('button', { type: 'button', class: 'secondary', onclick: () => refresh() }, t('adm.refresh')), list);
    await refresh();
  },
};
