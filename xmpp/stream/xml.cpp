#include "xmpp/stream/xml.hpp"

#include <algorithm>

namespace hearth::xmpp {

std::optional<std::string> element::attr(std::string_view n) const {
  for (const auto& [k, v] : attrs)
    if (k == n) return v;
  return std::nullopt;
}

element& element::set(std::string_view n, std::string_view v) {
  for (auto& [k, val] : attrs)
    if (k == n) {
      val = v;
      return *this;
    }
  attrs.emplace_back(std::string(n), std::string(v));
  return *this;
}

void element::remove_attr(std::string_view n) {
  std::erase_if(attrs, [&](const auto& a) { return a.first == n; });
}

const element* element::child(std::string_view n, std::string_view space) const {
  for (const auto& c : children)
    if (!c.is_text() && c.name == n && (space.empty() || c.ns == space)) return &c;
  return nullptr;
}

element* element::child(std::string_view n, std::string_view space) {
  for (auto& c : children)
    if (!c.is_text() && c.name == n && (space.empty() || c.ns == space)) return &c;
  return nullptr;
}

const element* element::child_ns(std::string_view space) const {
  for (const auto& c : children)
    if (!c.is_text() && c.ns == space) return &c;
  return nullptr;
}

const element* element::first_child() const {
  for (const auto& c : children)
    if (!c.is_text()) return &c;
  return nullptr;
}

std::string element::body() const {
  std::string s;
  for (const auto& c : children)
    if (c.is_text()) s += c.text;
  return s;
}

element& element::add(element c) {
  children.push_back(std::move(c));
  return children.back();
}

element& element::add(std::string n, std::string space) { return add(element(std::move(n), std::move(space))); }

void element::add_text(std::string t) {
  if (!children.empty() && children.back().is_text()) children.back().text += t;
  else children.push_back(text_node(std::move(t)));
}

namespace {
void escape_to(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '\'': out += "&apos;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
}
}  // namespace

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  escape_to(out, s);
  return out;
}

void serialize_to(std::string& out, const element& e, std::string_view parent_ns) {
  if (e.is_text()) {
    escape_to(out, e.text);
    return;
  }
  out += '<';
  out += e.name;
  if (e.ns != parent_ns) {
    out += " xmlns='";
    escape_to(out, e.ns);
    out += '\'';
  }
  for (const auto& [k, v] : e.attrs) {
    out += ' ';
    out += k;
    out += "='";
    escape_to(out, v);
    out += '\'';
  }
  if (e.children.empty()) {
    out += "/>";
    return;
  }
  out += '>';
  for (const auto& c : e.children) serialize_to(out, c, e.ns);
  out += "</";
  out += e.name;
  out += '>';
}

std::string serialize(const element& e, std::string_view parent_ns) {
  std::string out;
  serialize_to(out, e, parent_ns);
  return out;
}

}  // namespace hearth::xmpp
