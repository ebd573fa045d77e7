#include "mail/reports/dmarc_xml.hpp"

#include <cctype>
#include <charconv>
#include <pugixml.hpp>

namespace hearth::mail::reports {
namespace {

std::string_view local_name(const pugi::xml_node& n) {
  std::string_view name = n.name();
  auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node child(const pugi::xml_node& n, std::string_view name) {
  for (auto c : n.children())
    if (c.type() == pugi::node_element && local_name(c) == name) return c;
  return {};
}

std::string text(const pugi::xml_node& n, std::string_view name) {
  std::string_view v = child(n, name).child_value();
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
  return std::string(v);
}

template <class T>
bool number(const pugi::xml_node& n, std::string_view name, T& out) {
  auto s = text(n, name);
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

// Deep nesting is refused before anything reads the tree (pugixml itself parses without
// recursion, but nothing past a few levels belongs in a report).
struct depth_check : pugi::xml_tree_walker {
  bool too_deep = false;
  bool for_each(pugi::xml_node&) override {
    if (static_cast<std::size_t>(depth()) >= max_xml_depth) {
      too_deep = true;
      return false;
    }
    return true;
  }
};

std::string auth_results(const pugi::xml_node& auth, std::string_view method) {
  std::string out;
  for (auto c : auth.children()) {
    if (c.type() != pugi::node_element || local_name(c) != method) continue;
    if (!out.empty()) out += ' ';
    auto d = text(c, "domain");
    out += (d.empty() ? "?" : d) + "=" + text(c, "result");
  }
  return out;
}

}  // namespace

result<dmarc_report> parse_dmarc_report(std::string_view xml) {
  if (xml.size() > max_xml_bytes) return fail("reports.too_big", "report XML larger than the limit");
  pugi::xml_document doc;
  // No DOCTYPE/entity expansion: pugixml never expands external or user-defined entities.
  auto pr = doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!pr) return fail("reports.syntax", std::string("not XML: ") + pr.description());
  depth_check dc;
  doc.traverse(dc);
  if (dc.too_deep) return fail("reports.too_big", "report XML nested too deeply");
  auto root = doc.document_element();
  if (local_name(root) != "feedback") return fail("reports.syntax", "not a DMARC aggregate report (no <feedback>)");

  dmarc_report r;
  auto meta = child(root, "report_metadata");
  r.org = text(meta, "org_name");
  r.email = text(meta, "email");
  r.report_id = text(meta, "report_id");
  auto range = child(meta, "date_range");
  if (r.org.empty() || r.report_id.empty() || !number(range, "begin", r.begin) || !number(range, "end", r.end))
    return fail("reports.syntax", "report_metadata lacks org_name, report_id or date_range");
  auto pol = child(root, "policy_published");
  r.domain = text(pol, "domain");
  r.policy = text(pol, "p");
  if (r.domain.empty()) return fail("reports.syntax", "policy_published lacks domain");
  for (char& c : r.domain) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));

  for (auto rec : root.children()) {
    if (rec.type() != pugi::node_element || local_name(rec) != "record") continue;
    if (r.rows.size() >= max_records) return fail("reports.too_big", "more than " + std::to_string(max_records) + " records");
    auto row = child(rec, "row");
    dmarc_row d;
    d.source_ip = text(row, "source_ip");
    if (d.source_ip.empty() || !number(row, "count", d.count))
      return fail("reports.syntax", "a record lacks source_ip or count");
    auto ev = child(row, "policy_evaluated");
    d.disposition = text(ev, "disposition");
    d.dkim = text(ev, "dkim");
    d.spf = text(ev, "spf");
    auto ids = child(rec, "identifiers");
    d.header_from = text(ids, "header_from");
    d.envelope_from = text(ids, "envelope_from");
    auto auth = child(rec, "auth_results");
    d.dkim_domains = auth_results(auth, "dkim");
    d.spf_domains = auth_results(auth, "spf");
    r.rows.push_back(std::move(d));
  }
  return r;
}

}  // namespace hearth::mail::reports
