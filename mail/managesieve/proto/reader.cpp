#include "mail/managesieve/proto/reader.hpp"

#include <charconv>

namespace hearth::mail::managesieve {
namespace {

bool is_atom_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-' || u == '_';
}

// A literal header "{N+}" or "{N}" ending the line: returns N and the offset of '{'.
std::optional<std::pair<std::uint64_t, std::size_t>> trailing_literal(std::string_view line) {
  if (line.empty() || line.back() != '}') return std::nullopt;
  auto open = line.rfind('{');
  if (open == std::string_view::npos) return std::nullopt;
  std::string_view inner = line.substr(open + 1, line.size() - open - 2);
  if (!inner.empty() && inner.back() == '+') inner.remove_suffix(1);
  if (inner.empty() || inner.size() > 10) return std::nullopt;
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(inner.data(), inner.data() + inner.size(), n);
  if (ec != std::errc() || p != inner.data() + inner.size()) return std::nullopt;
  return std::make_pair(n, open);
}

}  // namespace

void command_reader::reset() {
  cmd_ = {};
  started_ = false;
  response_mode_ = false;
  literal_ = 0;
  literal_pending_ = false;
  total_ = 0;
  error_.reset();
}

want command_reader::fail(std::string message) {
  if (!error_) error_ = std::move(message);
  return want::error;
}

want command_reader::feed_line(std::string_view line) {
  total_ += line.size() + 2;
  if (total_ > limits_.max_command) {
    error_ = "Command too long";
    return want::fatal;
  }
  auto lit = trailing_literal(line);
  if (lit && lit->first > limits_.max_literal) {
    error_ = "Literal too big";
    return want::fatal;
  }
  if (error_) {
    // Swallowing a bad command: follow its literals to its end.
    if (lit) {
      literal_ = lit->first;
      literal_pending_ = true;
      return want::literal;
    }
    return want::error;
  }
  std::size_t i = 0;
  auto bad = [&](std::string m) {
    if (lit) {
      error_ = std::move(m);
      literal_ = lit->first;
      literal_pending_ = true;
      return want::literal;
    }
    return fail(std::move(m));
  };
  if (!started_ && !response_mode_) {
    while (i < line.size() && is_atom_char(line[i])) ++i;
    if (i == 0) return bad(line.empty() ? "Empty command" : "Expected a command name");
    cmd_.name.reserve(i);
    for (std::size_t k = 0; k < i; ++k) {
      char c = line[k];
      cmd_.name.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
    }
    started_ = true;
    if (i < line.size() && line[i] != ' ') return bad("Invalid command name");
  } else if (response_mode_ && !started_) {
    started_ = true;
  }
  for (;;) {
    if (i == line.size()) return finish_line();
    // Arguments are separated by one space; a line continuing after a literal starts with it.
    if (!(response_mode_ && cmd_.args.empty() && i == 0)) {
      if (line[i] != ' ') return bad("Expected a space between arguments");
      ++i;
    }
    if (i == line.size()) return bad("Trailing space");
    if (cmd_.args.size() >= limits_.max_arguments) return bad("Too many arguments");
    char c = line[i];
    if (c == '"') {
      argument a;
      ++i;
      bool closed = false;
      while (i < line.size()) {
        char d = line[i++];
        if (d == '"') {
          closed = true;
          break;
        }
        if (d == '\\') {
          if (i == line.size() || (line[i] != '"' && line[i] != '\\')) return bad("Invalid escape in quoted string");
          d = line[i++];
        }
        if (d == '\0') return bad("NUL in quoted string");
        a.text.push_back(d);
        if (a.text.size() > limits_.max_quoted) return bad("Quoted string too long");
      }
      if (!closed) return bad("Unterminated quoted string");
      cmd_.args.push_back(std::move(a));
    } else if (c >= '0' && c <= '9') {
      std::size_t start = i;
      while (i < line.size() && line[i] >= '0' && line[i] <= '9') ++i;
      std::string_view digits = line.substr(start, i - start);
      std::uint64_t n = 0;
      auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
      if (ec != std::errc() || n > 0xffffffffull) return bad("Number too big");
      (void)p;
      argument a;
      a.type = argument::kind::number;
      a.text = std::string(digits);
      a.number = n;
      cmd_.args.push_back(std::move(a));
    } else if (c == '{') {
      if (!lit || lit->second != i) return bad("Invalid literal");
      literal_ = lit->first;
      literal_pending_ = true;
      return want::literal;
    } else {
      return bad("Expected a string or a number");
    }
  }
}

want command_reader::finish_line() {
  if (response_mode_ && cmd_.args.size() != 1) return fail("Expected one string");
  return want::command;
}

want command_reader::feed_literal(std::string_view bytes) {
  literal_pending_ = false;
  total_ += bytes.size();
  if (total_ > limits_.max_command) {
    error_ = "Command too long";
    return want::fatal;
  }
  if (!error_) {
    argument a;
    a.text = std::string(bytes);
    a.literal = true;
    cmd_.args.push_back(std::move(a));
  }
  literal_ = 0;
  return want::line;
}

command command_reader::take() {
  command c = std::move(cmd_);
  reset();
  return c;
}

std::string command_reader::take_error() {
  std::string e = error_.value_or("Syntax error");
  reset();
  return e;
}

std::string quote(std::string_view s) {
  bool plain = s.size() <= 1024;
  for (char c : s)
    if (c == '\r' || c == '\n' || c == '\0') plain = false;
  if (!plain) return "{" + std::to_string(s.size()) + "}\r\n" + std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace hearth::mail::managesieve
