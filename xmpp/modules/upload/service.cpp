// The XMPP side of HTTP File Upload (XEP-0363): discovery and slot requests.
#include <charconv>

#include "core/crypto/crypto.hpp"
#include "core/log/log.hpp"
#include "xmpp/modules/upload/internal.hpp"
#include "xmpp/modules/upload/proto/slot.hpp"
#include "xmpp/router/hub.hpp"

namespace hearth::xmpp::upload {

namespace {
constexpr std::string_view ns_info = "http://jabber.org/protocol/disco#info";
constexpr std::string_view ns_items = "http://jabber.org/protocol/disco#items";
constexpr std::string_view ns_data = "jabber:x:data";

std::optional<std::uint64_t> parse_size(std::string_view s) {
  std::uint64_t v = 0;
  if (s.empty() || s.size() > 19) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
}  // namespace

void service::handle(element st) {
  if (st.name != "iq") return;  // messages and presences to the service are not for us
  const std::string type = st.get("type");
  if (type != "get" && type != "set") return;
  auto from = jid::parse(st.get("from"));
  auto to = jid::parse(st.get("to"));
  const element* q = st.first_child();
  if (!from || !to || !q || !to->local.empty() || !to->resource.empty()) {
    hub_.send_from_component(make_error(st, "cancel", "service-unavailable"));
    return;
  }
  if (type == "get" && q->ns == ns_info && q->name == "query" && !q->attr("node")) {
    element out("query", std::string(ns_info));
    out.add("identity", std::string(ns_info)).set("category", "store").set("type", "file").set("name", "HTTP File Upload");
    out.add("feature", std::string(ns_info)).set("var", ns_info);
    out.add("feature", std::string(ns_info)).set("var", ns_upload);
    // XEP-0363 §3 (XEP-0128 extended info): the largest file a slot is given for.
    auto& x = out.add("x", std::string(ns_data));
    x.set("type", "result");
    auto& ft = x.add("field", std::string(ns_data));
    ft.set("var", "FORM_TYPE").set("type", "hidden");
    ft.add("value", std::string(ns_data)).add_text(std::string(ns_upload));
    x.add("field", std::string(ns_data)).set("var", "max-file-size").add("value", std::string(ns_data))
        .add_text(std::to_string(opts_.max_file_size));
    hub_.send_from_component(make_iq_result(st, std::move(out)));
    return;
  }
  if (type == "get" && q->ns == ns_items && q->name == "query") {
    hub_.send_from_component(make_iq_result(st, element("query", std::string(ns_items))));
    return;
  }
  if (type != "get" || q->ns != ns_upload || q->name != "request") {
    hub_.send_from_component(make_error(st, "cancel", "service-unavailable"));
    return;
  }
  // XEP-0363 §4: only this server's users get slots (the files count against their quota).
  if (!hub_.is_local_domain(from->domain)) {
    hub_.send_from_component(make_error(st, "cancel", "not-allowed", "uploads are for users of this server"));
    return;
  }
  slot s;
  s.filename = q->get("filename");
  auto size = parse_size(q->get("size"));
  s.content_type = q->attr("content-type").value_or("application/octet-stream");
  if (!valid_filename(s.filename) || !size || !valid_content_type(s.content_type)) {
    hub_.send_from_component(make_error(st, "modify", "bad-request", "filename, size or content-type is not valid"));
    return;
  }
  s.size = *size;
  s.owner = from->bare();
  if (s.size > opts_.max_file_size) {
    // XEP-0363 §4.2: not-acceptable with the limit, so the client can tell the user.
    auto err = make_error(st, "modify", "not-acceptable", "the file is larger than the server accepts");
    auto& ftl = err.child("error")->add("file-too-large", std::string(ns_upload));
    ftl.add("max-file-size", std::string(ns_upload)).add_text(std::to_string(opts_.max_file_size));
    log::info("xmpp.upload.refused", {{"user", s.owner}, {"size", s.size}, {"reason", "file too large"}});
    hub_.send_from_component(std::move(err));
    return;
  }
  if (opts_.quota > 0) {
    const std::uint64_t used = store_.used(s.owner);
    if (used + s.size > opts_.quota) {
      log::info("xmpp.upload.refused", {{"user", s.owner}, {"size", s.size}, {"used", used}, {"reason", "quota"}});
      hub_.send_from_component(make_error(st, "wait", "resource-constraint",
                                          "your uploads would exceed your quota (xmpp.upload_quota_mb)"));
      return;
    }
  }
  s.id = crypto::hex_encode(crypto::random_bytes(16));
  s.expires = now_seconds() + opts_.slot_lifetime.count();
  // The URL names the component's host: `hearth dns zone` points it at this server, and keeps
  // uploaded content off the origin of the web console and webmail.
  std::string base = "https://" + to->domain;
  if (opts_.https_port != 443) base += ":" + std::to_string(opts_.https_port);
  const std::string url = base + url_path(s.id, s.filename);
  element out("slot", std::string(ns_upload));
  auto& put = out.add("put", std::string(ns_upload));
  put.set("url", url);
  put.add("header", std::string(ns_upload)).set("name", "Authorization").add_text("Bearer " + sign(s, opts_.secret));
  out.add("get", std::string(ns_upload)).set("url", url);
  log::info("xmpp.upload.slot", {{"user", s.owner}, {"id", s.id}, {"size", s.size}, {"type", s.content_type}});
  hub_.send_from_component(make_iq_result(st, std::move(out)));
}

std::shared_ptr<service> install(hub& h, upload_store& st, blob::store& blobs, http::live_routes& live,
                                 boost::asio::any_io_executor ex, service_options o,
                                 const std::vector<std::string>& domains) {
  auto s = std::make_shared<service>(h, st, blobs, std::move(o));
  for (const auto& d : domains) {
    const std::string comp = s->opts_.subdomain + "." + d;
    s->domains_.insert(comp);
    h.add_component(comp, "HTTP File Upload", [w = std::weak_ptr<service>(s)](element stanza) {
      if (auto sp = w.lock()) sp->handle(std::move(stanza));
    });
  }
  live.add_stream("/upload/", [w = std::weak_ptr<service>(s)](http::request req,
                                                              http::body_source& body) -> boost::asio::awaitable<http::response> {
    auto sp = w.lock();
    if (!sp) co_return http::response::text(503, "Service Unavailable\n");
    co_return co_await sp->serve(std::move(req), body);
  });
  if (s->opts_.keep.count() > 0) s->start_sweeps(std::move(ex));
  return s;
}

void stop(service& s) { s.stop_sweeps(); }

}  // namespace hearth::xmpp::upload
