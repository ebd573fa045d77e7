#include "mail/filter/antivirus.hpp"

#include <boost/asio/use_awaitable.hpp>

#include "core/log/log.hpp"
#include "core/net/blocking.hpp"

// GCC 12 reports a false -Wmismatched-new-delete where a coroutine frame with Asio's own
// operator new/delete is freed; nothing is mismatched.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace hearth::mail::filter {

namespace asio = boost::asio;
using smtp::decision;

asio::awaitable<decision> antivirus_filter::on_message(const smtp::client_info& ci, const smtp::envelope& env,
                                                       std::string& message, smtp::transaction_state& st) {
  const bool mx = ci.kind == smtp::listener_kind::mx && ci.user.empty();
  if (mx ? !o_.on_mx : !o_.on_submission) co_return decision::go_on();
  const antivirus_options* o = &o_;
  // A large message (its body on disk): the header section, then the whole body in pieces.
  const std::string_view msg = st.large_body ? std::string_view(message).substr(0, st.large_header) : std::string_view(message);
  const smtp::body_pieces* body = &st.large_body;
  auto r = co_await net::run_blocking([o, msg, body] { return clamd_scan(o->target, msg, *body, o->clamd); });
  const std::string from = env.sender.address();
  switch (r.status) {
    case scan_status::infected:
      st.results["virus"] = "infected";
      st.results["virus.name"] = r.name;
      log::warn("filter.virus", {{"session", ci.session}, {"id", st.id}, {"from", from}, {"ip", ci.ip},
                                 {"virus", r.name}, {"status", "rejected"}});
      co_return decision::no(554, "5.7.0", "Message contains a virus (" + r.name + ")");
    case scan_status::clean:
      st.results["virus"] = "clean";
      if (r.truncated) log::info("filter.virus_partial", {{"session", ci.session}, {"id", st.id}, {"size", std::uint64_t(message.size())}});
      st.prepend += "X-Virus-Scanned: clamd\r\nX-Virus-Status: Clean\r\n";
      co_return decision::go_on();
    case scan_status::error:
      break;
  }
  log::warn("filter.virus_unchecked", {{"session", ci.session}, {"id", st.id}, {"from", from}, {"error", r.error},
                                       {"action", o_.accept_on_error ? "accept" : "defer"}});
  if (!o_.accept_on_error) co_return decision::no(451, "4.7.1", "Virus scanner unavailable, try again later");
  st.results["virus"] = "unchecked";
  st.prepend += "X-Virus-Status: Unchecked\r\n";
  co_return decision::go_on();
}

}  // namespace hearth::mail::filter
