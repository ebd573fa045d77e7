// mail/mailauth in `hearth serve` (issue 8): SPF, DKIM, DMARC, Authentication-Results on the MX
// port; header hygiene and DKIM signing on submission. See app/serve_mail.hpp.
#include "app/serve_mail.hpp"
#include "core/config/config.hpp"
#include "core/log/log.hpp"
#include "mail/mailauth/dmarc.hpp"
#include "mail/mailauth/filter.hpp"
#include "mail/mailauth/hygiene.hpp"

namespace hearth::app {

std::shared_ptr<const mail::mailauth::public_suffix_list> public_suffixes(serve_context& ctx, mail_checks& checks) {
  if (checks.psl_read) return checks.psl;
  checks.psl_read = true;
  const auto& c = ctx.cfg;
  auto l = mail::mailauth::public_suffix_list::load(c.mailauth_public_suffix_list.string());
  if (l) {
    checks.psl = *l;
  } else {
    // Without the list the organizational domain cannot be found: DMARC stays off (loudly)
    // rather than align too widely or narrowly, URIBLs are asked the last two labels; the rest
    // of the server runs.
    log::error("mailauth.psl", {{"file", c.mailauth_public_suffix_list.string()}, {"error", l.error().message},
                                {"dmarc", "off"},
                                {"fix", "install the Debian package publicsuffix or set mailauth.public_suffix_list"}});
  }
  return checks.psl;
}

bool install_mailauth(serve_context& ctx, mail_checks& checks) {
  const auto& c = ctx.cfg;
  namespace ma = mail::mailauth;
  std::shared_ptr<const ma::public_suffix_list> psl;
  if (c.mailauth_dmarc) psl = public_suffixes(ctx, checks);
  ma::filter_options fo;
  fo.spf = c.mailauth_spf;
  fo.dkim = c.mailauth_dkim_verify;
  fo.dmarc = c.mailauth_dmarc && psl;
  fo.on_dmarc = checks.on_dmarc;
  if (fo.spf || fo.dkim || fo.dmarc) checks.auth.push_back(ma::make_filter(checks.resolver, psl, fo));

  ma::hygiene_options h;
  h.strip = c.mailauth_strip_headers;
  h.hostname = c.hostname;
  ma::signing_options s;
  s.sign = c.dkim_sign;
  s.selector = c.dkim_selector;
  checks.submission = std::make_shared<ma::outgoing_transform>(ctx.dir, std::move(h), std::move(s));
  log::info("mailauth.ready", {{"spf", fo.spf}, {"dkim_verify", fo.dkim}, {"dmarc", fo.dmarc}, {"dkim_sign", c.dkim_sign}});
  return true;
}

}  // namespace hearth::app
