// The mail authentication filter on the MX port (issue 8 item 2): SPF at MAIL FROM (with the
// HELO check), then at the end of DATA: forged Authentication-Results removed, every DKIM
// signature verified, DMARC evaluated, our Authentication-Results added to state.prepend,
// results and scores recorded for the spam verdict, p=reject refused (550 5.7.1),
// p=quarantine delivered to Junk. Other listeners (authenticated submission) pass through.
//
// transaction_state.results written: "spf", "spf.domain", "spf.helo", "dkim" (pass if any
// signature passed, else the first result, "none" without signatures), "dkim.domains"
// (passing d= values, space separated), "arc" (none | pass | fail), "dmarc", "dmarc.policy" (the policy applied: none |
// quarantine | reject), "dmarc.domain" (From domain).
#pragma once
#include <memory>

#include "mail/mailauth/dmarc.hpp"
#include "mail/smtp/server/filter.hpp"

namespace hearth::dns {
class resolver;
}

namespace hearth::mail::mailauth {

struct filter_options {
  bool spf = true;
  bool dkim = true;
  bool dmarc = true;
  bool arc = true;  // verify ARC chains (RFC 8617) and report arc= in Authentication-Results
};

// Distinct ARC key records fetched per message at most; a chain needing more fails (every set
// of a real chain is one handler with one key, and DNS work per message must stay bounded).
inline constexpr std::size_t max_arc_keys = 16;

// Scores added to transaction_state (symbols as "NAME(score)").
inline constexpr double score_spf_fail = 3.0, score_spf_softfail = 1.0, score_dkim_fail = 1.0,
                        score_dmarc_fail = 3.0, score_dmarc_pass = -1.0;

std::shared_ptr<smtp::filter> make_filter(std::shared_ptr<dns::resolver> resolver,
                                          std::shared_ptr<const public_suffix_list> psl, filter_options o);

}  // namespace hearth::mail::mailauth
