// The two printed forms of a zone plan: a BIND master file and JSON.
#include <algorithm>
#include <cstdio>

#include "core/util/strings.hpp"
#include "rfc6764/zone.hpp"

namespace hearth::rfc6764 {

namespace {

// Owner names: "@" for the apex, relative inside the origin, absolute with a dot elsewhere
// (RFC 1035 §5.1: a name without a final dot is relative to $ORIGIN).
std::string owner(const std::string& name, const std::string& origin) {
  if (name == origin) return "@";
  if (name.size() > origin.size() + 1 && name.ends_with(origin) && name[name.size() - origin.size() - 1] == '.')
    return name.substr(0, name.size() - origin.size() - 1);
  return name + ".";
}

std::string absolute(std::string_view name) {
  if (name == ".") return ".";
  return std::string(name) + ".";
}

// The plan keeps names in RDATA without the final dot; the zone file needs it, or the name
// would be taken as relative to $ORIGIN.
std::string rdata(const zone_record& r) {
  if (r.type == "TXT") return quote_txt_rdata(r.value);
  if (r.type == "CNAME") return absolute(r.value);
  auto fields = util::split(r.value, ' ');
  if (r.type == "MX" && fields.size() == 2) return std::string(fields[0]) + " " + absolute(fields[1]);
  if (r.type == "SRV" && fields.size() == 4)
    return std::string(fields[0]) + " " + std::string(fields[1]) + " " + std::string(fields[2]) + " " +
           absolute(fields[3]);
  return r.value;  // A, AAAA, CAA: already presentation form
}

// Comments are one line; a stray newline would turn the rest into a record.
std::string one_line(std::string_view s) {
  std::string out(s);
  std::replace_if(out.begin(), out.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return out;
}

void json_escape_code(std::string& out, unsigned code) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\u%04x", code);
  out += buf;
}

// RFC 8259 §7. Non-ASCII is written as \uXXXX (surrogate pairs above U+FFFF) so the output is
// ASCII; a byte that is not part of valid UTF-8 becomes U+FFFD rather than invalid JSON.
void json_string(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    unsigned char ch = static_cast<unsigned char>(s[i]);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
      ++i;
    } else if (ch >= 0x20 && ch < 0x7f) {
      out += static_cast<char>(ch);
      ++i;
    } else if (ch == '\n' || ch == '\r' || ch == '\t') {
      out += ch == '\n' ? "\\n" : ch == '\r' ? "\\r" : "\\t";
      ++i;
    } else if (ch < 0x80) {
      json_escape_code(out, ch);
      ++i;
    } else {
      std::size_t len = ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : ch >= 0xc2 ? 2 : 0;
      unsigned code = len == 4 ? (ch & 0x07u) : len == 3 ? (ch & 0x0fu) : (ch & 0x1fu);
      bool ok = len != 0 && ch < 0xf5 && i + len <= s.size();
      for (std::size_t k = 1; ok && k < len; ++k) {
        unsigned char cc = static_cast<unsigned char>(s[i + k]);
        ok = (cc & 0xc0) == 0x80;
        code = (code << 6) | (cc & 0x3fu);
      }
      // Overlong forms, surrogates and values above U+10FFFF are not UTF-8 either.
      if (ok)
        ok = !((len == 3 && code < 0x800) || (len == 4 && code < 0x10000) || (code >= 0xd800 && code <= 0xdfff) ||
               code > 0x10ffff);
      if (!ok) {
        json_escape_code(out, 0xfffd);
        ++i;
        continue;
      }
      if (code >= 0x10000) {
        code -= 0x10000;
        json_escape_code(out, 0xd800 + (code >> 10));
        json_escape_code(out, 0xdc00 + (code & 0x3ff));
      } else {
        json_escape_code(out, code);
      }
      i += len;
    }
  }
  out += '"';
}

}  // namespace

std::string quote_txt_rdata(std::string_view text) {
  if (text.empty()) return "\"\"";
  std::string out;
  // RFC 1035 §3.3.14: a TXT RR is one or more <character-string>s of at most 255 octets;
  // readers (RFC 6376 §3.6.2.2, RFC 7208 §3.3) join them without a separator. Split the raw
  // octets, then escape, so an escape sequence never straddles two strings.
  for (std::size_t i = 0; i < text.size(); i += 255) {
    if (!out.empty()) out += ' ';
    out += '"';
    for (unsigned char ch : text.substr(i, 255)) {
      if (ch == '"' || ch == '\\') {
        out += '\\';
        out += static_cast<char>(ch);
      } else if (ch < 0x20 || ch >= 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\%03u", static_cast<unsigned>(ch));  // RFC 1035 §5.1 \DDD
        out += buf;
      } else {
        out += static_cast<char>(ch);
      }
    }
    out += '"';
  }
  return out;
}

std::string to_bind(const zone_plan& plan, unsigned ttl) {
  const std::string& origin = plan.domain;
  std::size_t width = 1;
  for (const auto& r : plan.records) width = std::max(width, owner(r.name, origin).size());
  width = std::min<std::size_t>(width, 40);

  std::string out;
  out += "; DNS records for " + origin + ", printed by `hearth dns zone " + origin + "`.\n";
  out += "; Add them to the zone of " + origin + " at your DNS host (keep the zone's own SOA and NS records).\n";
  out += "$ORIGIN " + origin + ".\n";
  out += "$TTL " + std::to_string(ttl) + "\n";
  const std::string* group = nullptr;
  for (const auto& r : plan.records) {
    if (!group || *group != r.group) {
      out += "\n;; ---- " + one_line(r.group) + " ----\n";
      group = &r.group;
    }
    out += "; " + one_line(r.comment) + "\n";
    std::string name = owner(r.name, origin);
    if (name.size() < width) name.append(width - name.size(), ' ');
    std::string type = r.type;
    if (type.size() < 5) type.append(5 - type.size(), ' ');
    out += name + " IN " + type + " " + rdata(r) + "\n";
  }
  if (!plan.notes.empty()) {
    out += "\n;; ---- To do outside this zone ----\n";
    for (const auto& n : plan.notes) out += "; " + one_line(n) + "\n";
  }
  return out;
}

std::string to_json(const zone_plan& plan) {
  std::string out = "{\n  \"domain\": ";
  json_string(out, plan.domain);
  out += ",\n  \"ttl\": " + std::to_string(plan.ttl) + ",\n  \"records\": [";
  bool first = true;
  for (const auto& r : plan.records) {
    out += first ? "\n    {" : ",\n    {";
    first = false;
    out += "\"name\": ";
    json_string(out, r.name);
    out += ", \"type\": ";
    json_string(out, r.type);
    out += ", \"ttl\": " + std::to_string(plan.ttl) + ", \"value\": ";
    json_string(out, r.value);
    out += ", \"comment\": ";
    json_string(out, r.comment);
    out += ", \"group\": ";
    json_string(out, r.group);
    out += "}";
  }
  out += plan.records.empty() ? "],\n  \"notes\": [" : "\n  ],\n  \"notes\": [";
  first = true;
  for (const auto& n : plan.notes) {
    out += first ? "\n    " : ",\n    ";
    first = false;
    json_string(out, n);
  }
  out += plan.notes.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

}  // namespace hearth::rfc6764
