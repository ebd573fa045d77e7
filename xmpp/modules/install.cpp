#include <algorithm>
#include <ctime>

#include "core/crypto/crypto.hpp"

#include "xmpp/modules/modules.hpp"

namespace hearth::xmpp::modules {

void install_all(hub& h) {
  install_disco(h);
  install_ping(h);
  install_version(h);
  install_time(h);
  install_last(h);
  install_vcard(h);
  install_private(h);
  install_blocking(h);
  install_carbons(h);
  install_mam(h);
  install_pep(h);
  // XEP-0115 §5.1: the verification string of the server's disco#info (one identity
  // server/im//Hearth, the features sorted), SHA-1, base64.
  auto feats = h.features(false);
  std::sort(feats.begin(), feats.end());
  std::string s = "server/im//Hearth<";
  for (const auto& f : feats) s += f + "<";
  h.set_caps_ver(crypto::base64_encode(crypto::sha1(s)));
}

std::map<std::string, std::vector<std::string>> form_values(const element* x) {
  std::map<std::string, std::vector<std::string>> out;
  if (!x) return out;
  for (const auto& f : x->children) {
    if (f.is_text() || f.name != "field") continue;
    auto& v = out[f.get("var")];
    for (const auto& val : f.children)
      if (!val.is_text() && val.name == "value") v.push_back(val.body());
  }
  return out;
}

std::optional<std::int64_t> parse_xep82(std::string_view s) {
  // CCYY-MM-DDThh:mm:ss[.sss](Z|(+|-)hh:mm)
  int Y, M, D, h, m, sec;
  if (s.size() < 20) return std::nullopt;
  std::string str(s);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &Y, &M, &D, &h, &m, &sec) != 6) return std::nullopt;
  std::size_t pos = 19;
  std::int64_t frac_us = 0;
  if (pos < str.size() && str[pos] == '.') {
    ++pos;
    std::int64_t scale = 100000;
    while (pos < str.size() && std::isdigit(static_cast<unsigned char>(str[pos]))) {
      frac_us += (str[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
  }
  int offset = 0;
  if (pos < str.size() && (str[pos] == '+' || str[pos] == '-')) {
    int oh, om;
    if (std::sscanf(str.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
    offset = (oh * 60 + om) * 60 * (str[pos] == '+' ? 1 : -1);
  } else if (pos >= str.size() || str[pos] != 'Z') {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = Y - 1900;
  tm.tm_mon = M - 1;
  tm.tm_mday = D;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = sec;
  std::int64_t t = timegm(&tm) - offset;
  return t * 1000000 + frac_us;
}

}  // namespace hearth::xmpp::modules
