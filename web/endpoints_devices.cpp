// "Set up a device": GET /api/v1/account/devices (the settings and QR codes) and
// GET /api/v1/account/apple.mobileconfig (Apple's profile, with the session instead of the
// Basic login that /hearth/apple.mobileconfig asks for).
#include "directory/directory.hpp"
#include "web/endpoints.hpp"
#include "web/qr.hpp"

namespace hearth::web {
namespace {

std::string percent_at(const std::string& address) {
  std::string out;
  for (char ch : address) out += ch == '@' ? std::string("%40") : std::string(1, ch);
  return out;
}

json::value qr_of(const std::string& text) {
  auto c = qr::encode(text);
  return c ? json::value(qr::svg_data_uri(*c)) : json::value();
}

http::response devices(const options& o, call& c) {
  const auto& d = o.devices;
  const std::string port = d.https_port == 443 ? "" : ":" + std::to_string(d.https_port);
  json::object out;
  out.set("address", c.who.address);
  out.set("hostname", d.hostname);
  out.set("imaps_port", d.imaps_port);
  out.set("submission_port", d.submission_port);
  out.set("submissions_port", d.submissions_port);
  out.set("xmpp_port", d.xmpp_port);
  const std::string dav_url = "https://" + d.hostname + port + "/dav/";
  out.set("dav_url", dav_url);
  // DAVx5's manual (Integration): it opens caldav(s):// and carddav(s):// URLs on its login
  // screen with the URL and the user name filled in; the password is typed on the phone,
  // never put in a picture. caldavs = over HTTPS.
  const std::string davx5 = "caldavs://" + percent_at(c.who.address) + "@" + d.hostname + port + "/dav/";
  out.set("davx5_uri", davx5);
  out.set("davx5_qr", qr_of(davx5));
  // RFC 5122: Conversations scans xmpp: URIs and offers to use the JID.
  const std::string xmpp = "xmpp:" + c.who.address;
  out.set("xmpp_uri", xmpp);
  out.set("xmpp_qr", qr_of(xmpp));
  return ok(json::value(std::move(out)));
}

http::response mobileconfig(const services& s, call& c) {
  auto acc = s.dir.find_account(c.who.address);
  std::string doc = s.mobileconfig && acc ? s.mobileconfig(acc->address, acc->display_name) : std::string();
  if (doc.empty()) return fail_with(404, "not_found", "no profile for this account");
  auto r = http::response::text(200, std::move(doc), "application/x-apple-aspen-config");
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"hearth.mobileconfig\"");
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace

void add_device_endpoints(api& a, const services& s, const options& o) {
  a.add({"GET", "/api/v1/account/devices", access::user, [o](call& c) { return devices(o, c); }});
  a.add({"GET", "/api/v1/account/apple.mobileconfig", access::user, [s](call& c) { return mobileconfig(s, c); }});
}

}  // namespace hearth::web
