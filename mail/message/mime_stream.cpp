// The streaming MIME structure builder (mime_stream.hpp). It follows parse_message() line by
// line: the open entities form a stack (the root, the current part of each open multipart, the
// encapsulated message of a message/rfc822 part), and each line is first offered to the open
// multiparts as a delimiter, outermost first, because parse_message() splits the outer range
// before it looks inside a part. Two rules of the whole-message parser shape the rest:
//  - the line ending before a delimiter belongs to the delimiter (RFC 2046 §5.1.1), so a part
//    (and its header section) only knows where it ends once the delimiter line has arrived;
//    an empty line ending a header is therefore acted on when the next line is known not to be
//    an enclosing delimiter;
//  - a part's range never reaches past its parent's, so a part opened by a delimiter that
//    directly precedes an enclosing delimiter starts (empty) at the parent's end.
#include "mail/message/mime_stream.hpp"

#include <algorithm>
#include <cstring>

#include "mail/message/mime_detail.hpp"

namespace hearth::mail {

std::string_view streamed_structure::root_header() const {
  if (headers.empty()) return {};
  const body_part& r = structure.root;
  return std::string_view(*headers.front()).substr(0, r.body_begin - r.header_begin);
}

namespace {

// Of a line, this many first octets are kept: "--" + a boundary (at most 200 octets, as
// parse_message accepts) + "--" fits, and the rest of a delimiter line may only be
// whitespace and its line ending.
constexpr std::size_t line_head = 256;

struct frame {
  body_part part;
  std::size_t begin = 0;  // where the entity's range starts (its header)
  std::size_t end = 0;    // where it ends, once known
  unsigned depth = 0;
  bool digest_child = false;
  bool in_header = true;
  bool blank_seen = false;  // the header's empty line arrived (see the top of this file)
  std::string hbuf;         // the header section so far
  std::size_t nl_body = 0;  // line feeds before body_begin
  // A multipart being split.
  bool splitting = false;
  std::string boundary;
  bool closed = false, in_part = false;
  std::size_t part_start = 0, ranges = 0;
};

}  // namespace

struct structure_builder::impl {
  structure_limits lim;
  stream_limits sl;
  std::vector<frame> stack;
  streamed_structure out;
  std::size_t total = 0;       // octets fed
  std::size_t parts = 1;       // entities opened, as parse_message counts them
  std::size_t nl = 0;          // line feeds before line_start
  std::size_t line_start = 0;  // offset of the current line
  std::size_t line_len = 0;
  bool at_line_start = true;
  std::string head;            // the current line's first line_head octets
  char tail[3] = {};           // the rest of the line, collapsed (see take())
  std::size_t tail_len = 0;
  std::string full;            // the whole current line, while a header may need it
  bool want_full = false, full_overflow = false;
  std::string before, last;    // the last (up to 3) octets before line_start / fed so far
  std::size_t header_bytes = 0;
  bool failed = false, finished = false;

  impl(structure_limits l, stream_limits s) : lim(l), sl(s) {
    stack.emplace_back();
  }

  void fail() {
    failed = true;
    stack.clear();
    out = {};
    full.clear();
    full.shrink_to_fit();
  }

  // Octet x of the stream, for x in [line_start - before.size(), line_start).
  char byte_at(std::size_t x) const { return before[x - (line_start - before.size())]; }
  bool in_window(std::size_t x) const { return x + before.size() >= line_start && x <= line_start; }
  // Line feeds before offset x, x in the window.
  std::size_t nl_at(std::size_t x) const {
    std::size_t n = nl;
    for (std::size_t k = x; k < line_start; ++k)
      if (byte_at(k) == '\n') --n;
    return n;
  }

  void feed(std::string_view piece) {
    if (failed || finished) {
      total += piece.size();
      return;
    }
    std::size_t i = 0;
    while (i < piece.size() && !failed) {
      if (at_line_start) begin_line();
      const void* nlp = std::memchr(piece.data() + i, '\n', piece.size() - i);
      const std::size_t j = nlp ? static_cast<std::size_t>(static_cast<const char*>(nlp) - piece.data()) + 1 : piece.size();
      take(piece.substr(i, j - i));
      i = j;
      if (nlp) end_line(true);
    }
    if (failed) total += piece.size() - i;
  }

