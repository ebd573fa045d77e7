// The mail authentication filter on the MX port: SPF at MAIL FROM (with the
// HELO check), then at the end of DATA: forged Authentication-Results removed, every DKIM
// signature verified, DMARC evaluated, our Authentication-Results added to state.prepend,
// results and scores recorded for the spam verdict, p=reject refused (550 5.7.1),
// p=quarantine delivered to Junk. Other listeners (authenticated submission) pass through.
//
// transaction_state.results written: "spf", "spf.domain", "spf.helo", "dkim" (pass if any
// signature passed, else the first result, "none" without signatures), "dkim.domains"
// (passing d= values, space separated), "arc" (none | pass | fail), "dmarc", "dmarc.policy" (the policy applied: none |
// quarantine | reject), "dmarc.domain" (From domain), "dkim.results" (every signature's
// "d=result", space separated).
#pragma once
#include <functional>
#include <memory>
#include <string>

#include "mail/mailauth/dmarc.hpp"
#include "mail/smtp/server/filter.hpp"

namespace hearth::dns {
class resolver;
}

namespace hearth::mail::mailauth {

// What a DMARC aggregate report (RFC 7489 §7.2) says about one message, handed to
// filter_options::on_dmarc once DMARC was evaluated against a published record.
struct dmarc_observation {
  std::string source_ip;
  std::string header_from;    // RFC5322.From domain
  std::string envelope_from;  // MAIL FROM domain ("" for the null sender)
  std::string record_domain;  // where the record was found (the From domain or its org. domain)
  std::string record;         // the TXT record as published (p=, sp=, adkim=, aspf=, pct=, rua=)
  std::string result;         // pass | fail
  std::string disposition;    // none | quarantine | reject: the policy applied
  bool dkim_aligned = false;  // an aligned DKIM signature passed
  bool spf_aligned = false;   // SPF passed for an aligned domain
  std::string dkim_results;   // "d1=pass d2=fail"
  std::string spf_domain, spf_result;
};

struct filter_options {
  bool spf = true;
  bool dkim = true;
  bool dmarc = true;
  bool arc = true;  // verify ARC chains (RFC 8617) and report arc= in Authentication-Results
  // Called on the blocking pool for each message evaluated against a DMARC record (mail/reports
  // keeps it for the daily report). Must be thread-safe; may block briefly (a database insert).
  std::function<void(const dmarc_observation&)> on_dmarc;
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
