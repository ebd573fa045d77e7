#include "dav/xml/xml.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <pugixml.hpp>

namespace hearth::dav::xml {
namespace {

using ns_map = std::vector<std::pair<std::string, std::string>>;  // prefix -> uri, innermost last

std::optional<std::string> lookup(const ns_map& m, std::string_view prefix) {
  for (auto it = m.rbegin(); it != m.rend(); ++it)
    if (it->first == prefix) return it->second;
  if (prefix == "xml") return std::string("http://www.w3.org/XML/1998/namespace");
  return std::nullopt;
}

// An NCName, for the ASCII range (non-ASCII name characters are let through).
bool ncname(std::string_view n) {
  if (n.empty()) return false;
  auto start = [](unsigned char ch) { return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_' || ch >= 0x80; };
  auto rest = [&](unsigned char ch) { return start(ch) || (ch >= '0' && ch <= '9') || ch == '.' || ch == '-'; };
  if (!start(static_cast<unsigned char>(n[0]))) return false;
  return std::all_of(n.begin() + 1, n.end(), [&](char ch) { return rest(static_cast<unsigned char>(ch)); });
}

struct converter {
  const limits& lim;
  std::size_t count = 0;
  std::optional<hearth::error> err;

  bool convert(const pugi::xml_node& n, ns_map& scope, std::size_t depth, element& out) {
    if (depth > lim.max_depth) return fail_with("xml.limit", "elements nested too deeply");
    if (++count > lim.max_elements) return fail_with("xml.limit", "too many elements");
    std::size_t mark = scope.size();
    for (auto a : n.attributes()) {
      std::string_view an = a.name();
      if (an == "xmlns") scope.emplace_back("", a.value());
      else if (an.starts_with("xmlns:")) {
        // Namespaces in XML §3: a prefix cannot be bound to the empty name.
        if (!*a.value() || !ncname(an.substr(6))) return fail_with("xml.namespace", "bad namespace declaration");
        scope.emplace_back(std::string(an.substr(6)), a.value());
      }
    }
    std::string_view name = n.name();
    auto colon = name.find(':');
    // Namespaces in XML §3: a QName is NCName or NCName ':' NCName (pugixml is lenient here;
    // what we accept must serialize back to well-formed XML).
    if (colon == std::string_view::npos ? !ncname(name) : !ncname(name.substr(0, colon)) || !ncname(name.substr(colon + 1)))
      return fail_with("xml.namespace", "not a qualified name: " + std::string(name.substr(0, 64)));
    std::string_view prefix = colon == std::string_view::npos ? std::string_view() : name.substr(0, colon);
    auto uri = lookup(scope, prefix);
    if (!uri) {
      if (!prefix.empty()) return fail_with("xml.namespace", "undeclared prefix " + std::string(prefix));
      uri = std::string();
    }
    out.name = {*uri, std::string(colon == std::string_view::npos ? name : name.substr(colon + 1))};
    for (auto a : n.attributes()) {
      std::string_view an = a.name();
      if (an == "xmlns" || an.starts_with("xmlns:") || an.find(':') != std::string_view::npos) continue;
      out.attrs.emplace_back(std::string(an), a.value());
    }
    for (auto c : n.children()) {
      switch (c.type()) {
        case pugi::node_element: {
          out.children.emplace_back();
          if (!convert(c, scope, depth + 1, out.children.back())) return false;
          break;
        }
        case pugi::node_pcdata:
        case pugi::node_cdata: out.text += c.value(); break;
        default: break;
      }
    }
    scope.resize(mark);
    return true;
  }

  bool fail_with(std::string code, std::string msg) {
    err = hearth::error(std::move(code), std::move(msg));
    return false;
  }
};

}  // namespace

const element* element::child(std::string_view ns, std::string_view local) const {
  for (auto& c : children)
    if (c.name.is(ns, local)) return &c;
  return nullptr;
}

std::string element::attr(std::string_view local, std::string_view fallback) const {
  for (auto& [k, v] : attrs)
    if (k == local) return v;
  return std::string(fallback);
}

result<element> parse(std::string_view doc, const limits& lim) {
  if (doc.size() > lim.max_bytes) return fail("xml.limit", "document too large");
  pugi::xml_document d;
  // parse_doctype keeps the DOCTYPE as a node so that it can be refused (it is never expanded).
  auto opts = pugi::parse_default | pugi::parse_doctype | pugi::parse_ws_pcdata_single;
  auto r = d.load_buffer(doc.data(), doc.size(), opts, pugi::encoding_utf8);
  if (!r) return fail("xml.syntax", std::string("not well-formed XML: ") + r.description());
  pugi::xml_node root;
  for (auto c : d.children()) {
    if (c.type() == pugi::node_doctype) return fail("xml.doctype", "a DOCTYPE is not allowed");
    if (c.type() == pugi::node_element) {
      if (root) return fail("xml.syntax", "more than one document element");
      root = c;
    }
  }
  if (!root) return fail("xml.syntax", "no document element");
  converter conv{lim, 0, std::nullopt};
  ns_map scope;
  element out;
  if (!conv.convert(root, scope, 1, out)) return *conv.err;
  return out;
}

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\r': out += "&#13;"; break;
      default: out += ch;
    }
  }
  return out;
}

