// Sieve at delivery for `hearth serve`: the copy hook that install_mail hands to the SMTP
// sessions and to the queue's local delivery (mail/sieve_delivery does the work), with the
// outbound queue for what scripts send and the XMPP hub for xmpp: notifications.
#pragma once
#include <memory>

#include "app/serve_context.hpp"
#include "mail/smtp/server/delivery.hpp"

namespace hearth::mail::queue {
class queue;
}
namespace hearth::mail::smtp {
class submission_transform;
class forwarding;
}

namespace hearth::app {

// Needs ctx.scripts (install_managesieve). Messages that scripts send go to `outbound`, signed by
// `submission` (vacation, refusals, notifications) or through `forwarder` (redirects: SRS and
// ARC, as alias forwarding; null = as they are). Thread-safe.
mail::smtp::copy_hook make_sieve_hook(serve_context& ctx, mail::queue::queue* outbound,
                                      std::shared_ptr<mail::smtp::submission_transform> submission,
                                      std::shared_ptr<mail::smtp::forwarding> forwarder = nullptr);

}  // namespace hearth::app
