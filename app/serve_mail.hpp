// What install_mail (serve_mail.cpp) builds for the SMTP sessions besides the listeners: one
// DNS resolver shared by the queue and the checks, and the filter chain of
// mail/smtp/server/filter.hpp, filled by two hooks:
//   install_filter   (serve_filter.cpp, mail/filter):    early (client checks, backup MX,
//                                                        greylisting) and late (RHSBL/URIBL,
//                                                        spam verdict) filters
//   install_mailauth (serve_mailauth.cpp, mail/mailauth): SPF/DKIM/DMARC verification and the
//                                                        submission transform (hygiene, DKIM)
// The chain handed to the sessions is early + auth + late. A hook returns false after logging
// why (serve exits 1).
#pragma once
#include <functional>
#include <memory>

#include "app/serve_context.hpp"
#include "mail/smtp/server/filter.hpp"

namespace hearth::dns {
class resolver;
}
namespace hearth::directory {
class directory;
}
namespace hearth::mail::queue {
class queue;
struct tls_outcome;
}
namespace hearth::mail::mailauth {
class public_suffix_list;
struct dmarc_observation;
}
namespace hearth::mail::reports {
class store;
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
  // DATA_DIR/reports.db (install_reports); on_dmarc records DMARC evaluations there for the
  // reports we send (set only when reports.send_dmarc is on), handed to the mailauth filter.
  std::shared_ptr<mail::reports::store> reports;
  std::function<void(const mail::mailauth::dmarc_observation&)> on_dmarc;
  // TLS-RPT: where the queue hands the TLS outcomes of its sessions (made before the queue,
  // filled by install_reports only when reports.send_tls is on; empty: not recorded).
  std::shared_ptr<std::function<void(std::vector<mail::queue::tls_outcome>)>> on_tls =
      std::make_shared<std::function<void(std::vector<mail::queue::tls_outcome>)>>();
  std::function<void()> flush_tls;  // writes the outcomes handed over so far (blocking)
  // What was decided about each incoming message, kept in DATA_DIR/decisions.db for the admin
  // console (install_filter; null when filter.decisions.days is 0).
  std::shared_ptr<mail::smtp::decision_log> decisions;
  // SMTP's view of the directory (directory/cached.hpp: answers remembered, emptied by the
  // bus): the sessions' and the spam scorer's, which asks it for each message's owner.
  std::shared_ptr<directory::directory> smtp_dir;
};

// mailauth.public_suffix_list, read on first use; null (logged once) when it cannot be read.
std::shared_ptr<const mail::mailauth::public_suffix_list> public_suffixes(serve_context& ctx, mail_checks& checks);

bool install_filter(serve_context& ctx, mail_checks& checks);
bool install_mailauth(serve_context& ctx, mail_checks& checks);
// serve_reports.cpp: opens the reports store (before install_mailauth); wraps the
// local copy hook so that reports reaching zone.report_local are read after delivery; starts
// the daily sender once the queue and the submission transform exist.
bool install_reports(serve_context& ctx, mail_checks& checks);
mail::smtp::copy_hook with_report_ingest(serve_context& ctx, mail_checks& checks, mail::smtp::copy_hook inner);
void start_report_sender(serve_context& ctx, mail_checks& checks);

// SRS and ARC for mail passed on to other domains (serve_mailauth.cpp, mail/mailauth/forwarding):
// reads or creates the SRS secret in the data directory. Null after logging why when the
// secret cannot be kept (forwarded mail then leaves unchanged, SRS addresses are unknown).
std::shared_ptr<mail::smtp::forwarding> make_forwarding(serve_context& ctx);

}  // namespace hearth::app
