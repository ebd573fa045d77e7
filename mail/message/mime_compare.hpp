// Field-for-field comparison of two MIME structures, for the tests and the fuzz target that
// hold the streaming builder (mime_stream.hpp) to parse_message(). Header fields are compared
// by content and offset, not by address: the two keep their bytes in different buffers.
#pragma once
#include <string>

#include "mail/message/mime.hpp"

namespace hearth::mail {

// Empty when equal; otherwise where they first differ ("1.2: body_end 40 != 42").
inline std::string structure_difference(const body_part& a, const body_part& b, const std::string& at = "root") {
  auto num = [&](const char* what, std::size_t x, std::size_t y) {
    return at + ": " + what + " " + std::to_string(x) + " != " + std::to_string(y);
  };
  if (a.header_begin != b.header_begin) return num("header_begin", a.header_begin, b.header_begin);
  if (a.body_begin != b.body_begin) return num("body_begin", a.body_begin, b.body_begin);
  if (a.body_end != b.body_end) return num("body_end", a.body_end, b.body_end);
  if (a.lines != b.lines) return num("lines", a.lines, b.lines);
  if (a.problems != b.problems) return num("problems", a.problems, b.problems);
  const header_section &ha = a.header, &hb = b.header;
  if (ha.begin != hb.begin || ha.end != hb.end || ha.problems != hb.problems || ha.field_count != hb.field_count)
    return at + ": header section";
  if (ha.fields.size() != hb.fields.size()) return num("fields", ha.fields.size(), hb.fields.size());
  for (std::size_t i = 0; i < ha.fields.size(); ++i) {
    const auto &fa = ha.fields[i], &fb = hb.fields[i];
    if (fa.name != fb.name || fa.value != fb.value || fa.raw != fb.raw || fa.offset != fb.offset || fa.valid != fb.valid)
      return at + ": field " + std::to_string(i);
  }
  if (a.type.type != b.type.type || a.type.subtype != b.type.subtype || a.type.valid != b.type.valid)
    return at + ": type " + a.type.type + "/" + a.type.subtype + " != " + b.type.type + "/" + b.type.subtype;
  auto same_params = [](const mime_parameters& x, const mime_parameters& y) {
    if (x.list.size() != y.list.size()) return false;
    for (std::size_t i = 0; i < x.list.size(); ++i) {
      const auto &p = x.list[i], &q = y.list[i];
      if (p.name != q.name || p.value != q.value || p.raw != q.raw || p.charset != q.charset ||
          p.language != q.language || p.extended != q.extended || p.unknown_charset != q.unknown_charset)
        return false;
    }
    return true;
  };
  if (!same_params(a.type.params, b.type.params)) return at + ": type parameters";
  if (a.encoding != b.encoding) return at + ": encoding";
  if (a.disposition.type != b.disposition.type || !same_params(a.disposition.params, b.disposition.params))
    return at + ": disposition";
  if (a.id != b.id || a.description != b.description || a.location != b.location || a.md5 != b.md5 ||
      a.language != b.language)
    return at + ": content fields";
  if (a.children.size() != b.children.size()) return num("children", a.children.size(), b.children.size());
  for (std::size_t i = 0; i < a.children.size(); ++i) {
    auto d = structure_difference(a.children[i], b.children[i], at + "." + std::to_string(i + 1));
    if (!d.empty()) return d;
  }
  return {};
}

inline std::string structure_difference(const message_structure& a, const message_structure& b) {
  if (a.problems != b.problems) return "problems " + std::to_string(a.problems) + " != " + std::to_string(b.problems);
  if (a.part_count != b.part_count)
    return "part_count " + std::to_string(a.part_count) + " != " + std::to_string(b.part_count);
  return structure_difference(a.root, b.root);
}

}  // namespace hearth::mail
