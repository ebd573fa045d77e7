// `dns check`: the expected records of the zone plan against what DNS answers (pure).
#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <optional>
#include <set>

#include "core/dns/rdata.hpp"
#include "core/util/strings.hpp"
#include "rfc6764/check.hpp"

namespace hearth::rfc6764 {

namespace {

std::string strip_dot(std::string_view s) {
  if (s.size() > 1 && s.back() == '.') s.remove_suffix(1);
  return std::string(s);
}

std::string normalize_name(std::string_view s) { return util::to_lower(strip_dot(util::trim(s))); }

std::string normalize_address(std::string_view s) {
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(std::string(util::trim(s)), ec);
  return ec ? std::string(s) : a.to_string();
}

// "10 Mail.Example.org." -> "10 mail.example.org"; the last field of MX/SRV is a name.
std::string normalize_last_name(std::string_view s) {
  s = util::trim(s);
  auto sp = s.rfind(' ');
  if (sp == std::string_view::npos) return normalize_name(s);
  std::string head(s.substr(0, sp + 1));
  return head + normalize_name(s.substr(sp + 1));
}

std::string normalize_value(const std::string& type, const std::string& v) {
  if (type == "A" || type == "AAAA") return normalize_address(v);
  if (type == "MX" || type == "SRV") return normalize_last_name(v);
  return v;  // TXT is compared byte for byte; CNAME and CAA have their own checks
}

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::string show_values(const std::string& type, const std::vector<std::string>& v) {
  if (type != "TXT") return join(v);
  std::vector<std::string> q;
  for (const auto& s : v) q.push_back(dns::quote_txt(s));
  return join(q);
}

}  // namespace

std::optional<finding> answer_problem(const rrset* r, const std::string& what, const std::string& absent,
                                      const std::string& publish) {
  if (!r) return make_finding(finding::warn, what, "not asked", "run the check again");
  switch (r->st) {
    case dns::status::ok: return std::nullopt;
    case dns::status::nxdomain:
    case dns::status::nodata: return make_finding(finding::fail, what, absent, publish);
    case dns::status::temporary:
      return make_finding(finding::warn, what, "lookup failed (" + (r->why.empty() ? "temporary" : r->why) + ")",
                  "try again later; if it persists, check dns.servers and the zone's name servers");
    case dns::status::bogus:
      // RFC 4035 §5.5: validating receivers discard bogus answers, so the record is as good as absent.
      return make_finding(finding::fail, what, "DNSSEC validation failed (" + r->why + ")",
                  "fix the zone's DNSSEC signatures or the DS record at the registrar");
  }
  return std::nullopt;
}

namespace {

std::string txt_kind(std::string_view t) {
  t = util::trim(t);
  if (util::istarts_with(t, "v=")) return util::to_lower(t.substr(0, t.find_first_of("; \t")));
  return util::to_lower(util::trim(t.substr(0, t.find_first_of("=;"))));
}

std::string txt_label(const std::string& kind) {
  static const std::pair<const char*, const char*> labels[] = {
      {"v=spf1", "SPF"},          {"v=dmarc1", "DMARC"}, {"v=stsv1", "MTA-STS"},
      {"v=tlsrptv1", "TLS-RPT"}, {"v=dkim1", "DKIM"},  {"v=uaac1", "PACC"},
      {"path", "DAV path"},       {"_xmpp-client-websocket", "XMPP WebSocket"},
      {"_xmpp-client-xbosh", "XMPP BOSH"}};
  for (const auto& [k, l] : labels)
    if (kind == k) return l;
  return kind;
}

std::vector<std::string> normalized(const std::string& type, const std::vector<std::string>& v) {
  std::vector<std::string> out;
  for (const auto& s : v) out.push_back(normalize_value(type, s));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// MX, A, AAAA, SRV: the whole RRset must be what the plan says.
finding check_set(const question& q, const std::vector<std::string>& expected, const observations& obs) {
  std::string what = q.type + " " + q.name;
  auto want = normalized(q.type, expected);
  std::string noun = want.size() > 1 ? "records" : "record";
  std::string publish = "publish " + q.type + " " + noun + " " + q.name + ": " + join(want);
  const rrset* r = obs.find(q);
  if (auto p = answer_problem(r, what, "no " + q.type + " record", publish)) return *p;
  auto got = normalized(q.type, r->values);
  if (got == want) return make_finding(finding::ok, what);
  std::string detail = "DNS has " + join(got) + "; expected " + join(want);
  if (q.type == "SRV" && got.size() > 1 && std::find(got.begin(), got.end(), want.front()) != got.end())
    detail = "several SRV records (" + join(got) + "); clients sort them differently";
  return make_finding(finding::fail, what, detail, "set the " + q.type + " " + noun + " of " + q.name + " to " + join(want));
}

// TXT: the expected value must be the one record of its kind at the name.
finding check_txt(const question& q, const std::string& expected, const observations& obs) {
  std::string kind = txt_kind(expected);
  std::string label = txt_label(kind);
  std::string what = "TXT " + q.name + (label.empty() ? "" : " (" + label + ")");
  std::string publish = "publish TXT record " + q.name + ": " + dns::quote_txt(expected);
  const rrset* r = obs.find(q);
  std::string absent = "no " + (label.empty() ? std::string("TXT") : label) + " record";
  if (auto p = answer_problem(r, what, absent, publish)) return *p;
  std::vector<std::string> same_kind;
  for (const auto& v : r->values)
    if (txt_kind(v) == kind) same_kind.push_back(v);
  if (same_kind.empty()) return make_finding(finding::fail, what, absent, publish);
  if (same_kind.size() > 1) {
    // RFC 7208 §4.5 (SPF), RFC 7489 §6.6.3 (DMARC), RFC 8461 §3.1 (MTA-STS), RFC 8460 §3
    // (TLS-RPT): with several records of one kind, receivers use none of them.
    return make_finding(finding::fail, what,
                std::to_string(same_kind.size()) + " " + (label.empty() ? "TXT" : label) +
                    " records (" + show_values("TXT", same_kind) + "); receivers then ignore all of them",
                "keep only " + dns::quote_txt(expected) + " at " + q.name);
  }
  if (same_kind.front() == expected) return make_finding(finding::ok, what);
  return make_finding(finding::fail, what, "DNS has " + dns::quote_txt(same_kind.front()) + "; expected " + dns::quote_txt(expected),
              "replace it with " + dns::quote_txt(expected));
}

}  // namespace

std::string format_finding(const finding& f) {
  switch (f.lvl) {
    case finding::ok: return "OK   " + f.what;
    case finding::warn:
    case finding::fail: break;
  }
  std::string out = f.lvl == finding::warn ? "WARN " : "FAIL ";
  out += f.what;
  if (!f.detail.empty()) out += ": " + f.detail;
  if (!f.fix.empty()) out += " \u2014 " + f.fix;
  return out;
}

tally count(const std::vector<finding>& fs) {
  tally t;
  for (const auto& f : fs) {
    if (f.lvl == finding::ok) ++t.ok;
    else if (f.lvl == finding::warn) ++t.warnings;
    else ++t.failures;
  }
  return t;
}

std::string format_tally(const tally& t) {
  return std::to_string(t.ok) + " ok, " + std::to_string(t.warnings) + " warnings, " + std::to_string(t.failures) +
         " failures";
}

void observations::put(const question& q, rrset r) { sets_[q] = std::move(r); }

const rrset* observations::find(const question& q) const {
  auto it = sets_.find(q);
  return it == sets_.end() ? nullptr : &it->second;
}

std::vector<question> questions_for(const zone_plan& plan) {
  std::vector<question> out;
  std::set<question> seen;
  auto add = [&](question q) {
    if (seen.insert(q).second) out.push_back(std::move(q));
  };
  for (const auto& r : plan.records) {
    std::string name = normalize_name(r.name);
    if (r.type == "CNAME") {
      add({name, "CNAME"});
      // Only read when the alias has no CNAME: are its addresses the target's?
      std::string target = normalize_name(r.value);
      for (const char* t : {"A", "AAAA"}) {
        add({name, t});
        add({target, t});
      }
    } else if (r.type == "MX" || r.type == "A" || r.type == "AAAA" || r.type == "TXT" || r.type == "SRV" ||
               r.type == "CAA" || r.type == "TLSA") {
      add({name, r.type});
    }
  }
  return out;
}

std::vector<finding> check_records(const zone_plan& plan, const observations& obs,
                                   const std::map<std::string, std::string>& dkim_public) {
  // Expected RRsets in the order of the plan, so the output follows `dns zone`.
  std::vector<question> order;
  std::map<question, std::vector<std::string>> expected;
  for (const auto& r : plan.records) {
    question q{normalize_name(r.name), util::to_upper(r.type)};
    if (!expected.count(q)) order.push_back(q);
    expected[q].push_back(r.value);
  }
  const std::string dkim_suffix = "._domainkey." + normalize_name(plan.domain);
  std::vector<finding> out;
  for (const auto& q : order) {
    const auto& values = expected[q];
    if (q.type == "TXT") {
      bool is_dkim = q.name.size() > dkim_suffix.size() &&
                     q.name.compare(q.name.size() - dkim_suffix.size(), dkim_suffix.size(), dkim_suffix) == 0;
      std::string selector = is_dkim ? q.name.substr(0, q.name.size() - dkim_suffix.size()) : "";
      auto key = dkim_public.find(selector);
      if (is_dkim && key != dkim_public.end() && values.size() == 1) {
        const rrset* r = obs.find(q);
        out.push_back(r ? check_dkim(q.name, values.front(), key->second, *r)
                        : make_finding(finding::warn, "DKIM " + q.name, "not asked", "run the check again"));
        continue;
      }
      for (const auto& v : values) out.push_back(check_txt(q, v, obs));
    } else if (q.type == "CNAME") {
      for (const auto& v : values) out.push_back(check_cname(q.name, normalize_name(v), obs));
    } else if (q.type == "CAA") {
      out.push_back(check_caa(q.name, values, obs));
    } else if (q.type == "TLSA") {
      out.push_back(check_tlsa(q.name, values, obs));
    } else {
      out.push_back(check_set(q, values, obs));
    }
  }
  return out;
}

namespace {

// RFC 6376 §3.6.1 tag=value list; FWS inside values dropped for p= (§3.6.2.2: base64 may be
// split by the zone's string chunks or by folding).
std::map<std::string, std::string> dkim_tags(std::string_view rec) {
  std::map<std::string, std::string> tags;
  for (auto part : util::split(rec, ';')) {
    auto eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    std::string k = util::to_lower(util::trim(part.substr(0, eq)));
    std::string v;
    for (char c : util::trim(part.substr(eq + 1)))
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') v += c;
    if (!k.empty() && !tags.count(k)) tags[k] = v;
  }
  return tags;
}

}  // namespace

finding check_dkim(const std::string& name, const std::string& expected, const std::string& expected_p,
                   const rrset& observed) {
  std::string selector = name.substr(0, name.find("._domainkey."));
  std::string what = "DKIM key " + selector + " (" + name + ")";
  std::string publish = "publish the TXT record for " + name + " that `hearth dns zone` prints";
  if (auto p = answer_problem(&observed, what, "no DKIM key record", publish)) return *p;
  std::vector<std::map<std::string, std::string>> keys;
  for (const auto& v : observed.values) {
    auto t = dkim_tags(v);
    if (t.count("p")) keys.push_back(std::move(t));
  }
  if (keys.empty()) return make_finding(finding::fail, what, "no DKIM key record (no p= tag)", publish);
  if (keys.size() > 1)
    return make_finding(finding::fail, what, std::to_string(keys.size()) + " key records at one selector",
                "keep only the record `hearth dns zone` prints");
  auto& got = keys.front();
  if (got["p"].empty())
    return make_finding(finding::fail, what, "the key is revoked in DNS (empty p=, RFC 6376 §3.6.1)", publish);
  if (got["p"] != expected_p)
    return make_finding(finding::fail, what, "the public key in DNS does not match the private key on disk",
                "replace the record with the one `hearth dns zone` prints");
  auto want_k = dkim_tags(expected)["k"];
  auto got_k = got["k"];
  if (want_k.empty()) want_k = "rsa";  // RFC 6376 §3.6.1: k= defaults to rsa
  if (got_k.empty()) got_k = "rsa";
  if (util::to_lower(got_k) != util::to_lower(want_k))
    return make_finding(finding::fail, what, "key type k=" + got_k + ", expected k=" + want_k,
                "replace the record with the one `hearth dns zone` prints");
  return make_finding(finding::ok, what);
}

}  // namespace hearth::rfc6764
