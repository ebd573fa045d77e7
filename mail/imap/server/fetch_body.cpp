#include "mail/imap/server/fetch_body.hpp"

#include "core/util/strings.hpp"
#include "mail/imap/proto/mutf7.hpp"
#include "mail/imap/proto/writer.hpp"
#include "mail/message/address.hpp"
#include "mail/message/encoding.hpp"

namespace hearth::mail::imap {
namespace {

bool is_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

// RFC 2047 B-encoding of a UTF-8 display name, so ENVELOPE stays 7-bit for IMAP4rev1 clients.
std::string encode_word(std::string_view s) {
  static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string b;
  std::size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    unsigned v = (unsigned char)s[i] << 16 | (unsigned char)s[i + 1] << 8 | (unsigned char)s[i + 2];
    b += tbl[v >> 18 & 63], b += tbl[v >> 12 & 63], b += tbl[v >> 6 & 63], b += tbl[v & 63];
  }
  if (i + 1 == s.size()) {
    unsigned v = (unsigned char)s[i] << 16;
    b += tbl[v >> 18 & 63], b += tbl[v >> 12 & 63], b += "==";
  } else if (i + 2 == s.size()) {
    unsigned v = (unsigned char)s[i] << 16 | (unsigned char)s[i + 1] << 8;
    b += tbl[v >> 18 & 63], b += tbl[v >> 12 & 63], b += tbl[v >> 6 & 63], b += '=';
  }
  return "=?utf-8?b?" + b + "?=";
}

void nstr(std::string& out, std::string_view s, bool utf8) {
  if (s.empty()) {
    out += "NIL";
    return;
  }
  write_string(out, s, utf8);
}

void field_nstring(std::string& out, const header_section& h, std::string_view name, bool utf8) {
  const header_field* f = h.find(name);
  if (!f) {
    out += "NIL";
    return;
  }
  std::string v = unfold(f->value);
  // RFC 6855 §7: a session that did not ENABLE UTF8=ACCEPT gets header values as IMAP4rev1 and
  // RFC 5322 have them, 7-bit; a raw UTF-8 Subject (a UTF8 APPEND, SMTPUTF8 mail) goes as an
  // encoded-word, as display names do (RFC 6857 §3.2). Other raw 8-bit stays as it is: its
  // charset is unknown, and a wrong label would be worse.
  if (!utf8 && name == "Subject" && !is_ascii(v) && valid_utf8(v)) v = encode_word(v);
  write_string(out, v, utf8);
}

void one_address(std::string& out, const address& a, bool utf8) {
  out += '(';
  if (a.display_name.empty()) out += "NIL";
  else write_string(out, utf8 || is_ascii(a.display_name) ? a.display_name : encode_word(a.display_name), utf8);
  out += ' ';
  nstr(out, a.route, utf8);
  out += ' ';
  nstr(out, a.local_part, utf8);
  out += ' ';
  nstr(out, a.domain, utf8);
  out += ')';
}

void address_field(std::string& out, const header_section& h, std::string_view name, bool utf8) {
  const header_field* f = h.find(name);
  if (!f) {
    out += "NIL";
    return;
  }
  auto list = parse_address_list(f->value);
  if (list.entries.empty()) {
    out += "NIL";
    return;
  }
  out += '(';
  for (const auto& e : list.entries) {
    if (!e.is_group) {
      one_address(out, e.mailbox, utf8);
      continue;
    }
    // RFC 9051 §7.5.2: a group is (NIL NIL "name" NIL) members (NIL NIL NIL NIL).
    out += "(NIL NIL ";
    write_string(out, utf8 || is_ascii(e.group_name) ? e.group_name : encode_word(e.group_name), utf8);
    out += " NIL)";
    for (const auto& m : e.members) one_address(out, m, utf8);
    out += "(NIL NIL NIL NIL)";
  }
  out += ')';
}

void params(std::string& out, const mime_parameters& ps, bool utf8) {
  if (ps.list.empty()) {
    out += "NIL";
    return;
  }
  out += '(';
  bool first = true;
  for (const auto& p : ps.list) {
    if (!first) out += ' ';
    first = false;
    // RFC 2231 parameters keep their extended form ("name*" "utf-8''%E2%82%AC") for clients
    // to decode; continuations are joined.
    write_string(out, util::to_upper(p.name) + (p.extended ? "*" : ""), utf8);
    out += ' ';
    write_string(out, p.raw, utf8);
  }
  out += ')';
}

void extension_tail(std::string& out, const body_part& p, bool utf8) {
  // body-fld-dsp SP body-fld-lang SP body-fld-loc
  out += ' ';
  if (p.disposition.type.empty()) {
    out += "NIL";
  } else {
    out += '(';
    write_string(out, util::to_upper(p.disposition.type), utf8);
    out += ' ';
    params(out, p.disposition.params, utf8);
    out += ')';
  }
  out += ' ';
  if (p.language.empty()) out += "NIL";
  else if (p.language.size() == 1) write_string(out, p.language[0], utf8);
  else {
    out += '(';
    for (std::size_t i = 0; i < p.language.size(); ++i) {
      if (i) out += ' ';
      write_string(out, p.language[i], utf8);
    }
    out += ')';
  }
  out += ' ';
  nstr(out, p.location, utf8);
}

}  // namespace

