// mail/mailauth in `hearth serve`: SPF, DKIM, DMARC, Authentication-Results on the MX
// port; header hygiene and DKIM signing on submission. See app/serve_mail.hpp.
#include "app/serve_mail.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include "core/config/config.hpp"
#include "core/crypto/crypto.hpp"
#include "core/log/log.hpp"
#include "mail/mailauth/dmarc.hpp"
#include "mail/mailauth/filter.hpp"
#include "mail/mailauth/forwarding.hpp"
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
  fo.arc = c.mailauth_arc;
  fo.on_dmarc = checks.on_dmarc;
  if (fo.spf || fo.dkim || fo.dmarc || fo.arc) checks.auth.push_back(ma::make_filter(checks.resolver, psl, fo));

  ma::hygiene_options h;
  h.strip = c.mailauth_strip_headers;
  h.hostname = c.hostname;
  ma::signing_options s;
  s.sign = c.dkim_sign;
  s.selector = c.dkim_selector;
  checks.submission = std::make_shared<ma::outgoing_transform>(ctx.dir, std::move(h), std::move(s));
  log::info("mailauth.ready", {{"spf", fo.spf}, {"dkim_verify", fo.dkim}, {"dmarc", fo.dmarc}, {"arc", fo.arc},
                               {"dkim_sign", c.dkim_sign}});
  return true;
}

namespace {

// The SRS secret: made on first use (32 random bytes, base64, one line, mode 0600) and kept, so
// that bounces to addresses made before a restart still decode. Backups copy the data
// directory, and with it the secret.
result<std::string> srs_secret(const std::filesystem::path& file) {
  std::string line;
  if (std::ifstream in(file); in && std::getline(in, line) && !line.empty()) return line;
  const std::string made = crypto::base64_encode(crypto::random_bytes(32));
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    // Another process made it in the meantime: read that one.
    if (std::ifstream in(file); in && std::getline(in, line) && !line.empty()) return line;
    return fail("srs.secret", "cannot create " + file.string());
  }
  const std::string text = made + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return fail("srs.secret", "cannot write " + file.string());
  return made;
}

}  // namespace

std::shared_ptr<mail::smtp::forwarding> make_forwarding(serve_context& ctx) {
  const auto& c = ctx.cfg;
  mail::mailauth::forwarding_options o;
  o.srs = c.mailauth_srs;
  o.srs_domain = c.mailauth_srs_domain;
  o.srs_max_age_days = c.mailauth_srs_max_age;
  o.arc = c.mailauth_arc;
  o.hostname = c.hostname;
  o.dkim_selector = c.dkim_selector;
  if (o.srs) {
    auto secret = srs_secret(c.data_dir / "srs.secret");
    if (!secret) {
      log::error("srs.secret", {{"error", secret.error().message}, {"srs", "off"}});
      o.srs = false;
    } else {
      o.srs_secret = std::move(*secret);
    }
  }
  if (!o.srs && !o.arc) return nullptr;
  log::info("forwarding.ready", {{"srs", o.srs}, {"srs_domain", o.srs_domain.empty() ? "(primary)" : o.srs_domain},
                                 {"arc", o.arc}});
  return std::make_shared<mail::mailauth::forwarding_transform>(ctx.dir, std::move(o));
}

}  // namespace hearth::app
