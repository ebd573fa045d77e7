#include "app/dns_tlsa.hpp"

#include <fstream>

#include "core/util/strings.hpp"
#include "mail/queue/dane.hpp"

namespace hearth::app {

namespace {

std::string spki_of_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  // A PEM certificate chain or key is a few KB; more is not one.
  constexpr std::streamsize max_pem = 1 << 20;
  std::string buf(static_cast<std::size_t>(max_pem), '\0');
  in.read(buf.data(), max_pem);
  buf.resize(static_cast<std::size_t>(in.gcount()));
  return mail::queue::tlsa_spki_sha256_pem(buf);
}

}  // namespace

std::vector<std::string> our_tlsa(const config::config& c, std::vector<std::string>& notes) {
  std::vector<std::string> out;
  if (!c.zone_tlsa) return out;
  const config::certificate* cert = nullptr;
  for (const auto& k : c.certificates)
    for (const auto& h : k.hosts)
      if (!cert && util::iequals(h, c.hostname)) cert = &k;
  if (!cert && !c.certificates.empty()) cert = &c.certificates.front();
  if (!cert) {
    notes.push_back("zone.tlsa is on but no [[tls.certificate]] is configured: no TLSA record");
    return out;
  }
  const std::string cur = spki_of_file(cert->cert_file);
  if (cur.empty()) {
    notes.push_back("zone.tlsa: cannot read a certificate from " + cert->cert_file.string() + ": no TLSA record");
    return out;
  }
  out.push_back("3 1 1 " + cur);
  if (!c.zone_tlsa_next.empty()) {
    const std::string next = spki_of_file(c.zone_tlsa_next);
    if (next.empty())
      notes.push_back("zone.tlsa_next: cannot read a key or certificate from " + c.zone_tlsa_next.string());
    else if (next != cur)
      out.push_back("3 1 1 " + next);
  }
  return out;
}

}  // namespace hearth::app