  void begin_line() {
    at_line_start = false;
    line_len = 0;
    head.clear();
    tail_len = 0;
    full.clear();
    full_overflow = false;
    want_full = stack.back().in_header;
  }

  void take(std::string_view seg) {
    line_len += seg.size();
    total += seg.size();
    const std::size_t h = std::min(seg.size(), line_head - head.size());
    head.append(seg.substr(0, h));
    // Past the head, a delimiter line may hold only whitespace and its line ending: what
    // matters of that rest is the order of its runs of whitespace, CR/LF and other octets,
    // kept collapsed (a valid rest collapses to at most two runs).
    if (h < seg.size() && !head.empty() && head[0] == '-') {
      for (char c : seg.substr(h)) {
        const char m = (c == ' ' || c == '\t') ? ' ' : (c == '\r' || c == '\n') ? '\r' : 'x';
        if (tail_len && tail[tail_len - 1] == m) continue;
        if (tail_len == 3) {
          tail[0] = 'x';
          tail_len = 1;
          continue;
        }
        tail[tail_len++] = m;
      }
    }
    if (want_full && !full_overflow) {
      if (full.size() + seg.size() > sl.max_header) {
        full_overflow = true;
        full.clear();
      } else {
        full.append(seg);
      }
    }
    if (seg.size() >= 3) {
      last.assign(seg.substr(seg.size() - 3));
    } else {
      last.append(seg);
      if (last.size() > 3) last.erase(0, last.size() - 3);
    }
  }

  void end_line(bool complete) {
    std::string line = head;
    line.append(tail, tail_len);
    dispatch(line, line_start + line_len);
    if (complete) ++nl;
    line_start += line_len;
    before = last;
    at_line_start = true;
  }

  void dispatch(std::string_view line, std::size_t le) {
    if (failed) return;
    if (!line.empty() && line[0] == '-') {
      for (std::size_t i = 0; i < stack.size(); ++i) {
        const frame& f = stack[i];
        if (!f.splitting || f.closed) continue;
        if (int kind = detail::delimiter_kind(line, f.boundary)) {
          on_delimiter(i, kind, le);
          return;
        }
      }
    }
    if (!stack.back().in_header) return;  // a body line
    if (stack.back().blank_seen) {
      // Not an enclosing delimiter: the header ends at its empty line, and this line is the
      // first of the body, where a multipart's first delimiter may already be.
      const std::size_t j = stack.size() - 1;
      commit_header(j, stack[j].hbuf, stack[j].begin);
      if (failed) return;
      if (stack[j].splitting && !line.empty() && line[0] == '-')
        if (int kind = detail::delimiter_kind(line, stack[j].boundary)) return on_delimiter(j, kind, le);
      if (!stack.back().in_header) return;
    }
    // A header line (of the top entity, or of the message just opened in its body).
    frame& t = stack.back();
    if (full_overflow || !want_full || t.hbuf.size() + full.size() > sl.max_header ||
        header_bytes + full.size() > sl.max_headers_total)
      return fail();
    t.hbuf += full;
    header_bytes += full.size();
    if (full == "\n" || full == "\r\n") t.blank_seen = true;  // RFC 5322 §2.1
  }

  void on_delimiter(std::size_t i, int kind, std::size_t le) {
    const std::size_t pos = line_start;
    std::size_t e = pos;
    frame& m = stack[i];
    if (m.in_part) {
      // RFC 2046 §5.1.1: the line ending before a delimiter belongs to the delimiter.
      if (e > m.part_start && in_window(e - 1) && byte_at(e - 1) == '\n') {
        --e;
        if (e > m.part_start && in_window(e - 1) && byte_at(e - 1) == '\r') --e;
      }
      ++m.ranges;
      close_above(i + 1, e);
      if (failed) return;
    }
    frame& mm = stack[i];
    if (kind == 2) {
      mm.closed = true;
      mm.in_part = false;
      return;
    }
    mm.in_part = true;
    mm.part_start = le;
    if (parts >= lim.max_parts) {
      mm.part.problems |= problem_part_limit;
      return;
    }
    ++parts;
    frame c;
    c.begin = le;
    c.depth = mm.depth + 1;
    c.digest_child = mm.part.type.subtype == "digest";
    stack.push_back(std::move(c));
  }

