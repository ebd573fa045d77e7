#include "mail/smtp/proto/body_reader.hpp"

namespace hearth::mail::smtp {

void content_sink::store(char c) {
  ++octets_;
  if (kept() >= max_size_) {
    flags_.too_big = true;  // keep counting, stop storing
    return;
  }
  data_ += c;
}

std::string content_sink::take_spill() {
  if (spill_at_ == 0 || data_.size() < spill_at_) return {};
  std::string out = std::move(data_);
  data_ = std::string();
  // One allocation per spilled piece instead of the doublings up to it.
  data_.reserve(spill_at_ + spill_at_ / 4);
  spilled_ += out.size();
  return out;
}

bool content_sink::put(char c) {
  if (c == '\n') {
    if (!cr_) flags_.bare_lf = true;
    const bool crlf = cr_;
    cr_ = false;
    line_ = 0;
    store(c);
    return crlf;
  }
  if (cr_) flags_.bare_cr = true;  // CR not followed by LF
  cr_ = c == '\r';
  if (c == '\0') flags_.nul = true;
  if (!cr_ && ++line_ > max_line_length) flags_.long_line = true;
  store(c);
  return false;
}

void content_sink::put_plain(std::string_view s) {
  if (s.empty()) return;
  if (cr_) flags_.bare_cr = true;  // the CR before them was not followed by LF
  cr_ = false;
  if (s.find('\0') != std::string_view::npos) flags_.nul = true;
  line_ += s.size();
  if (line_ > max_line_length) flags_.long_line = true;
  octets_ += s.size();
  const std::size_t room = kept() < max_size_ ? max_size_ - kept() : 0;
  if (s.size() > room) {
    flags_.too_big = true;  // keep counting, stop storing
    s = s.substr(0, room);
  }
  data_.append(s);
}

namespace {

// Length of the run at the start of `in` without CR or LF: the octets that need no state.
std::size_t plain_run(std::string_view in) {
  std::size_t n = 0;
  while (n < in.size() && in[n] != '\r' && in[n] != '\n') ++n;
  return n;
}

}  // namespace

void content_sink::finish() {
  if (cr_) flags_.bare_cr = true;
  cr_ = false;
}

std::size_t data_reader::feed(std::string_view in) {
  std::size_t i = 0;
  while (i < in.size() && state_ != state::done) {
    if (state_ == state::body) {
      // Inside a line only CR and LF matter: the octets before them are added in one piece
      // (a message is mostly such runs; octet by octet cost more than the rest of reading).
      const std::size_t n = plain_run(in.substr(i));
      sink_.put_plain(in.substr(i, n));
      i += n;
      if (i == in.size()) break;
    }
    const char c = in[i++];
    switch (state_) {
      case state::line_start:
        if (c == '.') {
          state_ = state::dot;
        } else {
          state_ = sink_.put(c) ? state::line_start : state::body;
        }
        break;
      case state::dot:
        // RFC 5321 §4.5.2: a line starting with "." has that first period deleted.
        if (c == '\r') {
          state_ = state::dot_cr;
        } else {
          state_ = sink_.put(c) ? state::line_start : state::body;
        }
        break;
      case state::dot_cr:
        if (c == '\n') {
          sink_.finish();
          state_ = state::done;
        } else {
          // ".\r" followed by something else: the CR is content (and a bare CR).
          sink_.put('\r');
          state_ = sink_.put(c) ? state::line_start : state::body;
        }
        break;
      case state::body:
        if (sink_.put(c)) state_ = state::line_start;
        break;
      case state::done:
        break;
    }
  }
  return i;
}

std::size_t bdat_reader::feed(std::string_view in) {
  const std::size_t n = remaining_ < in.size() ? static_cast<std::size_t>(remaining_) : in.size();
  for (std::size_t i = 0; i < n;) {
    const std::size_t run = plain_run(in.substr(i, n - i));
    sink_.put_plain(in.substr(i, run));
    i += run;
    if (i < n) sink_.put(in[i++]);
  }
  remaining_ -= n;
  return n;
}

}  // namespace hearth::mail::smtp
