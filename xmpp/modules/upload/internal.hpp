// The upload service's state, shared by its XMPP side (service.cpp) and its HTTP side
// (http.cpp). Not part of the module's interface.
#pragma once
#include <atomic>
#include <memory>
#include <set>
#include <string>

#include <boost/asio/steady_timer.hpp>

#include "core/http/live_routes.hpp"
#include "xmpp/modules/upload/service.hpp"
#include "xmpp/stream/xml.hpp"

namespace hearth::xmpp::upload {

class service : public std::enable_shared_from_this<service> {
 public:
  service(hub& h, upload_store& st, blob::store& blobs, service_options o)
      : hub_(h), store_(st), blobs_(blobs), opts_(std::move(o)) {}

  // XMPP: a stanza to SUBDOMAIN.DOMAIN (service.cpp).
  void handle(element st);
  // HTTP: any request under /upload/ (http.cpp).
  boost::asio::awaitable<http::response> serve(http::request req, http::body_source& body);
  // Removes the files older than opts.keep (blocking). Returns how many.
  std::size_t sweep();
  void start_sweeps(boost::asio::any_io_executor ex);
  void stop_sweeps();

  hub& hub_;
  upload_store& store_;
  blob::store& blobs_;
  service_options opts_;
  std::set<std::string> domains_;  // the component domains, constant once serving

 private:
  boost::asio::awaitable<http::response> put(http::request& req, http::body_source& body, const std::string& id,
                                             const std::string& filename);
  http::response get(const http::request& req, const std::string& id, const std::string& filename);
  std::shared_ptr<boost::asio::steady_timer> timer_;
  std::atomic<bool> stopped_{false};
};

}  // namespace hearth::xmpp::upload
