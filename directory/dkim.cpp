#include "core/log/log.hpp"
#include "core/util/strings.hpp"
#include "directory/sqlite_directory.hpp"

namespace hearth::directory {

namespace {

// RFC 6376 §3.1: selector = sub-domain *( "." sub-domain ); kept to LDH labels (and '_',
// seen in the wild) so that "<selector>._domainkey.<domain>" is a valid DNS name.
std::optional<std::string> normalize_selector(std::string_view s) {
  if (s.empty() || s.size() > 63) return std::nullopt;
  std::string out;
  char prev = '.';
  for (char c : s) {
    char l = util::ascii_lower(c);
    bool ok = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '-' || l == '_' || l == '.';
    if (!ok || (l == '.' && (prev == '.' || prev == '-')) || (l == '-' && prev == '.')) return std::nullopt;
    out += l;
    prev = l;
  }
  if (out.back() == '.' || out.back() == '-') return std::nullopt;
  return out;
}

}  // namespace

result<dkim_key> sqlite_directory::add_dkim_key(std::string_view domain, std::string_view selector,
                                                std::string_view algorithm, std::string_view private_pem) {
  auto ace = parse_domain(domain);
  if (!ace) return ace.error();
  auto sel = normalize_selector(selector);
  if (!sel) return fail("directory.invalid", "not a valid DKIM selector: " + std::string(selector.substr(0, 64)));
  if (algorithm != "rsa-sha256" && algorithm != "ed25519-sha256")
    return fail("directory.invalid", "DKIM algorithm must be rsa-sha256 or ed25519-sha256");
  if (private_pem.empty() || private_pem.size() > 64 * 1024 || private_pem.find("-----BEGIN") == std::string_view::npos)
    return fail("directory.invalid", "the DKIM private key must be a PEM document");
  auto& c = conn();
  auto tx = db::transaction::begin(c, db::durability::full);
  if (!tx) return tx.error();
  auto did = domain_id(c, *ace);
  if (!did) return did.error();
  if (!*did) return fail("directory.no_domain", *ace + " is not a local domain");
  dkim_key k{*ace, *sel, std::string(algorithm), std::string(private_pem), unix_now()};
  auto ins = c.prepare(
      "INSERT INTO dkim_keys(domain_id, selector, algorithm, private_pem, created) VALUES(?1, ?2, ?3, ?4, ?5)");
  if (!ins) return ins.error();
  ins->bind_all(**did, k.selector, k.algorithm, k.private_pem, k.created);
  if (auto r = ins->run(); !r) {
    if (r.error().code == "db.constraint") return fail("directory.exists", "DKIM selector " + k.selector + " exists for " + *ace);
    return r.error();
  }
  if (auto r = tx->commit(); !r) return r.error();
  log::info("directory.dkim_key_added", {{"domain", k.domain}, {"selector", k.selector}, {"algorithm", k.algorithm}});
  return k;
}

std::vector<dkim_key> sqlite_directory::dkim_keys(std::string_view domain) {
  std::vector<dkim_key> out;
  auto ace = normalize_domain(domain);
  if (!ace) return out;
  auto st = conn()
                .prepare(
                    "SELECT k.selector, k.algorithm, k.private_pem, k.created FROM dkim_keys k "
                    "JOIN domains d ON d.id = k.domain_id WHERE d.name = ?1 ORDER BY k.created, k.id")
                .value();
  st.bind(1, *ace);
  while (st.step().value())
    out.push_back(dkim_key{*ace, st.column_text(0), st.column_text(1), st.column_text(2), st.column_int64(3)});
  return out;
}

}  // namespace hearth::directory
