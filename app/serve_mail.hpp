// What install_mail (serve_mail.cpp) builds for the SMTP sessions besides the listeners: one
// DNS resolver shared by the queue and the checks, and the filter chain of
// mail/smtp/server/filter.hpp, filled by two hooks (issue 8):
//   install_filter   (serve_filter.cpp, mail/filter):    early (client checks, backup MX,
//                                                        greylisting) and late (RHSBL/URIBL,
//                                                        spam verdict) filters
//   install_mailauth (serve_mailauth.cpp, mail/mailauth): SPF/DKIM/DMARC verification and the
//                                                        submission transform (hygiene, DKIM)
// The chain handed to the sessions is early + auth + late. A hook returns false after logging
// why (serve exits 1).
#pragma once
#include <memory>

#include "app/serve_context.hpp"
#include "mail/smtp/server/filter.hpp"

namespace hearth::dns {
class resolver;
}
namespace hearth::mail::queue {
class queue;
}
namespace hearth::mail::mailauth {
class public_suffix_list;
}

namespace hearth::app {

struct mail_checks {
  std::shared_ptr<dns::resolver> resolver;  // never null; also kept in ctx.keep
  mail::queue::queue* outbound = nullptr;   // the outbound queue (never null once built)
  mail::smtp::filter_chain early, auth, late;
  std::shared_ptr<mail::smtp::submission_transform> submission;
  // The Public Suffix List, for DMARC and URIBL: read once by public_suffixes().
  std::shared_ptr<const mail::mailauth::public_suffix_list> psl;
  bool psl_read = false;
};

// mailauth.public_suffix_list, read on first use; null (logged once) when it cannot be read.
std::shared_ptr<const mail::mailauth::public_suffix_list> public_suffixes(serve_context& ctx, mail_checks& checks);

bool install_filter(serve_context& ctx, mail_checks& checks);
bool install_mailauth(serve_context& ctx, mail_checks& checks);

// SRS and ARC for mail passed on to other domains (serve_mailauth.cpp, mail/mailauth/forwarding):
// reads or creates the SRS secret in the data directory. Null after logging why when the
// secret cannot be kept (forwarded mail then leaves unchanged, SRS addresses are unknown).
std::shared_ptr<mail::smtp::forwarding> make_forwarding(serve_context& ctx);

}  // namespace hearth::app
