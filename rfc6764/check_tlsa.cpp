// `hearth dns check` for our own TLSA records (check.hpp: check_tlsa).
#include <algorithm>

#include "core/util/strings.hpp"
#include "rfc6764/check.hpp"

namespace hearth::rfc6764 {

namespace {

// "3 1 1 AB CD" (zone files may split the hex) -> "3 1 1 abcd".
std::string normalize_tlsa(const std::string& v) {
  std::string out;
  int field = 0;
  bool in_space = true;
  for (char c : v) {
    const bool space = c == ' ' || c == '\t';
    if (space) {
      if (!in_space && field < 3) {
        out += ' ';
        ++field;
      }
      in_space = true;
      continue;
    }
    in_space = false;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

finding check_tlsa(const std::string& name, const std::vector<std::string>& expected, const observations& obs) {
  const std::string what = "TLSA " + name;
  if (expected.empty()) return make_finding(finding::ok, what);
  const std::string current = normalize_tlsa(expected.front());
  const std::string publish = "publish " + name + ". TLSA " + current;
  const rrset* r = obs.find(question{name, "TLSA"});
  if (auto p = answer_problem(r, what, "no TLSA record", publish)) return *p;
  std::vector<std::string> got;
  for (const auto& v : r->values) got.push_back(normalize_tlsa(v));
  auto has = [&](const std::string& want) { return std::find(got.begin(), got.end(), want) != got.end(); };
  if (!has(current)) {
    std::string dns;
    for (const auto& g : got) dns += (dns.empty() ? "" : ", ") + g;
    // RFC 7672 §2.2: a sender that validates our zone will not deliver to a key it cannot match.
    return make_finding(finding::fail, what,
                        "DNS has " + dns + "; the certificate's key is " + current +
                            ": senders that use DANE defer mail to this server",
                        publish + " (keep the old record until the certificate is changed); before the next key "
                                  "change, publish 3 1 1 current + next (zone.tlsa_next)");
  }
  for (std::size_t i = 1; i < expected.size(); ++i) {
    const std::string next = normalize_tlsa(expected[i]);
    if (!has(next))
      return make_finding(finding::warn, what, "the next key (zone.tlsa_next) is not published",
                          "publish " + name + ". TLSA " + next + " beside the current record, at least two TTLs before the key change");
  }
  return make_finding(finding::ok, what);
}

}  // namespace hearth::rfc6764
