// Small XML element trees for XMPP stanzas, and their serializer.
//
// An element has a namespace URI (resolved by the parser: prefixes are gone), a local name,
// attributes and children; text is a child whose name is empty. The serializer writes
// xmlns='...' only where an element's namespace differs from its parent's, so a stanza written
// inside a jabber:client stream needs no declaration. Pure and thread-compatible.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hearth::xmpp {

inline constexpr std::string_view ns_client = "jabber:client";
inline constexpr std::string_view ns_server = "jabber:server";
inline constexpr std::string_view ns_stream = "http://etherx.jabber.org/streams";
inline constexpr std::string_view ns_stanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";
inline constexpr std::string_view ns_streams = "urn:ietf:params:xml:ns:xmpp-streams";

struct element {
  std::string name;  // local name; empty for a text node
  std::string ns;    // namespace URI
  std::vector<std::pair<std::string, std::string>> attrs;  // "name" or "xml:lang"
  std::vector<element> children;
  std::string text;  // text nodes only

  element() = default;
  element(std::string n, std::string space = {}) : name(std::move(n)), ns(std::move(space)) {}
  static element text_node(std::string t) {
    element e;
    e.text = std::move(t);
    return e;
  }

  bool is_text() const { return name.empty(); }
  // The attribute's value, or nullopt.
  std::optional<std::string> attr(std::string_view n) const;
  // The attribute's value or "" when absent.
  std::string get(std::string_view n) const { return attr(n).value_or(std::string()); }
  element& set(std::string_view n, std::string_view v);  // adds or replaces
  void remove_attr(std::string_view n);
  // First child element with this name (and namespace, when given).
  const element* child(std::string_view n, std::string_view space = {}) const;
  element* child(std::string_view n, std::string_view space = {});
  // First child element of any name in this namespace.
  const element* child_ns(std::string_view space) const;
  // First child element at all (the payload of an iq).
  const element* first_child() const;
  // Concatenated direct text children.
  std::string body() const;
  // Appends a child element (returns it) or text.
  element& add(element child);
  element& add(std::string name, std::string space);
  void add_text(std::string t);
};

// Escapes &, <, > (and both quotes, so the result is also safe in attributes).
std::string escape(std::string_view s);
// Serializes `e`; `parent_ns` is the namespace in scope (e.g. jabber:client for stanzas).
std::string serialize(const element& e, std::string_view parent_ns = ns_client);
void serialize_to(std::string& out, const element& e, std::string_view parent_ns);

}  // namespace hearth::xmpp
