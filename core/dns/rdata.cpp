#include "core/dns/rdata.hpp"

#include <cstdio>

namespace hearth::dns {

namespace {

constexpr std::size_t max_wire_name = 255;  // RFC 1035 §3.1
constexpr std::size_t max_label = 63;

std::uint16_t be16(std::string_view s, std::size_t pos) {
  return static_cast<std::uint16_t>((static_cast<std::uint8_t>(s[pos]) << 8) |
                                    static_cast<std::uint8_t>(s[pos + 1]));
}

bool plain_name_char(unsigned char c) {
  // RFC 2317 classless reverse names use '/'; '*' is the wildcard label.
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '*' ||
         c == '/';
}

void append_ddd(std::string& out, unsigned char c) {
  char buf[5];
  std::snprintf(buf, sizeof buf, "\\%03u", static_cast<unsigned>(c));
  out += buf;
}

// Parses one name that must end exactly at the end of rdata.
std::optional<std::string> name_to_end(std::string_view rdata, std::size_t pos) {
  auto n = parse_name(rdata, pos);
  if (!n || pos != rdata.size()) return std::nullopt;
  return n;
}

}  // namespace

std::optional<std::string> parse_name(std::string_view rdata, std::size_t& pos) {
  std::string out;
  std::size_t p = pos, wire = 0;
  for (;;) {
    if (p >= rdata.size()) return std::nullopt;
    auto len = static_cast<std::uint8_t>(rdata[p]);
    // RFC 1035 §4.1.4: 0b11 is a compression pointer, 0b01/0b10 are reserved (RFC 6891 dropped
    // extended labels). Unbound hands out uncompressed RDATA, so any of these is malformed.
    if (len > max_label) return std::nullopt;
    wire += 1u + len;
    if (wire > max_wire_name) return std::nullopt;
    ++p;
    if (len == 0) break;
    if (rdata.size() - p < len) return std::nullopt;
    if (!out.empty()) out += '.';
    for (std::size_t i = 0; i < len; ++i) {
      auto c = static_cast<unsigned char>(rdata[p + i]);
      if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c + 32);
      if (plain_name_char(c))
        out += static_cast<char>(c);
      else
        append_ddd(out, c);
    }
    p += len;
  }
  pos = p;
  return out;
}

std::optional<std::array<std::uint8_t, 4>> parse_a(std::string_view rdata) {
  if (rdata.size() != 4) return std::nullopt;
  std::array<std::uint8_t, 4> a{};
  for (std::size_t i = 0; i < 4; ++i) a[i] = static_cast<std::uint8_t>(rdata[i]);
  return a;
}

std::optional<std::array<std::uint8_t, 16>> parse_aaaa(std::string_view rdata) {
  if (rdata.size() != 16) return std::nullopt;
  std::array<std::uint8_t, 16> a{};
  for (std::size_t i = 0; i < 16; ++i) a[i] = static_cast<std::uint8_t>(rdata[i]);
  return a;
}

std::optional<mx_record> parse_mx(std::string_view rdata) {
  // PREFERENCE (16 bits) EXCHANGE (domain name)
  if (rdata.size() < 3) return std::nullopt;
  auto host = name_to_end(rdata, 2);
  if (!host) return std::nullopt;
  return mx_record{be16(rdata, 0), std::move(*host)};
}

std::optional<srv_record> parse_srv(std::string_view rdata) {
  // Priority Weight Port (16 bits each) Target (domain name, RFC 2782: no compression)
  if (rdata.size() < 7) return std::nullopt;
  auto target = name_to_end(rdata, 6);
  if (!target) return std::nullopt;
  return srv_record{be16(rdata, 0), be16(rdata, 2), be16(rdata, 4), std::move(*target)};
}

std::optional<std::string> parse_ptr(std::string_view rdata) { return name_to_end(rdata, 0); }

std::optional<std::string> parse_cname(std::string_view rdata) { return name_to_end(rdata, 0); }

std::optional<std::string> parse_txt(std::string_view rdata) {
  if (rdata.empty()) return std::nullopt;  // at least one <character-string>
  std::string out;
  std::size_t p = 0;
  while (p < rdata.size()) {
    auto len = static_cast<std::uint8_t>(rdata[p++]);
    if (rdata.size() - p < len) return std::nullopt;
    out.append(rdata.substr(p, len));
    p += len;
  }
  return out;
}

std::optional<tlsa_record> parse_tlsa(std::string_view rdata) {
  // Usage, Selector, Matching Type (8 bits each), Certificate Association Data (rest).
  // RFC 6698 §2.1.4 does not forbid empty data, but no matching type can match it.
  if (rdata.size() < 4) return std::nullopt;
  static constexpr char hex[] = "0123456789abcdef";
  tlsa_record r;
  r.usage = static_cast<std::uint8_t>(rdata[0]);
  r.selector = static_cast<std::uint8_t>(rdata[1]);
  r.matching = static_cast<std::uint8_t>(rdata[2]);
  r.data.reserve((rdata.size() - 3) * 2);
  for (std::size_t i = 3; i < rdata.size(); ++i) {
    auto c = static_cast<std::uint8_t>(rdata[i]);
    r.data += hex[c >> 4];
    r.data += hex[c & 15];
  }
  return r;
}

std::optional<caa_record> parse_caa(std::string_view rdata) {
  // Flags (8 bits), Tag Length (8 bits), Tag, Value (the rest).
  if (rdata.size() < 3) return std::nullopt;  // at least a one-octet tag
  caa_record r;
  r.flags = static_cast<std::uint8_t>(rdata[0]);
  auto len = static_cast<std::uint8_t>(rdata[1]);
  // RFC 8659 §4.1: "The tag length MUST be at least 1"; the tag is letters and digits only.
  if (len == 0 || rdata.size() - 2 < len) return std::nullopt;
  r.tag.reserve(len);
  for (std::size_t i = 0; i < len; ++i) {
    auto c = static_cast<unsigned char>(rdata[2 + i]);
    if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c + 32);
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return std::nullopt;
    r.tag += static_cast<char>(c);
  }
  r.value.assign(rdata.substr(2 + len));
  return r;
}

std::string format_caa(const caa_record& r) {
  return std::to_string(r.flags) + " " + r.tag + " " + quote_txt(r.value);
}

std::optional<std::string> normalize_query_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return std::nullopt;
  std::string out;
  out.reserve(name.size());
  std::size_t label = 0;
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '.') {
      if (label == 0) return std::nullopt;  // empty label ("a..b", ".a")
      label = 0;
      out += '.';
      continue;
    }
    // Printable ASCII only; '\\' would be read as an escape by unbound's name parser.
    if (c <= 0x20 || c >= 0x7f || c == '\\') return std::nullopt;
    if (++label > max_label) return std::nullopt;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : static_cast<char>(c);
  }
  if (label == 0) return std::nullopt;
  return out;
}

std::string reverse_name_v4(const std::array<std::uint8_t, 4>& a) {
  std::string out;
  for (int i = 3; i >= 0; --i) {
    out += std::to_string(a[static_cast<std::size_t>(i)]);
    out += '.';
  }
  return out + "in-addr.arpa";
}

std::string reverse_name_v6(const std::array<std::uint8_t, 16>& a) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (int i = 15; i >= 0; --i) {
    auto b = a[static_cast<std::size_t>(i)];
    out += hex[b & 15];
    out += '.';
    out += hex[b >> 4];
    out += '.';
  }
  return out + "ip6.arpa";
}

std::string quote_txt(std::string_view text) {
  std::string out = "\"";
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c >= 0x7f) {
      append_ddd(out, c);
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

}  // namespace hearth::dns
