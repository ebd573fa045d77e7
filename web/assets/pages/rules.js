// The vacation reply and simple filters, stored as the account's Sieve script.
export default {
  id: 'rules', nav: 'nav.rules', order: 35,
  async render(root, { api, h, t, say, errorText }) {
    root.append(h('h1', {}, t('rules.title')));
    const r = await api('GET', '/account/sieve');
    if (!r.ok) return say(root, errorText(r.error));
    if (!r.data.available) return root.append(h('p', {}, t('rules.unavailable')));
    const f = r.data.form;
    const msg = h('div');
    const other = r.data.other_script;
    const rows = h('div', { id: 'filters' });
    const field = (sel) => h('select', { name: 'field', 'aria-label': t('rules.field') },
      ['from', 'to', 'subject'].map((v) => h('option', { value: v, selected: v === sel }, t(v === 'subject' ? 'rules.subject_field' : 'rules.' + v))));
    function addRow(x = { field: 'from', contains: '', folder: '' }) {
      const remove = h('button', { type: 'button', class: 'secondary' }, t('rules.remove'));
      const row = h('div', { class: 'filter' }, field(x.field),
        h('input', { name: 'contains', value: x.contains, 'aria-label': t('rules.contains'), placeholder: t('rules.contains'), required: true }),
        h('input', { name: 'folder', value: x.folder, 'aria-label': t('rules.folder'), placeholder: t('rules.folder'), required: true }),
        remove);
      remove.addEventListener('click', () => row.remove());
      rows.append(row);
    }
    f.filters.forEach(addRow);
    const add = h('button', { type: 'button', class: 'secondary', id: 'add-filter' }, t('rules.add'));
    add.addEventListener('click', () => addRow());
    const form = h('form', { id: 'rules-form' },
      h('section', { class: 'card' }, h('h2', {}, t('rules.vacation')),
        h('label', {}, h('input', { type: 'checkbox', name: 'vacation', id: 'vacation', checked: f.vacation }), ' ', t('rules.vacation_on')),
        h('label', { for: 'subject' }, t('rules.subject')),
        h('input', { id: 'subject', name: 'subject', value: f.subject, maxlength: '200' }),
        h('label', { for: 'message' }, t('rules.message')),
        h('textarea', { id: 'message', name: 'message', rows: '5', maxlength: '4000' }, f.message),
        h('label', { for: 'days' }, t('rules.days')),
        h('input', { id: 'days', name: 'days', type: 'number', min: '1', max: '30', value: String(f.days) })),
      h('section', { class: 'card' }, h('h2', {}, t('rules.filters')), h('p', { class: 'muted' }, t('rules.filters_hint')), rows, add),
      h('div', {}, h('button', { type: 'submit', id: 'save-rules' }, t('rules.save'))));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const filters = [...rows.querySelectorAll('.filter')].map((row) => ({
        field: row.querySelector('[name=field]').value,
        contains: row.querySelector('[name=contains]').value.trim(),
        folder: row.querySelector('[name=folder]').value.trim(),
      }));
      const body = { vacation: form.vacation.checked, subject: form.subject.value, message: form.message.value,
        days: Number(form.days.value) || 1, filters, replace: true };
      const s = await api('PUT', '/account/sieve', body);
      if (!s.ok) return say(msg, errorText(s.error));
      say(msg, t('rules.saved'), 'ok');
    });
    if (other) root.append(h('p', { class: 'msg error' }, t('rules.other').replace('{name}', other)));
    root.append(msg, form);
  },
};
