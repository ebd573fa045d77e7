// Greylisting: what is pure of it (names, sender keys). The state: greylist_sql.cpp.
#include "mail/filter/greylist.hpp"

#include "core/util/strings.hpp"

namespace hearth::mail::filter {

const char* outcome_name(grey_outcome o) {
  switch (o) {
    case grey_outcome::first: return "first";
    case grey_outcome::early: return "early";
    case grey_outcome::passed: return "passed";
    case grey_outcome::white: return "white";
    case grey_outcome::pool: return "pool";
  }
  return "?";
}

std::string normalize_sender(std::string_view sender) {
  std::string s = util::to_lower(sender);
  auto at = s.rfind('@');
  if (at == std::string::npos) return s;
  std::string local = s.substr(0, at);
  // BATV: "prvs=TAG=user", and the "btv1==TAG==user" variant.
  if (local.rfind("prvs=", 0) == 0) {
    if (auto e = local.find('=', 5); e != std::string::npos) local = local.substr(e + 1);
  } else if (local.rfind("btv1==", 0) == 0) {
    if (auto e = local.find("==", 6); e != std::string::npos) local = local.substr(e + 2);
  }
  std::string out;
  for (std::size_t i = 0; i < local.size(); ++i) {
    if (local[i] >= '0' && local[i] <= '9') {
      if (out.empty() || out.back() != '#') out += '#';
    } else {
      out += local[i];
    }
  }
  return out + s.substr(at);
}

std::string sender_domain(std::string_view sender) {
  auto at = sender.rfind('@');
  if (at == std::string_view::npos) return {};
  return util::to_lower(sender.substr(at + 1));
}

}  // namespace hearth::mail::filter
