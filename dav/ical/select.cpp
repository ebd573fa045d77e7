// Partial retrieval of calendar and address data (RFC 4791 §9.6, RFC 6352 §10.4), done on the
// stored text line by line so that what is returned is what was stored, minus what was not
// asked for.
#include <algorithm>
#include <cstring>
#include <strings.h>

#include "dav/ical/detail.hpp"
#include "dav/ical/ical.hpp"

namespace hearth::dav::ical {
namespace {

// One content line (RFC 5545 §3.1): its physical text (folds and line ends included) and its
// unfolded text (no line end).
struct content_line {
  std::string_view raw;
  std::string unfolded;
};

std::vector<content_line> content_lines(std::string_view text) {
  std::vector<content_line> out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t begin = i;
    std::string unfolded;
    for (;;) {
      auto nl = text.find('\n', i);
      std::size_t stop = nl == std::string_view::npos ? text.size() : nl + 1;
      auto part = text.substr(i, stop - i);
      while (!part.empty() && (part.back() == '\n' || part.back() == '\r')) part.remove_suffix(1);
      if (i != begin) part.remove_prefix(1);  // the fold's space or tab
      unfolded.append(part);
      i = stop;
      if (i >= text.size() || (text[i] != ' ' && text[i] != '\t')) break;
    }
    if (unfolded.empty()) continue;
    out.push_back({text.substr(begin, i - begin), std::move(unfolded)});
  }
  return out;
}

// The property name ("DTSTART" of "DTSTART;TZID=x:..."), upper-cased, without a vCard group.
std::string name_of(std::string_view line) {
  auto end = line.find_first_of(";:");
  auto n = line.substr(0, end == std::string_view::npos ? line.size() : end);
  if (auto dot = n.rfind('.'); dot != std::string_view::npos) n.remove_prefix(dot + 1);
  std::string out(n);
  for (auto& ch : out) ch = (ch >= 'a' && ch <= 'z') ? static_cast<char>(ch - 'a' + 'A') : ch;
  return out;
}

// Where the value starts: after the first ':' outside a quoted parameter value.
std::size_t value_colon(std::string_view line) {
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '"') quoted = !quoted;
    else if (line[i] == ':' && !quoted) return i;
  }
  return std::string_view::npos;
}

bool same(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// Folds a logical line at 75 octets (RFC 5545 §3.1), not inside a UTF-8 sequence.
std::string fold(std::string_view line) {
  std::string out;
  std::size_t col = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const bool continuation = (static_cast<unsigned char>(line[i]) & 0xC0) == 0x80;
    if (col >= 74 && !continuation) {
      out += "\r\n ";
      col = 1;
    }
    out += line[i];
    ++col;
  }
  return out + "\r\n";
}

// A line without its value, for novalue="yes".
std::string without_value(std::string_view line) {
  auto colon = value_colon(line);
  return fold(std::string(line.substr(0, colon == std::string_view::npos ? line.size() : colon)) + ":");
}

const prop_select* find_prop(const std::vector<prop_select>& props, std::string_view name) {
  for (auto& p : props)
    if (same(p.name, name)) return &p;
  return nullptr;
}

// Keeps FREEBUSY periods that overlap `r`; empty when none does.
std::string limit_periods(std::string_view line, const time_range& r) {
  auto colon = value_colon(line);
  if (colon == std::string_view::npos) return fold(line);
  std::string kept;
  auto value = line.substr(colon + 1);
  while (!value.empty()) {
    auto comma = value.find(',');
    auto period = value.substr(0, comma);
    if (detail::period_overlaps(period, r)) kept += (kept.empty() ? "" : ",") + std::string(period);
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
  }
  if (kept.empty()) return {};
  return fold(std::string(line.substr(0, colon + 1)) + kept);
}

}  // namespace

std::string calendar_data(std::string_view text, const calendar_data_spec& spec, const zone* floating) {
  std::string expanded;
  std::vector<bool> keep_top;  // per top-level component (limit-recurrence-set)
  if (spec.expand) {
    expanded = expand(text, spec.expand->start, spec.expand->end, floating);
    text = expanded;
  } else if (spec.limit_recurrence) {
    keep_top = detail::recurrence_keep(text, *spec.limit_recurrence, floating);
  }
  if (!spec.comp && !spec.limit_freebusy && keep_top.empty()) return std::string(text);

  // The selection in force for each open component; nullptr = everything below.
  struct frame {
    const comp_select* sel;
    bool include;
    bool freebusy;
  };
  std::vector<frame> stack;
  std::size_t top_index = 0;
  std::string out;
  out.reserve(text.size());
  for (auto& l : content_lines(text)) {
    const std::string name = name_of(l.unfolded);
    const auto colon = value_colon(l.unfolded);
    const std::string_view value = colon == std::string_view::npos ? std::string_view{} : std::string_view(l.unfolded).substr(colon + 1);
    if (name == "BEGIN") {
      frame f{nullptr, true, same(value, "VFREEBUSY")};
      if (stack.empty()) {
        if (spec.comp) {
          f.include = same(spec.comp->name, value);
          f.sel = &*spec.comp;
        }
      } else {
        const frame& parent = stack.back();
        if (stack.size() == 1) {
          std::size_t i = top_index++;
          if (i < keep_top.size() && !keep_top[i]) f.include = false;
        }
        if (!parent.include) f.include = false;
        else if (parent.sel && !parent.sel->allcomp) {
          auto it = std::find_if(parent.sel->comps.begin(), parent.sel->comps.end(),
                                 [&](const comp_select& c) { return same(c.name, value); });
          if (it == parent.sel->comps.end()) f.include = false;
          else f.sel = &*it;
        }
      }
      stack.push_back(f);
      if (f.include) out.append(l.raw);
      continue;
    }
    if (name == "END") {
      if (!stack.empty()) {
        if (stack.back().include) out.append(l.raw);
        stack.pop_back();
      }
      continue;
    }
    if (stack.empty() || !stack.back().include) continue;
    const frame& f = stack.back();
    const prop_select* ps = nullptr;
    if (f.sel && !f.sel->allprop) {
      ps = find_prop(f.sel->props, name);
      if (!ps) continue;
    }
    if (ps && ps->novalue) {
      out += without_value(l.unfolded);
    } else if (f.freebusy && spec.limit_freebusy && name == "FREEBUSY") {
      out += limit_periods(l.unfolded, *spec.limit_freebusy);  // RFC 4791 §9.6.7
    } else {
      out.append(l.raw);
    }
  }
  return out;
}

std::string address_data(std::string_view text, const std::vector<prop_select>& props) {
  std::string out;
  for (auto& l : content_lines(text)) {
    const std::string name = name_of(l.unfolded);
    if (name == "BEGIN" || name == "END") {
      out.append(l.raw);
      continue;
    }
    const prop_select* ps = find_prop(props, name);
    if (!ps) continue;
    if (ps->novalue) out += without_value(l.unfolded);
    else out.append(l.raw);
  }
  return out;
}

}  // namespace hearth::dav::ical