std::string envelope(const header_section& h, bool utf8) {
  std::string out = "(";
  field_nstring(out, h, "Date", utf8);
  out += ' ';
  field_nstring(out, h, "Subject", utf8);
  out += ' ';
  address_field(out, h, "From", utf8);
  out += ' ';
  // RFC 9051 §7.5.2: Sender and Reply-To default to From.
  address_field(out, h, h.find("Sender") ? "Sender" : "From", utf8);
  out += ' ';
  address_field(out, h, h.find("Reply-To") ? "Reply-To" : "From", utf8);
  out += ' ';
  address_field(out, h, "To", utf8);
  out += ' ';
  address_field(out, h, "Cc", utf8);
  out += ' ';
  address_field(out, h, "Bcc", utf8);
  out += ' ';
  field_nstring(out, h, "In-Reply-To", utf8);
  out += ' ';
  field_nstring(out, h, "Message-ID", utf8);
  out += ')';
  return out;
}

std::string body_structure(const body_part& p, bool ext, bool utf8) {
  std::string out = "(";
  if (p.type.is_multipart() && !p.children.empty()) {
    for (const auto& c : p.children) out += body_structure(c, ext, utf8);
    out += ' ';
    write_string(out, util::to_upper(p.type.subtype), utf8);
    if (ext) {
      out += ' ';
      params(out, p.type.params, utf8);
      extension_tail(out, p, utf8);
    }
    return out + ")";
  }
  write_string(out, util::to_upper(p.type.type), utf8);
  out += ' ';
  write_string(out, util::to_upper(p.type.subtype), utf8);
  out += ' ';
  params(out, p.type.params, utf8);
  out += ' ';
  nstr(out, p.id, utf8);
  out += ' ';
  const header_field* desc = p.header.find("Content-Description");
  nstr(out, desc ? unfold(desc->value) : std::string(), utf8);
  out += ' ';
  write_string(out, util::to_upper(p.encoding), utf8);
  out += ' ' + std::to_string(p.size());
  if (p.type.is_message() && p.children.size() == 1) {
    const auto& inner = p.children[0];
    out += ' ' + envelope(inner.header, utf8) + ' ' + body_structure(inner, ext, utf8) + ' ' + std::to_string(p.lines);
  } else if (p.type.type == "text") {
    out += ' ' + std::to_string(p.lines);
  }
  if (ext) {
    out += ' ';
    nstr(out, p.md5, utf8);
    extension_tail(out, p, utf8);
  }
  return out + ")";
}