  // Ends the frames from index `first` to the top: the first at `end`, each deeper one at its
  // parent's body end (parse_message gives a part the rest of its parent's range).
  void close_above(std::size_t first, std::size_t end) {
    for (std::size_t j = first; j < stack.size() && !failed; ++j) {
      if (stack[j].in_header) {
        // Only the top entity can still be in its header; it may open an encapsulated message.
        const std::size_t b = std::min(stack[j].begin, end);
        const std::size_t keep = std::min(end - b, stack[j].hbuf.size());
        commit_header(j, std::string_view(stack[j].hbuf).substr(0, keep), b);
        if (failed) return;
      }
      frame& f = stack[j];
      f.end = std::max(end, f.part.body_begin);
      end = f.end;
    }
    while (stack.size() > first && !failed) pop();
  }

  void commit_header(std::size_t j, std::string_view bytes, std::size_t begin) {
    auto owned = std::make_unique<std::string>(bytes);
    frame& f = stack[j];
    header_section h = parse_header(*owned, 0, owned->size(), lim.header);
    for (auto& fld : h.fields) fld.offset += begin;
    h.begin += begin;
    h.end += begin;
    out.headers.push_back(std::move(owned));
    f.hbuf.clear();
    f.hbuf.shrink_to_fit();
    f.in_header = false;
    body_part& p = f.part;
    p.header = std::move(h);
    p.problems |= p.header.problems;
    p.header_begin = p.header.begin;
    p.body_begin = p.header.end;
    if (p.body_begin == line_start) f.nl_body = nl;
    else if (in_window(p.body_begin)) f.nl_body = nl_at(p.body_begin);
    else f.nl_body = nl;  // only for a body that ends where it starts (close_above)
    detail::describe(p, f.digest_child);
    switch (detail::classify(p, f.depth, parts, lim)) {
      case detail::entity_kind::multipart:
        f.splitting = true;
        f.boundary = p.type.params.get("boundary");
        break;
      case detail::entity_kind::encapsulated: {
        ++parts;
        frame c;
        c.begin = p.body_begin;
        c.depth = f.depth + 1;
        stack.push_back(std::move(c));
        break;
      }
      case detail::entity_kind::leaf:
        break;
    }
  }

  void pop() {
    frame f = std::move(stack.back());
    stack.pop_back();
    body_part& p = f.part;
    p.body_end = f.end;
    p.lines = 0;
    if (p.body_end > p.body_begin) {
      if (!in_window(p.body_end) || p.body_end == 0) return fail();
      p.lines = nl_at(p.body_end) - f.nl_body;
      if (byte_at(p.body_end - 1) != '\n') ++p.lines;
    }
    if (f.splitting) {
      if (f.in_part) ++f.ranges;
      if (f.ranges == 0) detail::degrade(p, problem_no_parts);
      else if (!f.closed) p.problems |= problem_missing_close;
    }
    if (stack.empty()) out.structure.root = std::move(p);
    else stack.back().part.children.push_back(std::move(p));
  }

  std::optional<streamed_structure> finish() {
    if (finished) return std::nullopt;
    finished = true;
    if (!failed && !at_line_start) end_line(false);
    if (!failed) close_above(0, total);
    if (failed) return std::nullopt;
    out.structure.part_count = parts;
    out.structure.problems = union_problems(out.structure.root);
    return std::move(out);
  }

  static std::uint32_t union_problems(const body_part& p) {
    std::uint32_t u = p.problems;
    for (const auto& c : p.children) u |= union_problems(c);
    return u;
  }
};

structure_builder::structure_builder(structure_limits limits, stream_limits stream)
    : d_(std::make_unique<impl>(limits, stream)) {}
structure_builder::~structure_builder() = default;
structure_builder::structure_builder(structure_builder&&) noexcept = default;
structure_builder& structure_builder::operator=(structure_builder&&) noexcept = default;

void structure_builder::feed(std::string_view piece) { d_->feed(piece); }
std::optional<streamed_structure> structure_builder::finish() { return d_->finish(); }
bool structure_builder::gave_up() const { return d_->failed; }
std::size_t structure_builder::size() const { return d_->total; }

}  // namespace hearth::mail
