// DMARC (RFC 7489): records, the organizational domain (Public Suffix List), identifier
// alignment and the verdict. Pure: the filter does the two TXT lookups (§6.6.3).
#pragma once
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"

namespace hearth::mail::mailauth {

// The Public Suffix List (https://publicsuffix.org/list/ rules: normal, "*." wildcard, "!"
// exception). Immutable after load; safe to share between threads.
class public_suffix_list {
 public:
  // Debian `publicsuffix`.
  static constexpr const char* default_path = "/usr/share/publicsuffix/public_suffix_list.dat";
  // Errors "psl.open". An empty list (no rules) treats every TLD as the public suffix.
  static result<std::shared_ptr<public_suffix_list>> load(const std::string& path);
  static std::shared_ptr<public_suffix_list> from_text(std::string_view text);

  // RFC 7489 §3.2: the public suffix of `domain` plus one label; the domain itself when it is
  // a public suffix or shorter. Lowercase, no trailing dot.
  std::string organizational_domain(std::string_view domain) const;
  std::size_t size() const { return rules_.size() + wild_.size() + except_.size(); }

 private:
  std::set<std::string, std::less<>> rules_, wild_, except_;
};

struct dmarc_record {
  std::string p;        // none | quarantine | reject
  std::string sp;       // "" = same as p
  bool adkim_strict = false;
  bool aspf_strict = false;
  int pct = 100;
};
// Errors "dmarc.syntax" (not a tag list, v=DMARC1 not first, bad p=/sp=/adkim/aspf/pct).
result<dmarc_record> parse_dmarc(std::string_view txt);
// RFC 7489 §6.6.3: among TXT strings, the single one starting with "v=DMARC1"; nullopt when
// none or several.
std::optional<std::string> pick_dmarc(const std::vector<std::string>& txts);

// §3.1: relaxed = same organizational domain; strict = identical (case-insensitive).
bool aligned(const public_suffix_list& psl, std::string_view a, std::string_view b, bool strict);

struct dmarc_input {
  std::string from_domain;                    // RFC5322.From domain
  std::string spf_result, spf_domain;         // MAIL FROM (or HELO when null) check
  struct dkim_pass { std::string domain; };
  std::vector<dkim_pass> dkim;                // passing signatures only
};
struct dmarc_outcome {
  std::string result = "none";   // pass | fail | none | temperror | permerror
  std::string policy = "none";   // the disposition asked for on fail: none | quarantine | reject
  std::string requested;         // p= (or sp=) as published, for A-R
  bool sampled_out = false;      // pct= excluded this message from the policy
};
// Evaluates with the record found (found_at_org: it came from the organizational domain, so
// sp= applies when from_domain differs). `sample` is a number in [0,100) for pct=.
dmarc_outcome evaluate_dmarc(const public_suffix_list& psl, const dmarc_input& in, const dmarc_record& rec,
                             bool found_at_org, int sample);

}  // namespace hearth::mail::mailauth
