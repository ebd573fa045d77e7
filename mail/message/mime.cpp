// MIME entity parsing: Content-* fields and the multipart / message tree (mime.hpp).
#include "mail/message/mime.hpp"

#include "core/util/strings.hpp"
#include "mail/message/encoding.hpp"
#include "mail/message/mime_detail.hpp"

namespace hearth::mail {

bool content_type::is(std::string_view t, std::string_view s) const {
  return util::iequals(type, t) && util::iequals(subtype, s);
}

bool content_type::is_message() const {
  return type == "message" && (subtype == "rfc822" || subtype == "global");
}

namespace {

// RFC 2045 §5.1 token: printable ASCII except SPACE and tspecials.
bool is_token_char(unsigned char c) {
  return c > 32 && c < 127 && std::string_view("()<>@,;:\\\"/[]?=").find(static_cast<char>(c)) == std::string_view::npos;
}

}  // namespace

namespace detail {

content_type default_text() {
  content_type t;
  mime_parameter cs;
  cs.name = "charset";
  cs.value = cs.raw = "us-ascii";
  t.params.list.push_back(cs);
  return t;
}

}  // namespace detail

namespace {

using detail::default_text;

// Reads a token at s[i..], skipping leading whitespace; empty when there is none.
std::string read_token(std::string_view s, std::size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
  std::size_t b = i;
  while (i < s.size() && is_token_char(static_cast<unsigned char>(s[i]))) ++i;
  return util::to_lower(s.substr(b, i - b));
}

void skip_ws(std::string_view s, std::size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
}

}  // namespace

content_type parse_content_type(std::string_view value) {
  std::size_t i = 0;
  std::string type = read_token(value, i);
  skip_ws(value, i);
  if (type.empty() || i >= value.size() || value[i] != '/') {
    auto t = default_text();
    t.valid = false;
    return t;
  }
  ++i;
  std::string sub = read_token(value, i);
  if (sub.empty()) {
    auto t = default_text();
    t.valid = false;
    return t;
  }
  content_type t;
  t.type = std::move(type);
  t.subtype = std::move(sub);
  t.params = parse_parameters(value.substr(i));
  return t;
}

content_disposition parse_content_disposition(std::string_view value) {
  content_disposition d;
  std::size_t i = 0;
  d.type = read_token(value, i);
  d.params = parse_parameters(value.substr(i));
  return d;
}

namespace {

struct context {
  std::string_view msg;
  const structure_limits& limits;
  std::size_t parts = 0;
  std::uint32_t problems = 0;
};

std::size_t count_lines(std::string_view body) {
  std::size_t n = 0;
  for (char c : body)
    if (c == '\n') ++n;
  if (!body.empty() && body.back() != '\n') ++n;
  return n;
}

using detail::degrade;
using detail::delimiter_kind;

void parse_entity(context& ctx, body_part& p, std::size_t begin, std::size_t end, unsigned depth,
                  bool digest_child);

void split_multipart(context& ctx, body_part& p, unsigned depth) {
  const std::string boundary = p.type.params.get("boundary");  // classify() checked it
  bool digest = p.type.subtype == "digest";
  std::string_view msg = ctx.msg;
  std::size_t pos = p.body_begin, be = p.body_end;
  bool in_part = false, closed = false;
  std::size_t part_start = 0;
  struct range { std::size_t b, e; };
  std::vector<range> ranges;
  while (pos < be) {
    std::size_t nl = msg.substr(0, be).find('\n', pos);  // never scan past the range
    std::size_t le = (nl == std::string_view::npos || nl >= be) ? be : nl + 1;
    int kind = msg[pos] == '-' ? delimiter_kind(msg.substr(pos, le - pos), boundary) : 0;
    if (kind != 0) {
      if (in_part) {
        // The line ending before a delimiter belongs to the delimiter (RFC 2046 §5.1.1).
        std::size_t e = pos;
        if (e > part_start && msg[e - 1] == '\n') {
          --e;
          if (e > part_start && msg[e - 1] == '\r') --e;
        }
        ranges.push_back({part_start, e});
      }
      if (kind == 2) {
        closed = true;
        in_part = false;
        break;
      }
      in_part = true;
      part_start = le;
    }
    pos = le;
  }
  if (in_part) ranges.push_back({part_start, be});
  if (ranges.empty()) {
    degrade(p, problem_no_parts);
    return;
  }
  if (!closed) p.problems |= problem_missing_close;
  for (const auto& r : ranges) {
    if (ctx.parts >= ctx.limits.max_parts) {
      p.problems |= problem_part_limit;
      break;
    }
    p.children.emplace_back();
    parse_entity(ctx, p.children.back(), r.b, r.e, depth + 1, digest);
  }
}

void parse_entity(context& ctx, body_part& p, std::size_t begin, std::size_t end, unsigned depth,
                  bool digest_child) {
  ++ctx.parts;
  p.header = parse_header(ctx.msg, begin, end, ctx.limits.header);
  p.problems |= p.header.problems;
  p.header_begin = p.header.begin;
  p.body_begin = p.header.end;
  p.body_end = end < p.body_begin ? p.body_begin : end;
  p.lines = count_lines(ctx.msg.substr(p.body_begin, p.body_end - p.body_begin));

  detail::describe(p, digest_child);

  switch (detail::classify(p, depth, ctx.parts, ctx.limits)) {
    case detail::entity_kind::multipart:
      split_multipart(ctx, p, depth);
      break;
    case detail::entity_kind::encapsulated:
      p.children.emplace_back();
      parse_entity(ctx, p.children.back(), p.body_begin, p.body_end, depth + 1, false);
      break;
    case detail::entity_kind::leaf:
      break;
  }
  ctx.problems |= p.problems;
}

}  // namespace

namespace detail {

int delimiter_kind(std::string_view line, std::string_view boundary) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.size() < boundary.size() + 2 || line[0] != '-' || line[1] != '-' ||
      line.substr(2, boundary.size()) != boundary)
    return 0;
  std::string_view rest = line.substr(2 + boundary.size());
  int kind = 1;
  if (rest.starts_with("--")) {
    kind = 2;
    rest.remove_prefix(2);
  }
  for (char c : rest)
    if (c != ' ' && c != '\t') return 0;
  return kind;
}

