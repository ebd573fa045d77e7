// The spam verdict (see verdict.hpp).
#include "mail/filter/verdict.hpp"

#include "mail/filter/dnsbl.hpp"

namespace hearth::mail::filter {

std::string symbol_text(std::string_view name, double score) {
  return std::string(name) + "(" + format_score(score) + ")";
}

spam_verdict decide(double score, const std::vector<std::string>& symbols, const verdict_options& o) {
  spam_verdict v;
  v.score = score;
  if (score >= o.reject_threshold) v.action = spam_action::reject;
  else if (score >= o.threshold) v.action = spam_action::junk;
  // SpamAssassin's shape, which mail clients and sieve scripts know:
  //   X-Spam-Status: Yes, score=7.5 required=5 tests=A(1),B(6.5)
  std::string line = std::string("X-Spam-Status: ") + (v.action == spam_action::deliver ? "No" : "Yes") +
                     ", score=" + format_score(score) + " required=" + format_score(o.threshold) + " tests=";
  std::size_t col = line.size();
  std::string out = line;
  bool first = true;
  for (const auto& s0 : symbols) {
    // Symbols come from our own filters, but keep the field clean anyway.
    std::string s;
    for (char c : s0)
      if (c > ' ' && c < 0x7f && c != ',') s += c;
    if (s.empty()) continue;
    if (!first) {
      out += ',';
      ++col;
      if (col + s.size() > 76) {  // fold (RFC 5322 §2.2.3)
        out += "\r\n\t";
        col = 1;
      }
    }
    out += s;
    col += s.size();
    first = false;
  }
  if (first) out += "none";
  v.fields = out + "\r\nX-Spam-Score: " + format_score(score) + "\r\n";
  return v;
}

}  // namespace hearth::mail::filter
