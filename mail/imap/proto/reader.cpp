#include "mail/imap/proto/reader.hpp"

#include "core/util/strings.hpp"
#include "mail/imap/proto/lexer.hpp"

#include <algorithm>
#include <optional>

namespace hearth::mail::imap {
using util::iequals;
using util::istarts_with;
using util::to_lower;
using util::to_upper;
namespace {

struct marker {
  std::uint64_t length = 0;
  bool sync = true;
};

// A line that ends in literal = "{" number64 ["+"] "}" (or literal8 "~{...}") announces a literal.
std::optional<marker> literal_marker(std::string_view line) {
  if (line.empty() || line.back() != '}') return std::nullopt;
  line.remove_suffix(1);
  marker m;
  if (!line.empty() && line.back() == '+') {
    m.sync = false;
    line.remove_suffix(1);
  }
  std::size_t digits = 0;
  while (digits < line.size() && line[line.size() - 1 - digits] >= '0' &&
         line[line.size() - 1 - digits] <= '9')
    ++digits;
  if (digits == 0 || digits > 19 || digits == line.size() || line[line.size() - 1 - digits] != '{')
    return std::nullopt;
  for (char c : line.substr(line.size() - digits)) m.length = m.length * 10 + static_cast<unsigned>(c - '0');
  return m;
}

}  // namespace

std::string streamed_literal(std::size_t k) { return "\x01\x02streamed literal " + std::to_string(k) + "\x02\x01"; }

std::string command_reader::frame_tag() const {
  std::size_t n = 0;
  while (n < frame_.size() && is_astring_char(frame_[n]) && frame_[n] != '+') ++n;
  if (n == 0 || n > 64 || (n < frame_.size() && frame_[n] != ' ')) return "";
  return frame_.substr(0, n);
}

bool command_reader::is_append() const {
  auto sp = frame_.find(' ');
  if (sp == std::string::npos) return false;
  return istarts_with(std::string_view(frame_).substr(sp + 1), "APPEND ");
}

event command_reader::reject(std::string code, std::string message) {
  event e;
  e.kind = event_kind::error;
  e.tag = raw_line_ ? "" : frame_tag();
  e.err = fail(std::move(code), std::move(message));
  frame_.clear();
  line_start_ = 0;
  raw_line_ = false;
  streamed_ = 0;
  return e;
}

// Called with frame_ holding a complete line ending in CRLF. nullopt: keep reading.
std::optional<event> command_reader::finish_line() {
  std::string_view line(frame_);
  line = line.substr(line_start_, line.size() - line_start_ - 2);
  if (raw_line_) {
    event e;
    e.kind = event_kind::line;
    e.line = std::string(line);
    frame_.clear();
    line_start_ = 0;
    raw_line_ = false;
    return e;
  }
  if (auto m = literal_marker(line)) {
    std::size_t limit = is_append() ? limits_.max_literal : limits_.max_other_literal;
    if (m->length > limit || m->length + frame_.size() > limits_.max_command) {
      // RFC 7888 §4 / RFC 9051 §7.1: refuse before reading; a non-synchronizing literal
      // arrives anyway and is skipped without buffering.
      bool sync = m->sync;
      auto e = reject("imap.literal_too_big", "literal too large");
      if (!sync) {
        state_ = state::skip_literal;
        remaining_ = m->length;
        tail_.clear();
      }
      return e;
    }
    remaining_ = m->length;
    if (stream_min_ > 0 && m->length >= stream_min_ && is_append() &&
        to_upper(frame_).find("CATENATE") == std::string::npos) {
      // The frame gets the token as a literal of its own length, in the marker's place.
      frame_.erase(frame_.rfind('{', frame_.size() - 3));
      const std::string token = streamed_literal(streamed_++);
      frame_ += "{" + std::to_string(token.size()) + "}\r\n" + token;
      state_ = state::stream_literal;
      event e;
      e.kind = event_kind::literal_start;
      e.literal_size = m->length;
      e.sync = m->sync;
      return e;
    }
    state_ = state::literal;
    if (m->sync) {
      event e;
      e.kind = event_kind::send_continuation;
      return e;
    }
    return std::nullopt;
  }
  if (frame_ == "\r\n") {  // an empty line is not a command; ignore it as Dovecot does
    frame_.clear();
    return std::nullopt;
  }
  auto p = parse_command(frame_, opts_);
  frame_.clear();
  line_start_ = 0;
  streamed_ = 0;
  event e;
  e.tag = std::move(p.tag);
  if (p.cmd) {
    e.kind = event_kind::command;
    e.cmd = std::move(*p.cmd);
  } else {
    e.kind = event_kind::error;
    e.err = p.cmd.error();
  }
  return e;
}

event command_reader::next() {
  // Each pass consumes input or returns, so the loop ends.
  for (;;) {
    if (in_pos_ >= 4096 || (in_pos_ > 0 && in_pos_ == in_.size())) {
      in_.erase(0, in_pos_);
      in_pos_ = 0;
    }
    std::string_view avail = std::string_view(in_).substr(in_pos_);
    switch (state_) {
      case state::literal:
      case state::skip_literal: {
        if (remaining_ > 0 && avail.empty()) return event{};
        auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, avail.size()));
        if (state_ == state::literal) frame_.append(avail.substr(0, n));
        in_pos_ += n;
        remaining_ -= n;
        if (remaining_ > 0) return event{};
        if (state_ == state::literal) {
          state_ = state::line;
          line_start_ = frame_.size();
        } else {
          state_ = state::discard_line;
        }
        continue;
      }
      case state::stream_literal: {
        if (remaining_ > 0 && avail.empty()) return event{};
        auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, avail.size()));
        event e;
        e.kind = event_kind::literal_data;
        e.data = std::string(avail.substr(0, n));
        in_pos_ += n;
        remaining_ -= n;
        if (remaining_ == 0) {
          state_ = state::line;
          line_start_ = frame_.size();
        }
        return e;
      }
      case state::discard_line: {
        auto lf = avail.find('\n');
        auto chunk = avail.substr(0, lf == std::string_view::npos ? avail.size() : lf);
        tail_.append(chunk);
        if (tail_.size() > 32) tail_.erase(0, tail_.size() - 32);
        if (lf == std::string_view::npos) {
          in_pos_ += avail.size();
          return event{};
        }
        in_pos_ += lf + 1;
        if (!tail_.empty() && tail_.back() == '\r') tail_.pop_back();
        auto m = literal_marker(tail_);
        tail_.clear();
        if (m && !m->sync) {
          state_ = state::skip_literal;
          remaining_ = m->length;
        } else {
          state_ = state::line;
        }
        continue;
      }
      case state::line: {
        auto lf = avail.find('\n');
        std::size_t take = lf == std::string_view::npos ? avail.size() : lf;
        if (frame_.size() - line_start_ + take > limits_.max_line ||
            frame_.size() + take > limits_.max_command) {
          in_pos_ += lf == std::string_view::npos ? avail.size() : lf + 1;
          auto e = reject("imap.line_too_long", "command line too long");
          if (lf == std::string_view::npos) {
            state_ = state::discard_line;
            tail_.clear();
          }
          return e;
        }
        frame_.append(avail.substr(0, take));
        if (lf == std::string_view::npos) {
          in_pos_ += avail.size();
          return event{};
        }
        in_pos_ += lf + 1;
        // Lines end in CRLF (RFC 9051 §2.2); a bare LF is accepted and normalized.
        if (frame_.size() > line_start_ && frame_.back() == '\r') frame_.pop_back();
        frame_ += "\r\n";
        if (auto e = finish_line()) return std::move(*e);
        continue;
      }
    }
  }
}

}  // namespace hearth::mail::imap
