// `dns check`: SPF record count and DNS-lookup limit (RFC 7208), pure.
#include <set>

#include "core/util/strings.hpp"
#include "rfc6764/check.hpp"

namespace hearth::rfc6764 {

namespace {

constexpr unsigned max_lookups = 10;  // RFC 7208 §4.6.4
constexpr unsigned max_depth = 20;    // ours: deeper chains are broken anyway (> 10 lookups)
constexpr std::size_t max_terms = 512;

struct term {
  std::string name;    // mechanism or modifier name, lowercase: "include", "redirect", "a"
  std::string target;  // the domain-spec after ':' or '=', without a /cidr suffix
};

// RFC 7208 §4.6.1: terms are separated by spaces; a mechanism is [qualifier] name[:domain][/cidr],
// a modifier name=value.
std::vector<term> terms_of(std::string_view record) {
  std::vector<term> out;
  auto parts = util::split(record, ' ');
  for (std::size_t i = 1; i < parts.size() && out.size() < max_terms; ++i) {  // parts[0] is "v=spf1"
    std::string_view p = util::trim(parts[i]);
    if (p.empty()) continue;
    if (p.front() == '+' || p.front() == '-' || p.front() == '~' || p.front() == '?') p.remove_prefix(1);
    auto sep = p.find_first_of(":=/");
    term t;
    t.name = util::to_lower(p.substr(0, sep));
    if (sep != std::string_view::npos && p[sep] != '/') {
      std::string_view rest = p.substr(sep + 1);
      // a:host/24 and mx:host//64: the cidr is not part of the name. A domain never has '/'.
      rest = rest.substr(0, rest.find('/'));
      std::string v = util::to_lower(rest);
      if (v.size() > 1 && v.back() == '.') v.pop_back();
      t.target = v;
    }
    out.push_back(std::move(t));
  }
  return out;
}

bool is_spf(std::string_view t) {
  t = util::trim(t);
  return util::iequals(t, "v=spf1") || util::istarts_with(t, "v=spf1 ");
}

struct counter {
  const std::map<std::string, rrset>& fetched;
  spf_count result;
  std::set<std::string> visiting;

  void walk(std::string_view record, unsigned depth) {
    auto terms = terms_of(record);
    bool has_all = false;
    for (const auto& t : terms) has_all = has_all || t.name == "all";
    for (const auto& t : terms) {
      if (t.name == "a" || t.name == "mx" || t.name == "ptr" || t.name == "exists") {
        ++result.lookups;
      } else if (t.name == "include" || (t.name == "redirect" && !has_all)) {
        ++result.lookups;
        follow(t.name, t.target, depth);
      }
    }
  }

  void follow(const std::string& how, const std::string& domain, unsigned depth) {
    std::string term_text = how + (how == "include" ? ":" : "=") + domain;
    if (domain.find('%') != std::string::npos) return;  // macro: expanded per message, not followable
    if (domain.empty()) {
      result.problems.push_back(term_text + " names no domain");
      return;
    }
    if (depth >= max_depth) {
      result.problems.push_back(term_text + ": includes nested deeper than " + std::to_string(max_depth));
      return;
    }
    if (visiting.count(domain)) {
      result.problems.push_back(term_text + " loops back to itself");
      return;
    }
    auto it = fetched.find(domain);
    if (it == fetched.end()) {
      result.problems.push_back(term_text + " was not looked up");
      return;
    }
    const rrset& r = it->second;
    if (r.st == dns::status::temporary || r.st == dns::status::bogus) {
      result.problems.push_back(term_text + ": lookup failed (" + r.why + ")");
      return;
    }
    auto recs = spf_records(r.values);
    if (recs.size() != 1) {
      // RFC 7208 §5.2 / §6.1: a referenced domain without exactly one SPF record is a permerror.
      result.problems.push_back(term_text + (recs.empty() ? " has no SPF record" : " has several SPF records"));
      return;
    }
    visiting.insert(domain);
    walk(recs.front(), depth + 1);
    visiting.erase(domain);
  }
};

}  // namespace

std::vector<std::string> spf_records(const std::vector<std::string>& txt) {
  std::vector<std::string> out;
  for (const auto& t : txt)
    if (is_spf(t)) out.push_back(t);
  return out;
}

std::vector<std::string> spf_references(std::string_view record) {
  std::vector<std::string> out;
  for (const auto& t : terms_of(record))
    if ((t.name == "include" || t.name == "redirect") && !t.target.empty() && t.target.find('%') == std::string::npos)
      out.push_back(t.target);
  return out;
}

spf_count count_spf_lookups(std::string_view record, const std::map<std::string, rrset>& fetched) {
  counter c{fetched, {}, {}};
  c.walk(record, 0);
  return c.result;
}

finding check_spf_lookups(const std::string& domain, std::string_view record,
                          const std::map<std::string, rrset>& fetched) {
  auto c = count_spf_lookups(record, fetched);
  finding f;
  f.what = "SPF lookups " + domain;
  if (c.lookups > max_lookups) {
    f.lvl = finding::fail;
    f.detail = std::to_string(c.lookups) +
               " DNS-querying terms through includes, more than 10 (RFC 7208 §4.6.4: receivers answer permerror)";
    f.fix = "replace include: terms by the ip4:/ip6: ranges they stand for, or drop unused a/mx/ptr terms";
  } else if (!c.problems.empty()) {
    f.lvl = finding::warn;
    std::string all;
    for (const auto& p : c.problems) all += (all.empty() ? "" : "; ") + p;
    f.detail = all;
    f.fix = "fix or remove these terms of the SPF record of " + domain;
  } else {
    f.what += " (" + std::to_string(c.lookups) + " of 10)";
  }
  return f;
}

}  // namespace hearth::rfc6764
