// Splitting calendar exports into object resources, at the text level (lines kept as sent).
#include <map>
#include <set>

#include "dav/ical/ical.hpp"

namespace hearth::dav::ical {
namespace {

std::string upper(std::string_view s) {
  std::string o(s);
  for (auto& c : o)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return o;
}

// Physical lines, without their line ends.
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    auto nl = text.find('\n', i);
    std::string_view l = text.substr(i, nl == std::string_view::npos ? std::string_view::npos : nl - i);
    i = nl == std::string_view::npos ? text.size() : nl + 1;
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    out.push_back(l);
  }
  return out;
}

// The value of the first unfolded property NAME in a block of lines (top level of the block).
std::string value_of(const std::vector<std::string_view>& block, std::string_view name) {
  for (std::size_t i = 0; i < block.size(); ++i) {
    auto l = block[i];
    auto up = upper(l.substr(0, name.size() + 1));
    if (up == std::string(name) + ":" || up == std::string(name) + ";") {
      std::string v(l);
      for (std::size_t j = i + 1; j < block.size() && !block[j].empty() && (block[j][0] == ' ' || block[j][0] == '\t'); ++j)
        v += block[j].substr(1);
      auto colon = v.find(':');
      return colon == std::string::npos ? std::string() : v.substr(colon + 1);
    }
  }
  return {};
}

}  // namespace

split_result split_calendar(std::string_view text) {
  split_result res;
  auto lines = lines_of(text);
  std::vector<std::string> header;                     // VCALENDAR properties (no METHOD)
  std::map<std::string, std::string> timezones;        // TZID -> block text
  std::vector<std::string> uid_order;
  std::map<std::string, std::vector<std::string>> by_uid;  // component blocks
  std::set<std::string> seen;
  std::size_t i = 0;
  int depth = 0;
  while (i < lines.size()) {
    auto l = lines[i];
    auto u = upper(l);
    if (u == "BEGIN:VCALENDAR") {
      ++depth;
      ++i;
      continue;
    }
    if (u == "END:VCALENDAR") {
      --depth;
      ++i;
      continue;
    }
    if (depth == 1 && u.starts_with("BEGIN:")) {
      std::string name = u.substr(6);
      std::vector<std::string_view> block;
      int d = 0;
      std::size_t j = i;
      for (; j < lines.size(); ++j) {
        auto uj = upper(lines[j]);
        block.push_back(lines[j]);
        if (uj.starts_with("BEGIN:")) ++d;
        if (uj.starts_with("END:") && --d == 0) break;
      }
      i = j + 1;
      std::string text_block;
      for (auto b : block) {
        text_block += b;
        text_block += "\r\n";
      }
      if (name == "VTIMEZONE") {
        timezones.emplace(value_of(block, "TZID"), std::move(text_block));
        continue;
      }
      if (!seen.insert(text_block).second) {
        ++res.duplicates;
        continue;
      }
      auto uid = value_of(block, "UID");
      if (uid.empty()) {
        ++res.no_uid;
        continue;
      }
      if (!by_uid.count(uid)) uid_order.push_back(uid);
      by_uid[uid].push_back(std::move(text_block));
      continue;
    }
    if (depth == 1 && !u.starts_with("METHOD:") && !u.starts_with("END:") && !l.empty()) {
      if ((l[0] == ' ' || l[0] == '\t') && !header.empty()) header.back() += std::string("\r\n") + std::string(l);
      else header.emplace_back(l);
    }
    ++i;
  }
  for (auto& uid : uid_order) {
    std::string obj = "BEGIN:VCALENDAR\r\n";
    for (auto& h : header) obj += h + "\r\n";
    std::string comps;
    for (auto& b : by_uid[uid]) comps += b;
    for (auto& [tzid, tz] : timezones)
      if (!tzid.empty() && comps.find("TZID=" + tzid) != std::string::npos) obj += tz;
    obj += comps;
    obj += "END:VCALENDAR\r\n";
    res.objects.push_back(std::move(obj));
  }
  return res;
}

}  // namespace hearth::dav::ical
