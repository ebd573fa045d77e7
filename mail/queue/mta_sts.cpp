#include "mail/queue/mta_sts.hpp"

#include <charconv>

#include "core/util/strings.hpp"

namespace hearth::mail::queue {

namespace {

bool alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

std::string_view no_dot(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return s;
}

// RFC 8461 §3.2: mx values are domain names or "*." + a domain name.
bool valid_mx_pattern(std::string_view p) {
  if (p.substr(0, 2) == "*.") p.remove_prefix(2);
  if (p.empty() || p.size() > 253) return false;
  std::size_t label = 0;
  for (char c : p) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else if (alnum(c) || c == '-' || c == '_') {
      if (++label > 63) return false;
    } else {
      return false;
    }
  }
  return label > 0;
}

}  // namespace

std::optional<std::string> sts_record_id(const std::vector<std::string>& txt) {
  const std::string* record = nullptr;
  for (const auto& t : txt) {
    if (t.rfind("v=STSv1;", 0) != 0 && t != "v=STSv1") continue;
    if (record) return std::nullopt;  // more than one: no policy (§3.1)
    record = &t;
  }
  if (!record) return std::nullopt;
  std::optional<std::string> id;
  bool first = true;
  for (auto field : util::split(*record, ';')) {
    field = util::trim(field);
    if (field.empty()) continue;
    const auto eq = field.find('=');
    if (eq == std::string_view::npos || eq == 0) return std::nullopt;
    const auto key = field.substr(0, eq), value = field.substr(eq + 1);
    if (first) {
      if (key != "v" || value != "STSv1") return std::nullopt;
      first = false;
      continue;
    }
    if (key == "id") {
      if (value.empty() || value.size() > 32) return std::nullopt;
      for (char c : value)
        if (!alnum(c)) return std::nullopt;
      id = std::string(value);
    }
  }
  return id;
}

std::string_view sts_mode_name(sts_mode m) {
  switch (m) {
    case sts_mode::enforce: return "enforce";
    case sts_mode::testing: return "testing";
    case sts_mode::none: break;
  }
  return "none";
}

std::optional<sts_policy> parse_sts_policy(std::string_view body, std::string& why) {
  if (body.size() > sts_max_policy) {
    why = "policy larger than " + std::to_string(sts_max_policy) + " octets";
    return std::nullopt;
  }
  sts_policy p;
  bool version = false, mode = false, age = false;
  std::size_t lines = 0;
  while (!body.empty()) {
    if (++lines > 1000) {
      why = "too many lines";
      return std::nullopt;
    }
    auto nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body = nl == std::string_view::npos ? std::string_view{} : body.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (util::trim(line).empty()) continue;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      why = "a line without ':'";
      return std::nullopt;
    }
    const auto key = util::trim(line.substr(0, colon));
    const auto value = util::trim(line.substr(colon + 1));
    if (key == "version") {
      if (value != "STSv1") {
        why = "version is not STSv1";
        return std::nullopt;
      }
      version = true;
    } else if (key == "mode") {
      if (value == "enforce") p.mode = sts_mode::enforce;
      else if (value == "testing") p.mode = sts_mode::testing;
      else if (value == "none") p.mode = sts_mode::none;
      else {
        why = "unknown mode";
        return std::nullopt;
      }
      mode = true;
    } else if (key == "max_age") {
      std::int64_t n = -1;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc{} || ptr != value.data() + value.size() || n < 0 || value.size() > 10 ||
          n > sts_max_age_limit) {
        why = "max_age is not a number of seconds up to 31557600";
        return std::nullopt;
      }
      p.max_age = n;
      age = true;
    } else if (key == "mx") {
      if (!valid_mx_pattern(no_dot(value))) {
        why = "an mx value is not a host name or *.name";
        return std::nullopt;
      }
      if (p.mx.size() >= sts_max_mx) {
        why = "too many mx lines";
        return std::nullopt;
      }
      p.mx.push_back(util::to_lower(no_dot(value)));
    }
    // §3.2: other keys are extensions and are ignored.
  }
  if (!version || !mode || !age) {
    why = !version ? "no version" : !mode ? "no mode" : "no max_age";
    return std::nullopt;
  }
  if (p.mode != sts_mode::none && p.mx.empty()) {
    why = "no mx line";
    return std::nullopt;
  }
  return p;
}

bool sts_mx_allowed(const sts_policy& p, std::string_view host) {
  host = no_dot(host);
  for (const auto& pat : p.mx) {
    if (pat.rfind("*.", 0) == 0) {
      const std::string_view suffix = std::string_view(pat).substr(1);  // ".example.com"
      if (host.size() <= suffix.size()) continue;
      const auto head = host.substr(0, host.size() - suffix.size());
      if (head.find('.') == std::string_view::npos && util::iequals(host.substr(head.size()), suffix)) return true;
    } else if (util::iequals(pat, host)) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> sts_policy_lines(const sts_policy& p) {
  std::vector<std::string> out{"version: STSv1", "mode: " + std::string(sts_mode_name(p.mode))};
  for (const auto& m : p.mx) out.push_back("mx: " + m);
  out.push_back("max_age: " + std::to_string(p.max_age));
  return out;
}

}  // namespace hearth::mail::queue
