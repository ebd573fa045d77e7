#include "xmpp/modules/upload/proto/slot.hpp"

#include <charconv>
#include <cstring>

#include "core/crypto/crypto.hpp"

namespace hearth::xmpp::upload {

namespace {

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

std::optional<std::uint64_t> to_u64(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// What the HMAC covers: every field, each on its own line, after a purpose label so a token
// can never be taken for another of the server's signatures.
std::string signed_text(std::string_view id, std::string_view filename, std::string_view payload) {
  std::string t = "hearth-upload-v1\n";
  t.append(id).append("\n").append(filename).append("\n").append(payload);
  return t;
}

std::string payload_of(const slot& s) {
  return std::to_string(s.expires) + "\n" + std::to_string(s.size) + "\n" + s.owner + "\n" + s.content_type;
}

}  // namespace

bool valid_filename(std::string_view name) {
  if (name.empty() || name.size() > max_filename || name == "." || name == "..") return false;
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f || c == '/' || c == '\\') return false;
  return true;
}

bool valid_content_type(std::string_view type) {
  if (type.empty() || type.size() > max_content_type) return false;
  const auto semi = type.find(';');
  const auto main = type.substr(0, semi);
  const auto slash = main.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == main.size()) return false;
  for (std::size_t i = 0; i < main.size(); ++i)
    if (i != slash && !is_token_char(main[i])) return false;
  for (unsigned char c : type)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

bool valid_id(std::string_view id) {
  if (id.size() != 32) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string sign(const slot& s, std::string_view secret) {
  const std::string payload = payload_of(s);
  return crypto::base64_encode(payload) + "." +
         crypto::hex_encode(crypto::hmac_sha256(secret, signed_text(s.id, s.filename, payload)));
}

result<slot> verify(std::string_view token, std::string_view id, std::string_view filename, std::string_view secret,
                    std::int64_t now) {
  auto bad = [] { return fail("upload.bad_token", "the upload slot's token is not valid for this URL"); };
  if (token.size() > max_token) return bad();
  const auto dot = token.find('.');
  if (dot == std::string_view::npos) return bad();
  auto payload = crypto::base64_decode(token.substr(0, dot));
  if (!payload) return bad();
  const std::string mac = crypto::hex_encode(crypto::hmac_sha256(secret, signed_text(id, filename, *payload)));
  if (!crypto::constant_time_equal(mac, token.substr(dot + 1))) return bad();
  // Signed by us, so well formed; parsed with care all the same.
  std::string_view p(*payload);
  std::string_view fields[4];
  for (int i = 0; i < 3; ++i) {
    const auto nl = p.find('\n');
    if (nl == std::string_view::npos) return bad();
    fields[i] = p.substr(0, nl);
    p.remove_prefix(nl + 1);
  }
  fields[3] = p;
  auto expires = to_u64(fields[0]);
  auto size = to_u64(fields[1]);
  if (!expires || !size) return bad();
  slot s;
  s.id = std::string(id);
  s.filename = std::string(filename);
  s.expires = static_cast<std::int64_t>(*expires);
  s.size = *size;
  s.owner = std::string(fields[2]);
  s.content_type = std::string(fields[3]);
  if (now >= s.expires) return fail("upload.expired", "the upload slot has expired");
  return s;
}

std::string url_path(std::string_view id, std::string_view filename) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out = "/upload/";
  out.append(id).append("/");
  for (unsigned char c : filename) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::optional<path_parts> parse_path(std::string_view path, std::string_view prefix) {
  if (!path.starts_with(prefix)) return std::nullopt;
  path.remove_prefix(prefix.size());
  const auto slash = path.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  path_parts out{std::string(path.substr(0, slash)), std::string(path.substr(slash + 1))};
  if (!valid_id(out.id) || !valid_filename(out.filename)) return std::nullopt;
  return out;
}

range_answer parse_range(std::string_view h, std::uint64_t size) {
  range_answer whole;
  // Optional whitespace around the value; the unit is case-insensitive (RFC 9110 §14.1).
  while (!h.empty() && (h.front() == ' ' || h.front() == '\t')) h.remove_prefix(1);
  while (!h.empty() && (h.back() == ' ' || h.back() == '\t')) h.remove_suffix(1);
  if (h.size() < 6) return whole;
  for (int i = 0; i < 5; ++i)
    if (std::tolower(static_cast<unsigned char>(h[i])) != "bytes"[i]) return whole;
  if (h[5] != '=') return whole;
  h.remove_prefix(6);
  // Several ranges are allowed to be ignored (§14.2: "A server MAY ignore the Range header").
  if (h.find(',') != std::string_view::npos) return whole;
  const auto dash = h.find('-');
  if (dash == std::string_view::npos) return whole;
  const auto a = h.substr(0, dash), b = h.substr(dash + 1);
  range_answer out;
  if (a.empty()) {
    // §14.1.1 suffix-range: the last N octets.
    auto n = to_u64(b);
    if (!n) return whole;
    if (*n == 0 || size == 0) return {range_kind::unsatisfiable, {}};
    out.kind = range_kind::partial;
    out.range.first = *n >= size ? 0 : size - *n;
    out.range.last = size - 1;
    return out;
  }
  auto first = to_u64(a);
  if (!first) return whole;
  std::uint64_t last = size == 0 ? 0 : size - 1;
  if (!b.empty()) {
    auto l = to_u64(b);
    if (!l || *l < *first) return whole;  // §14.1.1: invalid when last < first
    if (*l < last) last = *l;
  }
  // §14.1.1: satisfiable only if the first position is inside the representation.
  if (*first >= size) return {range_kind::unsatisfiable, {}};
  out.kind = range_kind::partial;
  out.range = {*first, last};
  return out;
}

}  // namespace hearth::xmpp::upload
