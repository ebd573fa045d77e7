// The TCP link: RFC 6120 framing on a connection (5222 with STARTTLS, 5223 direct TLS).
#include <boost/asio/use_awaitable.hpp>

#include "core/net/connection.hpp"
#include "xmpp/c2s/link.hpp"

namespace hearth::xmpp {

namespace asio = boost::asio;

namespace {

class tcp_link final : public c2s_link {
 public:
  tcp_link(net::connection& c, parser_limits lim) : c_(c), parser_(lim) {}

  asio::awaitable<std::optional<stream_event>> next(std::chrono::seconds timeout) override {
    while (next_pending_ == pending_.size()) {
      if (parser_.failed()) co_return std::nullopt;
      next_pending_ = 0;
      pending_.clear();
      if (!c_.input_available()) {
        // A connection about to wait for its client keeps no expat parser and no event
        // storage meanwhile (most chat connections are idle most of the time).
        parser_.hibernate();
        std::vector<stream_event>().swap(pending_);
      }
      auto r = co_await c_.read_some(64 * 1024, timeout);
      if (r.status == net::read_status::timeout) {
        timed_out_ = true;
        co_return std::nullopt;
      }
      if (!r) co_return std::nullopt;
      parser_.feed(r.data, pending_);
      if (parser_.bytes_fed() > max_bytes_ && !parser_.failed()) {
        stream_event err;
        err.condition = "policy-violation";
        pending_.push_back(std::move(err));
        max_bytes_ = UINT64_MAX;
      }
    }
    co_return std::move(pending_[next_pending_++]);
  }
  bool timed_out() const override { return timed_out_; }
  void set_max_bytes(std::uint64_t max) override { max_bytes_ = max; }
  void restart() override { parser_.reset(); }

  asio::awaitable<bool> write_open(std::string_view from, std::string_view id) override {
    co_return co_await c_.write("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                                "xmlns:stream='http://etherx.jabber.org/streams' id='" +
                                std::string(id) + "' from='" + escape(from) + "' version='1.0' xml:lang='en'>");
  }
  asio::awaitable<bool> write(const std::vector<std::string_view>& elements) override {
    if (elements.size() == 1) co_return co_await c_.write(elements[0]);
    std::string buf;
    for (auto e : elements) buf += e;
    co_return co_await c_.write(buf);
  }
  asio::awaitable<void> write_close() override { co_await c_.write("</stream:stream>"); }
  asio::awaitable<void> write_error(std::string_view condition) override {
    co_await c_.write("<stream:error><" + std::string(condition) +
                      " xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>");
  }
  asio::awaitable<void> drain() override {
    std::size_t total = 0;
    while (c_.is_open() && total < 32 * 1024 * 1024) {
      auto r = co_await c_.read_some(64 * 1024, std::chrono::seconds(2));
      if (!r) break;
      total += r.data.size();
    }
  }
  void close() override { c_.close(); }

  bool secure() const override { return c_.is_tls(); }
  bool input_pending() const override { return c_.has_buffered_input() || next_pending_ != pending_.size(); }
  asio::awaitable<bool> start_tls(std::chrono::seconds timeout) override {
    bool ok = co_await c_.start_tls(timeout);
    if (ok) parser_.reset();
    co_return ok;
  }
  std::optional<std::string> channel_binding() const override { return c_.channel_binding(); }
  std::optional<std::string> channel_binding_end_point() const override { return c_.channel_binding_end_point(); }
  const std::string& remote_ip() const override { return c_.remote_ip(); }
  const std::string& id() const override { return c_.id(); }
  asio::any_io_executor get_executor() override { return c_.get_executor(); }

 private:
  net::connection& c_;
  stream_parser parser_;
  std::vector<stream_event> pending_;  // events parsed, not yet taken: pending_[next_pending_..]
  std::size_t next_pending_ = 0;
  bool timed_out_ = false;
  std::uint64_t max_bytes_ = UINT64_MAX;
};

}  // namespace

std::unique_ptr<c2s_link> make_tcp_link(net::connection& c, parser_limits limits) {
  return std::make_unique<tcp_link>(c, limits);
}

}  // namespace hearth::xmpp