namespace {
void serialize_into(const element& e, const std::string& parent_ns, std::string& out) {
  // An element in no namespace is written unprefixed (xmlns:x="" is not allowed in XML 1.0).
  const std::string open_name = e.name.ns.empty() ? e.name.local : "x:" + e.name.local;
  out += "<" + open_name;
  if (!e.name.ns.empty() && (e.name.ns != parent_ns || parent_ns.empty())) out += " xmlns:x=\"" + escape(e.name.ns) + "\"";
  for (auto& [k, v] : e.attrs) out += " " + k + "=\"" + escape(v) + "\"";
  if (e.text.empty() && e.children.empty()) {
    out += "/>";
    return;
  }
  out += ">";
  out += escape(e.text);
  for (auto& c : e.children) serialize_into(c, e.name.ns, out);
  out += "</" + open_name + ">";
}
}  // namespace

std::string serialize(const element& e) {
  std::string out;
  serialize_into(e, std::string(), out);
  return out;
}

namespace {
std::string_view prefix_of(std::string_view ns) {
  if (ns == ns_dav) return "d";
  if (ns == ns_caldav) return "c";
  if (ns == ns_carddav) return "card";
  if (ns == ns_cs) return "cs";
  if (ns == ns_apple) return "ical";
  return {};
}
}  // namespace

std::string writer::tag(const qname& n, bool opening) {
  auto p = prefix_of(n.ns);
  if (!p.empty()) return std::string(p) + ":" + n.local;
  if (!opening) return "x:" + n.local;
  return "x:" + n.local + " xmlns:x=\"" + escape(n.ns) + "\"";
}

writer::writer() { out_ = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"; }

writer& writer::open_root(const qname& n) {
  out_ += "<" + tag(n, true) +
          " xmlns:d=\"DAV:\" xmlns:c=\"urn:ietf:params:xml:ns:caldav\" xmlns:card=\"urn:ietf:params:xml:ns:carddav\""
          " xmlns:cs=\"http://calendarserver.org/ns/\" xmlns:ical=\"http://apple.com/ns/ical/\">";
  return *this;
}
writer& writer::open(const qname& n) {
  out_ += "<" + tag(n, true) + ">";
  return *this;
}
writer& writer::close(const qname& n) {
  out_ += "</" + tag(n, false) + ">";
  return *this;
}
writer& writer::empty(const qname& n) {
  out_ += "<" + tag(n, true) + "/>";
  return *this;
}
writer& writer::text_element(const qname& n, std::string_view t) {
  out_ += "<" + tag(n, true) + ">" + escape(t) + "</" + tag(n, false) + ">";
  return *this;
}
writer& writer::raw(std::string_view x) {
  out_ += x;
  return *this;
}
writer& writer::text(std::string_view t) {
  out_ += escape(t);
  return *this;
}

}  // namespace hearth::dav::xml
