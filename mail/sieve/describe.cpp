// One line per action, for `hearth sieve test` and logs.
#include "mail/sieve/run.hpp"

namespace hearth::mail::sieve {
namespace {
std::string quote(std::string_view s) {
  std::string r = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') r += '\\';
    if (c == '\r') continue;
    r += c == '\n' ? ' ' : c;
  }
  return r + "\"";
}
std::string flags(const std::vector<std::string>& f) {
  if (f.empty()) return {};
  std::string r = " :flags [";
  for (std::size_t i = 0; i < f.size(); ++i) r += (i ? ", " : "") + quote(f[i]);
  return r + "]";
}
}  // namespace

std::string describe(const action& a) {
  struct visitor {
    std::string operator()(const action_keep& k) const { return std::string(k.implicit ? "keep (implicit)" : "keep") + flags(k.flags); }
    std::string operator()(const action_fileinto& f) const {
      std::string r = "fileinto";
      if (f.copy) r += " :copy";
      if (f.create) r += " :create";
      if (!f.special_use.empty()) r += " :specialuse " + quote(f.special_use);
      return r + flags(f.flags) + " " + quote(f.mailbox);
    }
    std::string operator()(const action_redirect& r) const { return std::string("redirect") + (r.copy ? " :copy " : " ") + quote(r.address); }
    std::string operator()(const action_discard&) const { return "discard"; }
    std::string operator()(const action_reject& r) const { return std::string(r.extended ? "ereject " : "reject ") + quote(r.reason); }
    std::string operator()(const action_vacation& v) const {
      return "vacation to " + quote(v.to) + " :subject " + quote(v.subject) + " :seconds " +
             std::to_string(v.period.count()) + (v.from.empty() ? "" : " :from " + quote(v.from)) + " " + quote(v.body);
    }
    std::string operator()(const action_notify& n) const {
      return "notify " + quote(n.method) + " :importance " + std::to_string(n.importance) +
             (n.from.empty() ? "" : " :from " + quote(n.from)) + " :message " + quote(n.message);
    }
  };
  return std::visit(visitor{}, a);
}

}  // namespace hearth::mail::sieve