namespace {

const body_part* navigate(const message_structure& m, const std::vector<std::uint32_t>& part) {
  std::vector<unsigned> path(part.begin(), part.end());
  return find_part(m.root, path);
}

std::string header_fields(const header_section& h, const std::vector<std::string>& names, bool negate) {
  std::string out;
  for (const auto& f : h.fields) {
    if (!f.valid) continue;
    bool listed = false;
    for (const auto& n : names)
      if (util::iequals(n, f.name)) listed = true;
    if (listed != negate) out += f.raw;
  }
  out += "\r\n";
  return out;
}

// The part a section names and, for HEADER / TEXT / HEADER.FIELDS, the message those apply to
// (the part itself, or the message a message/rfc822 part holds). nullptr: no such section.
const body_part* section_message(const message_structure& m, const section_spec& s, const body_part*& part) {
  part = s.part.empty() ? &m.root : navigate(m, s.part);
  if (!part || s.part.empty()) return part;
  if (!part->type.is_message() || part->children.size() != 1) return nullptr;
  return &part->children[0];
}

bool is_header_fields(const section_spec& s) { return s.text == "HEADER.FIELDS" || s.text == "HEADER.FIELDS.NOT"; }

}  // namespace

std::optional<std::pair<std::size_t, std::size_t>> section_range(const message_structure& m, std::size_t size,
                                                                 const section_spec& s) {
  const body_part* p = nullptr;
  const body_part* msg = section_message(m, s, p);
  if (!p) return std::nullopt;
  if (s.text.empty()) {
    if (s.part.empty()) return std::pair<std::size_t, std::size_t>{0, size};
    return std::pair{p->body_begin, p->body_end};
  }
  if (s.text == "MIME") {
    if (s.part.empty()) return std::nullopt;
    return std::pair{p->header_begin, p->body_begin};
  }
  if (!msg) return std::nullopt;
  if (s.text == "HEADER") return std::pair{msg->header_begin, msg->body_begin};
  if (s.text == "TEXT") return std::pair{msg->body_begin, msg->body_end};
  return std::nullopt;
}

std::optional<std::string> section_fields(const message_structure& m, const section_spec& s) {
  const body_part* p = nullptr;
  const body_part* msg = section_message(m, s, p);
  if (!msg || !is_header_fields(s)) return std::nullopt;
  return header_fields(msg->header, s.fields, s.text == "HEADER.FIELDS.NOT");
}

std::optional<std::string> section_bytes(const message_structure& m, std::string_view bytes, const section_spec& s) {
  if (is_header_fields(s)) return section_fields(m, s);
  auto r = section_range(m, bytes.size(), s);
  if (!r) return std::nullopt;
  return std::string(bytes.substr(r->first, r->second - r->first));
}

std::optional<std::string> binary_bytes(const message_structure& m, std::string_view bytes,
                                        const std::vector<std::uint32_t>& part, bool& unknown_cte) {
  unknown_cte = false;
  if (part.empty()) return std::string(bytes);
  const body_part* p = navigate(m, part);
  if (!p) return std::nullopt;
  auto body = bytes.substr(p->body_begin, p->body_end - p->body_begin);
  const auto& e = p->encoding;
  if (e == "7bit" || e == "8bit" || e == "binary" || e.empty()) return std::string(body);
  if (e == "base64" || e == "quoted-printable") return decode_transfer_encoding(body, e);
  unknown_cte = true;
  return std::nullopt;
}

std::string section_name(const section_spec& s) {
  std::string out;
  for (std::size_t i = 0; i < s.part.size(); ++i) {
    if (i) out += '.';
    out += std::to_string(s.part[i]);
  }
  if (!s.text.empty()) {
    if (!out.empty()) out += '.';
    out += s.text;
  }
  if (!s.fields.empty()) {
    out += " (";
    for (std::size_t i = 0; i < s.fields.size(); ++i) {
      if (i) out += ' ';
      out += s.fields[i];
    }
    out += ')';
  }
  return out;
}

}  // namespace hearth::mail::imap