void degrade(body_part& p, problem why) {
  p.type = default_text();
  p.children.clear();
  p.problems |= why;
}

void describe(body_part& p, bool digest_child) {
  if (auto f = p.header.find("Content-Type")) {
    p.type = parse_content_type(unfold(f->value));
    if (!p.type.valid) p.type = default_text();
  } else if (digest_child) {
    // RFC 2046 §5.1.5: in a digest the default is message/rfc822.
    p.type = content_type{};
    p.type.type = "message";
    p.type.subtype = "rfc822";
  } else {
    p.type = default_text();  // RFC 2045 §5.2
  }
  if (auto f = p.header.find("Content-Transfer-Encoding")) {
    std::string e = util::to_lower(unfold(f->value));
    if (!e.empty()) p.encoding = std::move(e);
  }
  if (auto f = p.header.find("Content-Disposition")) p.disposition = parse_content_disposition(unfold(f->value));
  if (auto f = p.header.find("Content-ID")) p.id = unfold(f->value);
  if (auto f = p.header.find("Content-Description")) p.description = display_value(*f);
  if (auto f = p.header.find("Content-Location")) p.location = unfold(f->value);
  if (auto f = p.header.find("Content-MD5")) p.md5 = unfold(f->value);
  if (auto f = p.header.find("Content-Language")) {
    const std::string langs = unfold(f->value);  // split() views into it: it must outlive the loop
    for (auto tag : util::split(langs, ',')) {
      auto t = util::trim(tag);
      if (!t.empty() && p.language.size() < 32) p.language.emplace_back(t);
    }
  }
}

entity_kind classify(body_part& p, unsigned depth, std::size_t parts, const structure_limits& limits) {
  if (p.type.is_multipart()) {
    if (depth >= limits.max_depth) {
      degrade(p, problem_depth_limit);
      return entity_kind::leaf;
    }
    const mime_parameter* b = p.type.params.find("boundary");
    if (!b || b->value.empty() || b->value.size() > 200) {
      degrade(p, problem_missing_boundary);
      return entity_kind::leaf;
    }
    return entity_kind::multipart;
  }
  if (p.type.is_message()) {
    // RFC 2046 §5.2.1: only 7bit, 8bit or binary; an encoded one cannot be parsed in place.
    bool identity = p.encoding == "7bit" || p.encoding == "8bit" || p.encoding == "binary";
    if (depth >= limits.max_depth) {
      degrade(p, problem_depth_limit);
    } else if (!identity) {
      degrade(p, problem_no_parts);
    } else if (parts >= limits.max_parts) {
      degrade(p, problem_part_limit);
    } else {
      return entity_kind::encapsulated;
    }
  }
  return entity_kind::leaf;
}

}  // namespace detail

message_structure parse_message(std::string_view message, const structure_limits& limits) {
  context ctx{message, limits};
  message_structure out;
  parse_entity(ctx, out.root, 0, message.size(), 0, false);
  out.problems = ctx.problems;
  out.part_count = ctx.parts;
  return out;
}

const body_part* find_part(const body_part& root, const std::vector<unsigned>& path) {
  const body_part* cur = &root;
  bool at_message = true;  // the root is a message; its parts are numbered directly
  for (unsigned n : path) {
    const body_part* m = cur;
    if (!at_message && m->type.is_message() && m->children.size() == 1) m = &m->children[0];
    if (m->type.is_multipart() && !m->children.empty()) {
      if (n < 1 || n > m->children.size()) return nullptr;
      cur = &m->children[n - 1];
    } else {
      if (n != 1) return nullptr;
      cur = m;
    }
    at_message = false;
  }
  return cur;
}

}  // namespace hearth::mail
