#include "mail/queue/reply.hpp"

#include <cctype>
#include <charconv>

namespace hearth::mail::queue {

namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }

// RFC 3463 §2: class "." subject "." detail, class 2/4/5, subject and detail 1-3 digits.
std::size_t enhanced_prefix(std::string_view s, int code) {
  if (s.size() < 5 || !digit(s[0]) || s[1] != '.') return 0;
  if (s[0] - '0' != code / 100) return 0;
  std::size_t i = 2, n = 0;
  while (i < s.size() && digit(s[i]) && n < 3) ++i, ++n;
  if (n == 0 || i >= s.size() || s[i] != '.') return 0;
  ++i;
  n = 0;
  while (i < s.size() && digit(s[i]) && n < 3) ++i, ++n;
  if (n == 0) return 0;
  if (i < s.size() && s[i] != ' ') return 0;
  return i;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string smtp_reply::summary() const {
  std::string out = std::to_string(code);
  if (!enhanced.empty()) out += " " + enhanced;
  for (const auto& l : lines) {
    if (l.empty()) continue;
    out += ' ';
    out += l;
  }
  return out;
}

std::string smtp_reply::status() const {
  if (!enhanced.empty()) return enhanced;
  if (code >= 500) return "5.0.0";
  if (code >= 400) return "4.0.0";
  return "2.0.0";
}

reply_parser::state reply_parser::feed(std::string_view line) {
  if (line.size() > max_reply_line) {
    error_ = "reply line too long";
    return state::error;
  }
  if (line.size() < 3 || !digit(line[0]) || !digit(line[1]) || !digit(line[2]) || line[0] < '1' || line[0] > '5') {
    error_ = "reply line without a code";
    return state::error;
  }
  int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (line.size() > 3 && line[3] != ' ' && line[3] != '-') {
    error_ = "reply code not followed by a space or a hyphen";
    return state::error;
  }
  if (!cur_.lines.empty() && code != cur_.code) {
    error_ = "reply lines with different codes";
    return state::error;
  }
  if (cur_.lines.size() >= max_reply_lines) {
    error_ = "too many reply lines";
    return state::error;
  }
  cur_.code = code;
  bool more = line.size() > 3 && line[3] == '-';
  std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view{};
  if (std::size_t n = enhanced_prefix(text, code)) {
    if (cur_.lines.empty()) cur_.enhanced = std::string(text.substr(0, n));
    text.remove_prefix(n);
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  }
  std::string clean;
  clean.reserve(text.size());
  for (char c : text) clean += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  cur_.lines.push_back(std::move(clean));
  return more ? state::more : state::done;
}

smtp_reply reply_parser::take() {
  smtp_reply r = std::move(cur_);
  cur_ = {};
  error_.clear();
  return r;
}

ehlo_caps parse_ehlo(const smtp_reply& r) {
  ehlo_caps caps;
  for (std::size_t i = 1; i < r.lines.size(); ++i) {
    std::string_view l = r.lines[i];
    std::size_t sp = l.find(' ');
    std::string kw = upper(l.substr(0, sp));
    std::string_view arg = sp == std::string_view::npos ? std::string_view{} : l.substr(sp + 1);
    if (kw == "STARTTLS") caps.starttls = true;
    else if (kw == "PIPELINING") caps.pipelining = true;
    else if (kw == "8BITMIME") caps.eightbitmime = true;
    else if (kw == "SMTPUTF8") caps.smtputf8 = true;
    else if (kw == "DSN") caps.dsn = true;
    else if (kw == "CHUNKING") caps.chunking = true;
    else if (kw == "REQUIRETLS") caps.requiretls = true;
    else if (kw == "ENHANCEDSTATUSCODES") caps.enhanced = true;
    else if (kw == "AUTH") {
      std::size_t n = 0;
      while (!arg.empty() && n++ < 32) {
        const auto end = arg.find(' ');
        if (end != 0) caps.auth.push_back(upper(arg.substr(0, end)));
        if (end == std::string_view::npos) break;
        arg.remove_prefix(end + 1);
      }
    }
    else if (kw == "SIZE") {
      caps.size = true;
      std::uint64_t n = 0;
      auto [p, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), n);
      if (ec == std::errc{} && p != arg.data()) caps.max_size = n;
    }
  }
  return caps;
}

void wire_encoder::feed(std::string_view piece, std::string& out) {
  const std::size_t before = out.size();
  std::size_t run = 0;  // start of the current run of plain octets, copied in one append
  auto flush = [&](std::size_t to) {
    if (to > run) out.append(piece.data() + run, to - run);
  };
  for (std::size_t i = 0; i < piece.size(); ++i) {
    const char c = piece[i];
    any_ = true;
    if (c == '\n' && after_cr_) {  // the LF of a CRLF: its line end went out with the CR
      after_cr_ = false;
      flush(i);
      run = i + 1;
      continue;
    }
    after_cr_ = false;
    if (c == '\r' || c == '\n') {
      flush(i);
      out += "\r\n";
      run = i + 1;
      after_cr_ = c == '\r';
      bol_ = true;
      continue;
    }
    if (static_cast<unsigned char>(c) >= 0x80) eight_bit_ = true;
    if (bol_ && stuff_ && c == '.') {
      flush(i);
      out += '.';
      run = i;
    }
    bol_ = false;
  }
  flush(piece.size());
  size_ += out.size() - before;
}

void wire_encoder::finish(std::string& out) {
  const std::size_t before = out.size();
  if (any_ && !bol_) out += "\r\n";
  if (stuff_) out += ".\r\n";
  bol_ = true;
  size_ += out.size() - before;
}

namespace {

std::string encoded(std::string_view m, bool stuff) {
  std::string out;
  out.reserve(m.size() + m.size() / 50 + 8);
  wire_encoder e(stuff);
  e.feed(m, out);
  e.finish(out);
  return out;
}

}  // namespace

std::string crlf_normalise(std::string_view m) { return encoded(m, false); }

std::string dot_stuff(std::string_view message) { return encoded(message, true); }

bool has_8bit(std::string_view m) {
  for (char c : m)
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  return false;
}

std::string xtext_decode(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace hearth::mail::queue
