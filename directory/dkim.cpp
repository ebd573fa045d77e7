#include "core/log/log.hpp"
#include "core/util/strings.hpp"
#include "directory/sql_directory.hpp"

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

result<dkim_key> sql_directory::add_dkim_key(std::string_view domain, std::string_view selector,
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
  auto tx = sql::transaction::begin(c, sql::durability::full);
  if (!tx) return tx.error();
  auto did = domain_id(c, *ace);
  if (!did) return did.error();
  if (!*did) return fail("directory.no_domain", *ace + " is not a local domain");
  dkim_key k{*ace, *sel, std::string(algorithm), std::string(private_pem), unix_now()};
  if (auto r = c.query("INSERT INTO dkim_keys(domain_id, selector, algorithm, private_pem, created) VALUES(?1, ?2, ?3, ?4, ?5)",
                       **did, k.selector, k.algorithm, k.private_pem, k.created);
      !r) {
    if (r.error().code == "db.constraint") return fail("directory.exists", "DKIM selector " + k.selector + " exists for " + *ace);
    return r.error();
  }
  if (auto r = tx->commit(); !r) return r.error();
  log::info("directory.dkim_key_added", {{"domain", k.domain}, {"selector", k.selector}, {"algorithm", k.algorithm}});
  return k;
}

std::vector<dkim_key> sql_directory::dkim_keys(std::string_view domain) {
  std::vector<dkim_key> out;
  auto ace = normalize_domain(domain);
  if (!ace) return out;
  auto r = conn()
               .query(
                   "SELECT k.selector, k.algorithm, k.private_pem, k.created FROM dkim_keys k "
                   "JOIN domains d ON d.id = k.domain_id WHERE d.name = ?1 ORDER BY k.created, k.id",
                   *ace)
               .value();
  for (int i = 0; i < r.size(); ++i)
    out.push_back(dkim_key{*ace, r.text(i, 0), r.text(i, 1), r.text(i, 2), r.int64(i, 3)});
  return out;
}

}  // namespace hearth::directory
