#include <array>
#include <cctype>
#include <cstring>

#include "mail/mailfile/mailfile.hpp"

namespace hearth::mail::mailfile {
namespace {

bool is_from_line(std::string_view l) { return l.size() >= 5 && l.compare(0, 5, "From ") == 0; }

// ">From ", ">>From ": mboxrd quoting of a body line (RFC 4155 §2 mentions both conventions).
bool is_quoted_from(std::string_view l) {
  std::size_t i = 0;
  while (i < l.size() && l[i] == '>') ++i;
  return i > 0 && l.substr(i, 5) == "From ";
}

int month_of(std::string_view t) {
  static constexpr std::array<const char*, 12> names = {"jan", "feb", "mar", "apr", "may", "jun",
                                                        "jul", "aug", "sep", "oct", "nov", "dec"};
  if (t.size() < 3) return -1;
  char low[3] = {static_cast<char>(std::tolower(static_cast<unsigned char>(t[0]))),
                 static_cast<char>(std::tolower(static_cast<unsigned char>(t[1]))),
                 static_cast<char>(std::tolower(static_cast<unsigned char>(t[2])))};
  for (std::size_t i = 0; i < names.size(); ++i)
    if (std::memcmp(low, names[i], 3) == 0) return static_cast<int>(i);
  return -1;
}

bool all_digits(std::string_view t) {
  if (t.empty()) return false;
  for (char c : t)
    if (c < '0' || c > '9') return false;
  return true;
}

// Days from 1970-01-01 to y-m-d (proleptic Gregorian), Howard Hinnant's civil algorithm.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace

void mbox_splitter::append(std::string_view content) {
  if (cur_->too_big) return;
  if (cur_->bytes.size() + content.size() + 2 > max_bytes_) {
    cur_->too_big = true;
    cur_->bytes.clear();
    cur_->bytes.shrink_to_fit();
    return;
  }
  cur_->bytes.append(content);
  cur_->bytes.append("\r\n");
}

std::optional<mbox_splitter::message> mbox_splitter::line(std::string_view l) {
  if (!l.empty() && l.back() == '\n') l.remove_suffix(1);
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  const bool starts = is_from_line(l) && (at_start_ || prev_blank_);
  at_start_ = false;
  std::optional<message> done;
  if (starts) {
    if (cur_) done = std::move(cur_);  // the pending blank line was the separator's
    cur_ = message{};  // not emplace(): clang cannot use the nested struct's initializers here
    cur_->from_line = std::string(l.substr(0, 1000));
    pending_blank_ = false;
    prev_blank_ = false;
    return done;
  }
  prev_blank_ = l.empty();
  if (!cur_) {
    skipped_ += l.size() + 1;
    return std::nullopt;
  }
  if (pending_blank_) {
    append("");
    pending_blank_ = false;
  }
  if (l.empty()) {
    pending_blank_ = true;
    return std::nullopt;
  }
  if (is_quoted_from(l)) l.remove_prefix(1);
  append(l);
  return std::nullopt;
}

std::optional<mbox_splitter::message> mbox_splitter::finish() {
  pending_blank_ = false;  // the final empty line of an mbox ends the last message
  std::optional<message> done = std::move(cur_);
  cur_.reset();
  return done;
}

std::optional<std::int64_t> parse_date(std::string_view text) {
  int month = -1, day = -1, hh = -1, mm = -1, ss = 0;
  std::int64_t year = -1;
  int zone_minutes = 0;
  bool have_zone = false;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == ',' || text[i] == '\r' || text[i] == '\n'))
      ++i;
    std::size_t j = i;
    while (j < text.size() && !(text[j] == ' ' || text[j] == '\t' || text[j] == ',' || text[j] == '\r' || text[j] == '\n'))
      ++j;
    std::string_view t = text.substr(i, j - i);
    i = j;
    if (t.empty()) continue;
    if (t.find(':') != std::string_view::npos && hh < 0) {
      int parts[3] = {-1, -1, 0};
      std::size_t k = 0, n = 0;
      while (n < 3 && k <= t.size()) {
        auto c = t.find(':', k);
        auto piece = t.substr(k, c == std::string_view::npos ? std::string_view::npos : c - k);
        if (!all_digits(piece) || piece.size() > 2) break;
        parts[n++] = std::stoi(std::string(piece));
        if (c == std::string_view::npos) break;
        k = c + 1;
      }
      if (n >= 2 && parts[0] < 24 && parts[1] < 60 && parts[2] < 61) {
        hh = parts[0];
        mm = parts[1];
        ss = parts[2];
      }
    } else if ((t[0] == '+' || t[0] == '-') && t.size() == 5 && all_digits(t.substr(1))) {
      int v = std::stoi(std::string(t.substr(1)));
      zone_minutes = (v / 100) * 60 + v % 100;
      if (t[0] == '-') zone_minutes = -zone_minutes;
      have_zone = true;
    } else if (all_digits(t)) {
      if (t.size() == 4 && year < 0)
        year = std::stoll(std::string(t));
      else if (t.size() <= 2 && day < 0)
        day = std::stoi(std::string(t));
    } else if (month < 0 && t.size() >= 3 && month_of(t) >= 0 && (t.size() == 3 || std::isalpha(static_cast<unsigned char>(t[3])))) {
      // Weekday names never match a month; "May" and "March" do.
      if (t.size() > 3 && month_of(t) >= 0 && t.size() <= 9) month = month_of(t);
      else if (t.size() == 3) month = month_of(t);
    }
  }
  (void)have_zone;
  if (month < 0 || day < 1 || day > 31 || hh < 0 || year < 1900 || year > 9999) return std::nullopt;
  std::int64_t days = days_from_civil(year, static_cast<unsigned>(month + 1), static_cast<unsigned>(day));
  return days * 86400 + hh * 3600 + mm * 60 + ss - zone_minutes * 60;
}

std::optional<std::int64_t> from_line_date(std::string_view from_line) {
  // "From SENDER DATE": the sender has no spaces (RFC 4155 §2).
  if (!is_from_line(from_line)) return std::nullopt;
  auto rest = from_line.substr(5);
  auto sp = rest.find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  return parse_date(rest.substr(sp + 1));
}

}  // namespace hearth::mail::mailfile
