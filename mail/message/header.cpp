#include "mail/message/header.hpp"

#include "core/util/strings.hpp"
#include "mail/message/encoding.hpp"

namespace hearth::mail {

const header_field* header_section::find(std::string_view name) const {
  for (const auto& f : fields)
    if (f.valid && util::iequals(f.name, name)) return &f;
  return nullptr;
}

std::vector<const header_field*> header_section::find_all(std::string_view name) const {
  std::vector<const header_field*> out;
  for (const auto& f : fields)
    if (f.valid && util::iequals(f.name, name)) out.push_back(&f);
  return out;
}

namespace {

// RFC 5322 §3.6.8: ftext is printable US-ASCII except the colon.
bool valid_field_name(std::string_view n) {
  if (n.empty()) return false;
  for (unsigned char c : n)
    if (c < 33 || c > 126 || c == ':') return false;
  return true;
}

}  // namespace

header_section parse_header(std::string_view data, std::size_t begin, std::size_t end,
                            const header_limits& limits) {
  header_section h;
  if (end > data.size()) end = data.size();
  if (begin > end) begin = end;
  h.begin = begin;
  h.end = end;
  std::size_t pos = begin;
  bool have_open = false;  // a field is being built and may receive continuation lines
  header_field cur;
  auto close_field = [&](std::size_t field_end) {
    if (!have_open) return;
    have_open = false;
    cur.raw = data.substr(cur.offset, field_end - cur.offset);
    // value excludes the final line ending
    std::size_t vend = field_end;
    if (vend > cur.offset && data[vend - 1] == '\n') {
      --vend;
      if (vend > cur.offset && data[vend - 1] == '\r') --vend;
    }
    std::size_t vstart = static_cast<std::size_t>(cur.value.data() - data.data());
    if (vend < vstart) vend = vstart;
    cur.value = data.substr(vstart, vend - vstart);
    ++h.field_count;
    if (h.fields.size() >= limits.max_fields) {
      h.problems |= problem_too_many_fields;
    } else if (field_end - begin > limits.max_section) {
      h.problems |= problem_header_too_large;
    } else {
      h.fields.push_back(cur);
    }
  };
  while (pos < end) {
    std::size_t nl = data.substr(0, end).find('\n', pos);  // never scan past the range
    std::size_t line_end = (nl == std::string_view::npos || nl >= end) ? end : nl + 1;
    std::size_t content_end = line_end;  // without the line ending
    if (line_end > pos && data[line_end - 1] == '\n') {
      --content_end;
      if (content_end > pos && data[content_end - 1] == '\r')
        --content_end;
      else
        h.problems |= problem_bare_lf;
    }
    std::string_view line = data.substr(pos, content_end - pos);
    if (line.size() > limits.max_line) h.problems |= problem_line_too_long;
    for (unsigned char c : line) {
      if (c == 0) h.problems |= problem_nul;
      if (c >= 0x80) h.problems |= problem_8bit_header;
    }
    if (line.empty() && line_end > content_end) {
      // RFC 5322 §2.1: the empty line separates header and body.
      close_field(pos);
      h.end = line_end;
      return h;
    }
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && have_open) {
      pos = line_end;  // RFC 5322 §2.2.3: a folded continuation of the open field
      continue;
    }
    close_field(pos);
    std::size_t colon = line.find(':');
    cur = header_field{};
    cur.offset = pos;
    if (colon == std::string_view::npos) {
      cur.valid = false;
      cur.value = data.substr(content_end, 0);
      h.problems |= problem_malformed_field;
    } else {
      // obs-optional (RFC 5322 §4.5) allows WSP between the name and the colon.
      std::string_view name = line.substr(0, colon);
      while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
      cur.name = name;
      cur.value = data.substr(pos + colon + 1, 0);
      if (!valid_field_name(name)) {
        cur.valid = false;
        h.problems |= problem_malformed_field;
      }
    }
    have_open = true;
    pos = line_end;
    if (line_end == content_end) break;  // last line without a line ending
  }
  close_field(end);
  h.end = end;
  h.problems |= problem_no_body_separator;
  return h;
}

std::string unfold(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '\r' && i + 1 < value.size() && value[i + 1] == '\n') continue;
    if (c == '\n') continue;
    out.push_back(c);
  }
  return std::string(util::trim(out));
}

std::string display_value(const header_field& field) {
  return decode_encoded_words(unfold(field.value)).text;
}

}  // namespace hearth::mail
