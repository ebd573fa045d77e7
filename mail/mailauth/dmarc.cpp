#include "mail/mailauth/dmarc.hpp"

#include <charconv>
#include <fstream>
#include <sstream>

#include "core/util/strings.hpp"
#include "mail/mailauth/tags.hpp"

namespace hearth::mail::mailauth {
namespace {
std::string norm(std::string_view d) {
  std::string s = util::to_lower(util::trim(d));
  while (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}
}  // namespace

std::shared_ptr<public_suffix_list> public_suffix_list::from_text(std::string_view text) {
  auto l = std::make_shared<public_suffix_list>();
  for (auto line : util::split(text, '\n')) {
    line = util::trim(line);
    if (line.empty() || line.starts_with("//")) continue;
    auto sp = line.find_first_of(" \t");
    if (sp != std::string_view::npos) line = line.substr(0, sp);
    // The list holds Unicode rules too; we compare ASCII names, so those never match A-labels,
    // which only makes such domains' organizational domain one label shorter (never wider).
    if (line.starts_with("!")) l->except_.insert(norm(line.substr(1)));
    else if (line.starts_with("*.")) l->wild_.insert(norm(line.substr(2)));
    else l->rules_.insert(norm(line));
  }
  return l;
}

result<std::shared_ptr<public_suffix_list>> public_suffix_list::load(const std::string& path) {
  std::ifstream f(path);
  if (!f) return fail("psl.open", "cannot read the Public Suffix List " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return from_text(ss.str());
}

std::string public_suffix_list::organizational_domain(std::string_view domain) const {
  std::string d = norm(domain);
  auto labels = util::split(d, '.');
  const std::size_t n = labels.size();
  // Length (in labels) of the longest matching public suffix; the implicit "*" rule gives 1.
  std::size_t best = 1;
  for (std::size_t k = 1; k <= n; ++k) {
    // suffix of k labels
    std::size_t start = 0;
    for (std::size_t i = 0; i < n - k; ++i) start += labels[i].size() + 1;
    std::string_view suffix = std::string_view(d).substr(start);
    if (except_.count(suffix)) {
      best = std::max(best, k - 1);  // an exception rule: the suffix minus its leftmost label
      break;
    }
    if (rules_.count(suffix)) best = std::max(best, k);
    auto dot = suffix.find('.');
    if (dot != std::string_view::npos && wild_.count(suffix.substr(dot + 1))) best = std::max(best, k);
  }
  if (best >= n) return d;
  std::size_t start = 0;
  for (std::size_t i = 0; i < n - best - 1; ++i) start += labels[i].size() + 1;
  return d.substr(start);
}

result<dmarc_record> parse_dmarc(std::string_view txt) {
  auto t = parse_tags(txt);
  // §6.4: v=DMARC1 MUST be the first tag.
  auto trimmed = util::trim(txt);
  if (!t || !t->count("v") || (*t)["v"] != "DMARC1" || !util::istarts_with(trimmed, "v"))
    return fail("dmarc.syntax", "not a DMARC1 record");
  {
    auto after_v = trimmed.substr(1);
    after_v = util::trim(after_v);
    if (!after_v.starts_with("=")) return fail("dmarc.syntax", "v= is not the first tag");
  }
  dmarc_record r;
  auto policy = [](std::string v) -> std::optional<std::string> {
    v = util::to_lower(v);
    if (v == "none" || v == "quarantine" || v == "reject") return v;
    return std::nullopt;
  };
  if (t->count("p")) {
    auto p = policy((*t)["p"]);
    if (!p) return fail("dmarc.syntax", "bad p=");
    r.p = *p;
  } else if (t->count("rua")) {
    r.p = "none";  // §6.6.3 step 6: a record with rua= but no p= is treated as p=none
  } else {
    return fail("dmarc.syntax", "no p=");
  }
  if (t->count("sp")) {
    auto sp = policy((*t)["sp"]);
    if (sp) r.sp = *sp;  // an invalid sp= is ignored (§6.3: unknown values are ignored)
  }
  for (auto [tag, slot] : {std::pair{"adkim", &r.adkim_strict}, std::pair{"aspf", &r.aspf_strict}}) {
    if (!t->count(tag)) continue;
    auto v = util::to_lower((*t)[tag]);
    if (v == "s") *slot = true;
    else if (v != "r") return fail("dmarc.syntax", std::string("bad ") + tag + "=");
  }
  if (t->count("pct")) {
    const auto& v = (*t)["pct"];
    int pct = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), pct);
    if (ec != std::errc() || p != v.data() + v.size() || pct < 0 || pct > 100) return fail("dmarc.syntax", "bad pct=");
    r.pct = pct;
  }
  return r;
}

std::optional<std::string> pick_dmarc(const std::vector<std::string>& txts) {
  std::optional<std::string> found;
  for (const auto& t : txts) {
    auto s = util::trim(t);
    if (!util::istarts_with(s, "v=DMARC1")) continue;
    if (s.size() > 8 && s[8] != ';' && s[8] != ' ' && s[8] != '\t') continue;
    if (found) return std::nullopt;  // several: as if none (§6.6.3 step 4)
    found = std::string(s);
  }
  return found;
}

bool aligned(const public_suffix_list& psl, std::string_view a, std::string_view b, bool strict) {
  std::string x = norm(a), y = norm(b);
  if (x.empty() || y.empty()) return false;
  if (strict) return x == y;
  return psl.organizational_domain(x) == psl.organizational_domain(y);
}

dmarc_outcome evaluate_dmarc(const public_suffix_list& psl, const dmarc_input& in, const dmarc_record& rec,
                             bool found_at_org, int sample) {
  dmarc_outcome out;
  const bool use_sp = found_at_org && !rec.sp.empty() && norm(in.from_domain) != psl.organizational_domain(in.from_domain);
  out.requested = use_sp ? rec.sp : rec.p;
  bool pass = in.spf_result == "pass" && aligned(psl, in.spf_domain, in.from_domain, rec.aspf_strict);
  for (const auto& d : in.dkim) pass = pass || aligned(psl, d.domain, in.from_domain, rec.adkim_strict);
  out.result = pass ? "pass" : "fail";
  if (!pass) {
    out.policy = out.requested;
    // §6.6.4: pct= applies the policy to that share of failing mail; the rest gets the next
    // weaker treatment (quarantine -> none, reject -> quarantine).
    if (rec.pct < 100 && sample >= rec.pct) {
      out.sampled_out = true;
      out.policy = out.policy == "reject" ? "quarantine" : "none";
    }
  }
  return out;
}

}  // namespace hearth::mail::mailauth
