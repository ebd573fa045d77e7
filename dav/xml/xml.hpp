// DAV request bodies as a namespace-resolved tree, and a writer for Multi-Status responses.
//
// pugixml has no namespace support, so parse() resolves every element name to
// {namespace URI, local name} itself (any prefix, default namespace, redeclarations; RFC 4918
// §8.3 wants exactly that). Pure: no I/O, thread-safe.
//
// Limits (principle 5): the document size, element depth and element count are bounded, and a
// DOCTYPE is refused outright: DAV bodies never need one, and refusing it closes the door on
// entity-expansion bombs (RFC 4918 §20.6).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/util/result.hpp"

namespace hearth::dav::xml {

inline constexpr std::string_view ns_dav = "DAV:";
inline constexpr std::string_view ns_caldav = "urn:ietf:params:xml:ns:caldav";
inline constexpr std::string_view ns_carddav = "urn:ietf:params:xml:ns:carddav";
inline constexpr std::string_view ns_cs = "http://calendarserver.org/ns/";
inline constexpr std::string_view ns_apple = "http://apple.com/ns/ical/";

struct qname {
  std::string ns;
  std::string local;
  bool is(std::string_view n, std::string_view l) const { return ns == n && local == l; }
  friend bool operator==(const qname&, const qname&) = default;
  friend auto operator<=>(const qname&, const qname&) = default;
};

struct element {
  qname name;
  std::vector<std::pair<std::string, std::string>> attrs;  // unprefixed attributes only: local name, value
  std::string text;                                        // concatenated character data (direct children)
  std::vector<element> children;

  const element* child(std::string_view ns, std::string_view local) const;
  std::string attr(std::string_view local, std::string_view fallback = {}) const;
};

struct limits {
  std::size_t max_bytes = 1024 * 1024;
  std::size_t max_depth = 32;
  std::size_t max_elements = 20000;
};

// Errors (code): "xml.syntax" (not well-formed, with pugixml's description), "xml.doctype",
// "xml.namespace" (undeclared prefix), "xml.limit" (size, depth or element count).
result<element> parse(std::string_view doc, const limits& lim = {});

// Escapes &, <, > and " (for text and attribute values alike).
std::string escape(std::string_view text);

// Serializes an element (and its children) declaring namespaces inline, for storing dead
// properties as XML fragments. Round-trips through parse().
std::string serialize(const element& e);

// Builds response bodies with fixed prefixes: d (DAV:), c (CalDAV), card (CardDAV),
// cs (CalendarServer), ical (Apple). Names in other namespaces get an inline xmlns.
class writer {
 public:
  writer();  // starts with the XML declaration
  // <root xmlns:d=... >: call once, for the document element.
  writer& open_root(const qname& n);
  writer& open(const qname& n);
  writer& close(const qname& n);
  writer& empty(const qname& n);  // <n/>
  writer& text_element(const qname& n, std::string_view text);  // <n>escaped</n>
  writer& raw(std::string_view xml);  // trusted, already well-formed XML
  writer& text(std::string_view t);
  std::string str() const { return out_; }
  std::size_t size() const { return out_.size(); }
  std::string take() { return std::move(out_); }

  // The tag name as written ("d:href", or "x:name xmlns:x=..." for open tags).
  static std::string tag(const qname& n, bool opening);

 private:
  std::string out_;
};

inline qname dav(std::string_view l) { return {std::string(ns_dav), std::string(l)}; }
inline qname cal(std::string_view l) { return {std::string(ns_caldav), std::string(l)}; }
inline qname card(std::string_view l) { return {std::string(ns_carddav), std::string(l)}; }
inline qname cs(std::string_view l) { return {std::string(ns_cs), std::string(l)}; }
inline qname apple(std::string_view l) { return {std::string(ns_apple), std::string(l)}; }

}  // namespace hearth::dav::xml
