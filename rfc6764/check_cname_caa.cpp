// `dns check`: the CNAME and CAA records of the zone plan against what DNS answers (pure).
#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cctype>

#include "core/dns/rdata.hpp"
#include "core/util/strings.hpp"
#include "rfc6764/check.hpp"

namespace hearth::rfc6764 {

namespace {

constexpr std::size_t max_caa_text = 4096;  // a zone line; CAA values are short in practice

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

std::string normalize_name(std::string_view s) {
  s = util::trim(s);
  if (s.size() > 1 && s.back() == '.') s.remove_suffix(1);
  return util::to_lower(s);
}

// The addresses (A and AAAA) of `name` as asio prints them, sorted. `unknown` is set when a
// lookup was not asked or failed, so an empty list proves nothing.
std::vector<std::string> addresses(const observations& obs, const std::string& name, bool& unknown) {
  std::vector<std::string> out;
  for (const char* t : {"A", "AAAA"}) {
    const rrset* r = obs.find({name, t});
    if (!r || r->st == dns::status::temporary || r->st == dns::status::bogus) unknown = true;
    if (!r || r->st != dns::status::ok) continue;
    for (const auto& v : r->values) {
      boost::system::error_code ec;
      auto a = boost::asio::ip::make_address(std::string(util::trim(v)), ec);
      out.push_back(ec ? v : a.to_string());
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// Canonical presentation of one CAA text, or the text itself when it is not CAA syntax (it
// then matches nothing the plan expects, and is shown as DNS gave it).
std::string canonical_caa(const std::string& text) {
  auto r = parse_caa_text(text);
  return r ? dns::format_caa(*r) : text;
}

}  // namespace

finding check_cname(const std::string& alias, const std::string& target, const observations& obs) {
  std::string what = "CNAME " + alias;
  std::string publish = "publish CNAME record " + alias + ": " + target;
  const rrset* r = obs.find({alias, "CNAME"});
  if (r && r->st == dns::status::nodata) {
    // The alias exists without a CNAME. Addresses equal to the target's work today but go stale
    // when the target moves, and a name with a CNAME can have no other data (RFC 1034 §3.6.2).
    bool unknown = false;
    auto at = addresses(obs, alias, unknown);
    auto tt = addresses(obs, target, unknown);
    std::string replace = "replace the records of " + alias + " with CNAME record " + alias + ": " + target;
    if (at.empty() && unknown)
      return make_finding(finding::warn, what, "no CNAME record, and the addresses could not be looked up", replace);
    if (at.empty()) return make_finding(finding::fail, what, "no CNAME record", publish);
    if (at == tt)
      return make_finding(finding::warn, what,
                  alias + " has A/AAAA records (" + join(at) + ") instead of a CNAME to " + target +
                      "; they match today but not after " + target + " changes address",
                  replace);
    return make_finding(finding::fail, what,
                alias + " has A/AAAA records (" + join(at) + ") instead of a CNAME to " + target + " (" +
                    (tt.empty() ? std::string("no address") : join(tt)) + ")",
                replace);
  }
  if (auto p = answer_problem(r, what, "no CNAME record", publish)) return *p;
  std::vector<std::string> got;
  for (const auto& v : r->values) got.push_back(normalize_name(v));
  if (got.size() == 1 && got.front() == target) return make_finding(finding::ok, what + " -> " + target);
  return make_finding(finding::fail, what, "DNS has CNAME " + join(got) + "; expected " + target,
              "point the CNAME record " + alias + " at " + target);
}

finding check_caa(const std::string& name, const std::vector<std::string>& expected, const observations& obs) {
  std::string what = "CAA " + name;
  std::vector<std::string> want;
  for (const auto& e : expected) want.push_back(canonical_caa(e));
  std::string noun = want.size() > 1 ? "records" : "record";
  std::string publish = "publish CAA " + noun + " " + name + ": " + join(want);
  const rrset* r = obs.find({name, "CAA"});
  if (auto p = answer_problem(r, what, "no CAA record", publish)) return *p;
  std::vector<std::string> got;
  for (const auto& v : r->values) got.push_back(canonical_caa(v));
  std::vector<std::string> missing, other_cas;
  for (const auto& w : want)
    if (std::find(got.begin(), got.end(), w) == got.end()) missing.push_back(w);
  for (const auto& g : got) {
    if (std::find(want.begin(), want.end(), g) != want.end()) continue;
    // RFC 8659 §4.2/§4.3: each issue/issuewild record authorises one more CA; other tags
    // (iodef, issuemail, ...) authorise nobody and are the owner's business.
    auto c = parse_caa_text(g);
    if (c && (c->tag == "issue" || c->tag == "issuewild")) other_cas.push_back(g);
  }
  if (!missing.empty())
    return make_finding(finding::fail, what, "DNS has " + join(got) + "; missing " + join(missing), publish);
  if (!other_cas.empty())
    return make_finding(finding::warn, what, "other CAs may issue too: " + join(other_cas),
                "remove those records if only what the config names should issue certificates");
  return make_finding(finding::ok, what);
}

std::optional<dns::caa_record> parse_caa_text(std::string_view text) {
  // RFC 8659 §4.1.1: <flags> <tag> <value>, the value a character-string (quoted or not).
  if (text.size() > max_caa_text) return std::nullopt;
  text = util::trim(text);
  dns::caa_record r;
  std::size_t i = 0;
  unsigned flags = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    flags = flags * 10 + static_cast<unsigned>(text[i] - '0');
    if (flags > 255) return std::nullopt;
    ++i;
  }
  if (i == 0 || i >= text.size() || (text[i] != ' ' && text[i] != '\t')) return std::nullopt;
  r.flags = static_cast<std::uint8_t>(flags);
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  std::size_t tag_start = i;
  while (i < text.size() && text[i] != ' ' && text[i] != '\t') {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return std::nullopt;
    r.tag += c;
    ++i;
  }
  if (i == tag_start || r.tag.size() > 255) return std::nullopt;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  std::string_view v = text.substr(i);
  bool quoted = !v.empty() && v.front() == '"';
  if (quoted) {
    if (v.size() < 2 || v.back() != '"') return std::nullopt;
    v = v.substr(1, v.size() - 2);
  }
  for (std::size_t k = 0; k < v.size(); ++k) {
    char c = v[k];
    if (c == '"') return std::nullopt;  // an unescaped quote inside the value
    if (!quoted && (c == ' ' || c == '\t')) return std::nullopt;
    if (c != '\\') {
      r.value += c;
      continue;
    }
    // RFC 1035 §5.1: \X is X, \DDD is the octet DDD.
    if (k + 1 >= v.size()) return std::nullopt;
    if (k + 3 < v.size() && std::isdigit(static_cast<unsigned char>(v[k + 1])) &&
        std::isdigit(static_cast<unsigned char>(v[k + 2])) && std::isdigit(static_cast<unsigned char>(v[k + 3]))) {
      unsigned o = static_cast<unsigned>((v[k + 1] - '0') * 100 + (v[k + 2] - '0') * 10 + (v[k + 3] - '0'));
      if (o > 255) return std::nullopt;
      r.value += static_cast<char>(o);
      k += 3;
    } else if (std::isdigit(static_cast<unsigned char>(v[k + 1]))) {
      return std::nullopt;  // \D or \DD: not a complete escape
    } else {
      r.value += v[k + 1];
      k += 1;
    }
  }
  return r;
}

}  // namespace hearth::rfc6764
