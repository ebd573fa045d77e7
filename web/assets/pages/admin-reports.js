// Admin: the DMARC and TLS-RPT reports other servers sent about our domains: per domain and
// day how much mail they saw and how much failed, the sending IPs to act on (a service sending
// for us without our DKIM key, a spoofer), and the TLS failures senders met at our MX.
export default {
  id: 'admin-reports', nav: 'nav.admin_reports', title: 'adm.rep.title', admin: true, order: 67,
  async render(root, ctx) {
    const { api, h, t, say, errorText } = ctx;
    const box = h('div', { id: 'admin-reports' });
    root.append(h('h1', {}, t('adm.rep.title')), box);
    const r = await api('GET', '/admin/reports');
    if (!r.ok) return say(box, errorText(r.error));
    const { dmarc, tls } = r.data;
    const th = (...keys) => h('tr', {}, keys.map((k) => h('th', {}, t(k))));
    const num = (n) => h('td', { class: 'num' }, String(n));
    const tag = (cls, key) => h('span', { class: 'tag ' + cls }, t(key));
    const verdict = { ok: ['ok', 'adm.rep.v_ok'], forgotten: ['warn', 'adm.rep.v_forgotten'], spoofing: ['fail', 'adm.rep.v_spoofing'] };

    const problems = dmarc.sources.filter((s) => s.verdict !== 'ok');
    box.replaceChildren(
      h('section', { class: 'card', id: 'admin-reports-dmarc' },
        h('h2', {}, t('adm.rep.dmarc') + ' (' + dmarc.reports + ')'),
        dmarc.days.length
          ? h('table', { class: 'days' }, th('adm.rep.day', 'adm.rep.domain', 'adm.rep.messages', 'adm.rep.pass', 'adm.rep.fail', 'adm.rep.by'),
            dmarc.days.map((d) => h('tr', { 'data-domain': d.domain, 'data-day': d.day },
              h('td', {}, d.day), h('td', {}, d.domain), num(d.messages), num(d.dmarc_pass),
              h('td', { class: 'num fail' }, String(d.dmarc_fail), d.dmarc_fail ? tag('fail', 'adm.rep.fail') : null),
              h('td', { class: 'muted' }, d.reporters.join(', ')))))
          : h('p', { class: 'muted' }, t('adm.rep.none'))),
      h('section', { class: 'card', id: 'admin-reports-sources' },
        h('h2', {}, t('adm.rep.sources')),
        h('p', { class: 'muted' }, t('adm.rep.sources_hint')),
        problems.length
          ? h('table', {}, th('adm.rep.source', 'adm.rep.domain', 'adm.rep.messages', 'adm.rep.dkim', 'adm.rep.spf', 'adm.rep.verdict'),
            problems.map((s) => h('tr', { 'data-ip': s.source_ip, 'data-verdict': s.verdict },
              h('td', {}, s.source_ip), h('td', {}, s.domain), num(s.messages), num(s.dkim_pass), num(s.spf_pass),
              h('td', {}, tag(...verdict[s.verdict] || ['fail', 'adm.rep.fail']),
                h('div', { class: 'muted' }, t(s.verdict === 'spoofing' ? 'adm.rep.fix_spoofing' : 'adm.rep.fix_forgotten'))))))
          : h('p', {}, t('adm.rep.no_problem'))),
      h('section', { class: 'card', id: 'admin-reports-tls' },
        h('h2', {}, t('adm.rep.tls') + ' (' + tls.reports + ')'),
        tls.days.length
          ? h('table', {}, th('adm.rep.day', 'adm.rep.domain', 'adm.rep.tls_ok', 'adm.rep.tls_fail', 'adm.rep.by'),
            tls.days.flatMap((d) => [
              h('tr', { 'data-domain': d.domain, 'data-day': d.day },
                h('td', {}, d.day), h('td', {}, d.domain), num(d.success), h('td', { class: 'num fail' }, String(d.failure)),
                h('td', { class: 'muted' }, d.reporters.join(', '))),
              ...d.failures.map((f) => h('tr', { class: 'level-fail tls-failure' },
                h('td', { colspan: '5' }, tag('fail', 'adm.rep.fail'), ' ' + f.count + ' × ' + (f.result_type || '?') +
                  (f.receiving_mx ? ' — ' + f.receiving_mx : '') + (f.receiving_ip ? ' [' + f.receiving_ip + ']' : '') +
                  (f.sending_ip ? ' ← ' + f.sending_ip : ''))))]))
          : h('p', { class: 'muted' }, t('adm.rep.none'))));
  },
};
