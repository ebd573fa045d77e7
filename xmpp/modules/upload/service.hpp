// HTTP File Upload (XEP-0363) as a hub component on SUBDOMAIN.DOMAIN for each local domain:
// local users ask it for a slot (service.cpp), then PUT the file to the HTTPS listener and
// anyone with the URL GETs it (http.cpp). Files live in the blob store, their rows in an
// upload_store; files older than the configured age are removed by a periodic sweep.
//
// Thread-safety: the hub calls the component from any thread; the HTTP handler runs on the
// connections' strands and does its disk work on the blocking pool.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "xmpp/modules/upload/store.hpp"

namespace hearth::blob {
class store;
}
namespace hearth::http {
class live_routes;
}
namespace hearth::xmpp {
class hub;
}

namespace hearth::xmpp::upload {

struct service_options {
  std::string subdomain = "upload";
  std::string secret;                        // signs the slots; the server's secret
  std::uint16_t https_port = 443;            // in the URLs (omitted when 443)
  std::uint64_t max_file_size = 100ull << 20;  // octets per file
  std::uint64_t quota = 1ull << 30;            // octets per user, 0 = no quota
  std::chrono::seconds slot_lifetime{300};     // a PUT must start this soon after the slot
  std::chrono::seconds keep{0};                // files older than this are removed; 0 = kept
};

class service;

// Registers SUBDOMAIN.D as a component for every D in `domains` and "/upload/" as a streamed
// route on `live`; starts the expiry sweep on `ex` when o.keep is set. Call before the
// listeners start; keep the result alive as long as the hub and the HTTPS server.
std::shared_ptr<service> install(hub& h, upload_store& st, blob::store& blobs, http::live_routes& live,
                                 boost::asio::any_io_executor ex, service_options o,
                                 const std::vector<std::string>& domains);
// Stops the expiry sweep (at shutdown, before the store goes).
void stop(service& s);

}  // namespace hearth::xmpp::upload
