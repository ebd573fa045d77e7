// iMIP between the mail side and DAV (RFC 6047), wired by install_dav: DAV's invitations leave
// through the submission path, and calendar parts of delivered mail reach DAV with the mail
// side's verdict on the sender. dav/ never includes mail/: this file is the bridge.
#pragma once
#include <memory>

#include "app/serve_context.hpp"
#include "dav/server/imip.hpp"

namespace hearth::dav {
class service;
}

namespace hearth::app {

// Sends through ctx.send_mail (filled in by install_mail).
std::shared_ptr<dav::imip_sender> make_imip_sender(serve_context& ctx);

// For ctx.observe_copy: finds the text/calendar part of a delivered copy, the From address and
// our own Authentication-Results' DMARC verdict, and hands them to dav::receive_imip. Mail
// without a calendar part costs one substring search. Never throws (delivery goes on).
serve_context::copy_observer make_imip_receiver(serve_context& ctx, std::shared_ptr<dav::service> svc);

}  // namespace hearth::app
