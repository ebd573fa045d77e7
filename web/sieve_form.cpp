#include "web/sieve_form.hpp"

#include "core/json/json.hpp"

namespace hearth::web::sieve_form {
namespace {

constexpr std::string_view marker = "# hearth-form: ";

bool has_control(std::string_view s, bool allow_newlines) {
  for (unsigned char c : s)
    if ((c < 0x20 && !(allow_newlines && (c == '\n' || c == '\r' || c == '\t'))) || c == 0x7f) return true;
  return false;
}

// RFC 5228 §2.4.2: a quoted string; only '"' and '\' need escaping, line breaks are allowed
// and must be CRLF.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\r') {
      continue;
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string text_of(const json::value& v, std::string_view name) {
  auto s = v.find_string(name);
  return s ? *s : std::string();
}

}  // namespace

result<form> from_json(std::string_view text) {
  json::limits lim;
  auto v = json::parse(text, lim);
  if (!v || !v->as_object()) return fail("web.invalid", "not a JSON object");
  return [&]() -> result<form> {
    form f;
    if (auto b = v->find("vacation"); b && b->as_bool()) f.vacation = *b->as_bool();
    f.subject = text_of(*v, "subject");
    f.message = text_of(*v, "message");
    if (auto d = v->find("days"); d && d->as_number()) {
      double n = *d->as_number();
      if (n < 1 || n > 30 || n != static_cast<int>(n)) return fail("web.invalid", "days must be 1 to 30");
      f.days = static_cast<int>(n);
    }
    if (f.subject.size() > 200 || has_control(f.subject, false)) return fail("web.invalid", "bad subject");
    if (f.message.size() > max_text || has_control(f.message, true)) return fail("web.invalid", "bad message");
    if (f.vacation && f.message.empty()) return fail("web.invalid", "a vacation reply needs a message");
    if (auto fs = v->find("filters")) {
      auto arr = fs->as_array();
      if (!arr || arr->size() > max_filters) return fail("web.invalid", "filters must be a list of at most 50");
      for (const auto& e : *arr) {
        filter x{text_of(e, "field"), text_of(e, "contains"), text_of(e, "folder")};
        if (x.field != "from" && x.field != "to" && x.field != "subject")
          return fail("web.invalid", "a filter's field is from, to or subject");
        if (x.contains.empty() || x.contains.size() > 200 || has_control(x.contains, false))
          return fail("web.invalid", "a filter needs the text to look for");
        if (x.folder.empty() || x.folder.size() > 200 || has_control(x.folder, false))
          return fail("web.invalid", "a filter needs a folder");
        f.filters.push_back(std::move(x));
      }
    }
    return f;
  }();
}

std::string to_json(const form& f) {
  json::object o;
  o.set("vacation", f.vacation).set("subject", f.subject).set("message", f.message).set("days", f.days);
  json::array fs;
  for (const auto& x : f.filters) {
    json::object e;
    e.set("field", x.field).set("contains", x.contains).set("folder", x.folder);
    fs.push_back(json::value(std::move(e)));
  }
  o.set("filters", json::value(std::move(fs)));
  return json::value(std::move(o)).dump();
}

std::string to_script(const form& f) {
  std::string s = "# Written by Hearth's web console; saving the form there replaces this script.\r\n";
  s += std::string(marker) + to_json(f) + "\r\n";
  std::vector<std::string> req;
  if (!f.filters.empty()) req = {"\"fileinto\"", "\"mailbox\""};
  if (f.vacation) req.push_back("\"vacation\"");
  if (!req.empty()) {
    s += "require [";
    for (std::size_t i = 0; i < req.size(); ++i) s += (i ? ", " : "") + req[i];
    s += "];\r\n";
  }
  // Filters first: a message filed away is still answered by the vacation reply below,
  // because fileinto does not stop the script.
  for (const auto& x : f.filters)
    s += "if header :contains " + quoted(x.field) + " " + quoted(x.contains) + " {\r\n  fileinto :create " +
         quoted(x.folder) + ";\r\n}\r\n";
  if (f.vacation) {
    s += "vacation :days " + std::to_string(f.days);
    if (!f.subject.empty()) s += " :subject " + quoted(f.subject);
    s += " " + quoted(f.message) + ";\r\n";
  }
  return s;
}

std::optional<form> from_script(std::string_view script) {
  auto at = script.find(marker);
  if (at == std::string_view::npos) return std::nullopt;
  auto start = at + marker.size();
  auto end = script.find_first_of("\r\n", start);
  auto f = from_json(script.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
  if (!f) return std::nullopt;
  return *f;
}

}  // namespace hearth::web::sieve_form
