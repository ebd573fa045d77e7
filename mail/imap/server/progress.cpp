#include "mail/imap/server/progress.hpp"

#include "mail/imap/proto/writer.hpp"

namespace hearth::mail::imap {

progress_meter::progress_meter(const session_state& st, std::string_view tag, std::uint64_t goal)
    : st_(st), tag_(tag), goal_(goal), every_(st.env ? st.env->progress_step : 0),
      last_(std::chrono::steady_clock::now()),
      on_(st.push && every_ > 0 && goal > every_) {}

void progress_meter::step(std::uint64_t done) {
  if (!on_ || done == 0 || done % every_ != 0 || done >= goal_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_ < st_.env->progress_interval) return;
  last_ = now;
  st_.push(note(tag_, done, goal_));
}

std::string progress_meter::note(std::string_view tag, std::uint64_t done, std::uint64_t goal) {
  // RFC 9585 §5: progress-tag is a quoted string (never a literal: tags are atoms).
  std::string s = "* OK [INPROGRESS (";
  write_string(s, tag);
  s += " " + std::to_string(done) + " " + std::to_string(goal) + ")] Still working\r\n";
  return s;
}

}  // namespace hearth::mail::imap
