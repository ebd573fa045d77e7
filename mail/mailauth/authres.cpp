#include "mail/mailauth/authres.hpp"

#include "core/util/strings.hpp"
#include "mail/message/header.hpp"

namespace hearth::mail::mailauth {
namespace {

// Skips CFWS (comments nest, RFC 5322 §3.2.2).
std::size_t skip_cfws(std::string_view s, std::size_t i) {
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++i;
    } else if (c == '(') {
      int depth = 0;
      for (; i < s.size(); ++i) {
        if (s[i] == '\\') { ++i; continue; }
        if (s[i] == '(') ++depth;
        if (s[i] == ')' && --depth == 0) { ++i; break; }
      }
      if (i > s.size()) i = s.size();  // a quoted-pair at the very end stepped past it
    } else {
      break;
    }
  }
  return i;
}

// A property value that is not a token is written as a quoted-string (RFC 8601 §2.2 "value").
std::string value_text(std::string_view v) {
  bool token = !v.empty();
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    // '@' is allowed for smtp.mailfrom etc. (RFC 8601 §2.2: pvalue may be [local-part "@"] domain-name)
    if (u <= 0x20 || u >= 0x7f || std::string_view("()<>,;:\\\"/[]?=").find(c) != std::string_view::npos) token = false;
  }
  if (token) return std::string(v);
  std::string q = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') q += '\\';
    if (c == '\r' || c == '\n') continue;
    q += c;
  }
  return q + "\"";
}

std::string comment_text(std::string_view v) {
  std::string out;
  for (char c : v)
    if (c != '(' && c != ')' && c != '\\' && c != '\r' && c != '\n') out += c;
  return out;
}

}  // namespace

std::string authserv_id(std::string_view value) {
  std::size_t i = skip_cfws(value, 0);
  std::size_t j = i;
  while (j < value.size() && value[j] != ';' && value[j] != ' ' && value[j] != '\t' && value[j] != '(' &&
         value[j] != '\r' && value[j] != '\n')
    ++j;
  std::string id = util::to_lower(value.substr(i, j - i));
  if (id.size() >= 2 && id.front() == '"' && id.back() == '"') id = id.substr(1, id.size() - 2);
  return id;
}

std::size_t remove_our_results(std::string& message, std::string_view hostname) {
  header_section h = parse_header(message);
  std::size_t removed = 0;
  const std::string ours = util::to_lower(hostname);
  // From the last to the first, so earlier offsets stay valid.
  for (std::size_t i = h.fields.size(); i-- > 0;) {
    const auto& f = h.fields[i];
    if (!f.valid || !util::iequals(util::trim(f.name), "Authentication-Results")) continue;
    if (authserv_id(f.value) != ours) continue;
    message.erase(f.offset, f.raw.size());
    ++removed;
  }
  return removed;
}

std::string format_results(std::string_view hostname, const std::vector<resinfo>& results) {
  std::string out = "Authentication-Results: " + std::string(hostname) + ";";
  if (results.empty()) return out + " none\r\n";
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    out += "\r\n\t" + r.method + "=" + r.result;
    if (!r.comment.empty()) out += " (" + comment_text(r.comment) + ")";
    for (const auto& [k, v] : r.props) out += " " + k + "=" + value_text(v);
    if (i + 1 < results.size()) out += ";";
  }
  return out + "\r\n";
}

}  // namespace hearth::mail::mailauth
