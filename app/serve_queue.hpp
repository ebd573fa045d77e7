// The outbound queue for `hearth serve`: built from the configuration with
// its own DNS resolver, local delivery through mail/smtp/server's deliver_local, stopped in
// on_stop. install_mail (serve_mail.cpp) calls it and hands the queue to the SMTP sessions.
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "app/serve_context.hpp"
#include "mail/smtp/server/delivery.hpp"

namespace hearth::mail::smtp {
class forwarding;
}

namespace hearth::dns {
class resolver;
}
namespace hearth::mail::queue {
class queue;
struct tls_outcome;
}

namespace hearth::app {

// Makes the DNS resolver the queue and the mail checks share (dns.servers, dns.dnssec); kept in
// ctx.keep.
std::shared_ptr<dns::resolver> make_resolver(serve_context& ctx);

// Opens (and migrates) the queue, starts its delivery agent on ctx.server.io(), keeps it in
// ctx.keep and registers its stop in ctx.on_stop. Returns null after logging
// why (install_mail then returns false). Config: smtp.outbound.port, smtp.queue.first_retry,
// max_retry, give_up, delay_warning, dns.servers, dns.dnssec, server.hostname/data_dir.
// `local_copy`: the Sieve hook for local deliveries, may be filled in after this returns (before
// the server runs); null or empty = plain delivery. `forwarder`: SRS and ARC for copies that
// aliases pass on to other domains; null = passed on as they are. `on_tls`: where the TLS
// outcomes of outbound sessions go (TLS-RPT), may be filled in later like local_copy.
std::shared_ptr<mail::queue::queue> make_outbound_queue(
    serve_context& ctx, dns::resolver& resolver, std::shared_ptr<mail::smtp::copy_hook> local_copy = nullptr,
    std::shared_ptr<mail::smtp::forwarding> forwarder = nullptr,
    std::shared_ptr<std::function<void(std::vector<mail::queue::tls_outcome>)>> on_tls = nullptr);

}  // namespace hearth::app
