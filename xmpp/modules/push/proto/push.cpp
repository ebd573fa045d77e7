#include "xmpp/modules/push/proto/push.hpp"

#include "xmpp/stream/jid.hpp"
#include "xmpp/stream/parser.hpp"

namespace hearth::xmpp::push {

namespace {

std::string form_type(const element& x) {
  for (const auto& f : x.children)
    if (!f.is_text() && f.name == "field" && f.get("var") == "FORM_TYPE")
      if (const element* v = f.child("value")) return v->body();
  return {};
}

}  // namespace

parse_result parse(const element& payload) {
  parse_result out;
  if (payload.ns != ns_push || (payload.name != "enable" && payload.name != "disable")) {
    out.error = "expected <enable/> or <disable/> in urn:xmpp:push:0";
    return out;
  }
  command r;
  r.enable = payload.name == "enable";
  auto j = jid::parse(payload.get("jid"));
  if (!j) {
    out.error = "jid must be the app server's JID";
    return out;
  }
  r.reg.jid = j->full();
  r.reg.node = payload.get("node");
  if (r.reg.node.size() > max_node) {
    out.error = "node is too long";
    return out;
  }
  // XEP-0357 §5: enabling names a node; disabling without one removes every node.
  if (r.enable && r.reg.node.empty()) {
    out.error = "enable needs a node";
    return out;
  }
  if (r.enable) {
    for (const auto& x : payload.children) {
      if (x.is_text() || x.name != "x" || x.ns != ns_data) continue;
      if (form_type(x) != publish_options_type) {
        out.error = "the form must be pubsub#publish-options";
        return out;
      }
      std::size_t fields = 0;
      for (const auto& f : x.children) fields += !f.is_text() && f.name == "field";
      if (fields > max_fields) {
        out.error = "the publish-options form has too many fields";
        return out;
      }
      element form = x;
      form.set("type", "submit");
      r.reg.options = serialize(form, ns_client);
      if (r.reg.options.size() > max_options) {
        out.error = "the publish-options form is too large";
        return out;
      }
      break;
    }
  }
  out.req = std::move(r);
  return out;
}

element notification(std::string_view account, const registration& r, std::string_view id, const summary& s) {
  element iq("iq", std::string(ns_client));
  iq.set("type", "set").set("from", account).set("to", r.jid).set("id", id);
  element& pubsub = iq.add("pubsub", std::string(ns_pubsub));
  element& publish = pubsub.add("publish", std::string(ns_pubsub));
  publish.set("node", r.node);
  element& item = publish.add("item", std::string(ns_pubsub));
  element& note = item.add("notification", std::string(ns_push));
  element& x = note.add("x", std::string(ns_data));
  x.set("type", "submit");
  auto field = [&](std::string var, std::string value) {
    element& f = x.add("field", std::string(ns_data));
    f.set("var", var);
    f.add("value", std::string(ns_data)).add_text(std::move(value));
  };
  field("FORM_TYPE", "urn:xmpp:push:summary");
  if (s.detailed) {
    field("message-count", std::to_string(s.message_count));
    if (!s.last_sender.empty()) field("last-message-sender", s.last_sender);
  }
  if (!r.options.empty()) {
    // Stored by parse(): our own serialization of one form.
    element& po = pubsub.add("publish-options", std::string(ns_pubsub));
    if (auto form = parse_fragment(r.options)) po.children.push_back(std::move(*form));
  }
  return iq;
}

}  // namespace hearth::xmpp::push
