#include "xmpp/sasl2/request.hpp"

#include "core/crypto/crypto.hpp"

namespace hearth::xmpp::sasl2 {

namespace {

constexpr std::size_t max_info = 256;  // octets of <software/> and <device/>

auto malformed(std::string why) { return fail("malformed-request", std::move(why)); }

bool printable(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

bool truthy(const std::string& v) { return v == "true" || v == "1"; }

}  // namespace

result<authenticate_request> parse_authenticate(const element& e) {
  authenticate_request r;
  r.mechanism = e.get("mechanism");
  if (r.mechanism.empty() || r.mechanism.size() > 64) return malformed("no mechanism");
  for (const auto& c : e.children) {
    if (c.is_text()) continue;
    if (c.name == "initial-response" && c.ns == ns_sasl2) {
      const std::string text = c.body();
      if (text == "=" || text.empty()) {
        r.initial_response = std::string();
      } else {
        auto d = crypto::base64_decode(text);
        if (!d) return malformed("initial-response is not base64");
        r.initial_response = std::move(*d);
      }
    } else if (c.name == "user-agent" && c.ns == ns_sasl2) {
      r.agent_id = c.get("id");
      if (r.agent_id.size() > max_agent_id || !printable(r.agent_id)) return malformed("bad user-agent id");
      if (auto* s = c.child("software")) r.software = s->body().substr(0, max_info);
      if (auto* d = c.child("device")) r.device = d->body().substr(0, max_info);
    } else if (c.name == "bind" && c.ns == ns_bind2) {
      r.bind = true;
      if (auto* t = c.child("tag")) r.tag = t->body();
      if (r.tag.size() > max_tag || !printable(r.tag) || r.tag.find('/') != std::string::npos)
        return malformed("bad bind tag");
    } else if (c.name == "request-token" && c.ns == ns_fast) {
      if (c.get("mechanism") != fast_mechanism) return malformed("token requested for an unknown mechanism");
      r.request_token = true;
    } else if (c.name == "fast" && c.ns == ns_fast) {
      r.fast = true;
      r.invalidate = truthy(c.get("invalidate"));
    }
  }
  // XEP-0484 §5.1: tokens belong to one client, named by its user-agent id.
  if ((r.fast || r.request_token) && r.agent_id.empty()) return malformed("FAST needs a user-agent id");
  return r;
}

std::string feature_xml(const std::vector<std::string>& mechanisms, bool fast) {
  std::string f = "<authentication xmlns='urn:xmpp:sasl:2'>";
  for (const auto& m : mechanisms) f += "<mechanism>" + escape(m) + "</mechanism>";
  f += "<inline><bind xmlns='urn:xmpp:bind:0'/>";
  if (fast) f += "<fast xmlns='urn:xmpp:fast:0'><mechanism>" + std::string(fast_mechanism) + "</mechanism></fast>";
  return f + "</inline></authentication>";
}

std::string bound_resource(std::string_view tag, std::string_view random_part) {
  if (tag.empty()) return std::string(random_part);
  return std::string(tag) + "." + std::string(random_part);
}

}  // namespace hearth::xmpp::sasl2
