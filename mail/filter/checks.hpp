// The SMTP filters of mail/filter, for the chain of
// mail/smtp/server/filter.hpp. app/serve_filter.cpp builds them from the config:
//   early (RCPT stage; MX listener, unauthenticated clients only):
//     client_checks   rDNS (no PTR, PTR not forward-confirmed), HELO not a FQDN, DNSBL/DNSWL
//                     of the client address: each a score or a refusal
//     greylist_filter greylisting (greylist.hpp); the allowlist is never delayed
//     backup_mx       accepts recipients of the domains we are backup MX for (relay_for)
//   late (message stage):
//     content_checks  RHSBL of the sender domain, URIBL of the link domains in the body
//     verdict_filter  scorers (learning filter), then X-Spam-Status, Junk, or 550 5.7.1
// What the client checks learn is kept in transaction_state::results ("rdns", "rdns.name",
// "client.checked", "client.refusal") so every RCPT of a transaction reuses it.
#pragma once
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mail/filter/dnsbl.hpp"
#include "mail/filter/greylist.hpp"
#include "mail/filter/net.hpp"
#include "mail/filter/uri.hpp"
#include "mail/filter/verdict.hpp"
#include "mail/smtp/server/filter.hpp"

namespace hearth::dns {
class resolver;
}

namespace hearth::mail::filter {

// A check's configured consequence: a score, or a refusal. Score 0 and no refusal = off.
struct rule {
  bool reject = false;
  double score = 0;
  bool off() const { return !reject && score == 0; }
};
// "reject", or a score ("1.5", "0" = off). Nullopt otherwise.
std::optional<rule> parse_rule(std::string_view text);

struct client_options {
  rule rdns_none, rdns_mismatch, helo_not_fqdn;
  std::vector<list_spec> dnsbl;  // client address lists (DNSWL: negative weights)
};

// Fills state.results["rdns"] ("pass", "none", "mismatch", "temperror") and ["rdns.name"]
// (the confirmed name, or the first PTR name) once per transaction.
boost::asio::awaitable<void> ensure_rdns(dns::resolver& res, const smtp::client_info& ci, smtp::transaction_state& st);

class client_checks final : public smtp::filter {
 public:
  client_checks(std::shared_ptr<dns::resolver> res, client_options o) : res_(std::move(res)), o_(std::move(o)) {}
  const char* name() const override { return "client"; }
  boost::asio::awaitable<smtp::decision> on_rcpt(const smtp::client_info&, const smtp::envelope&, const smtp::path&,
                                                 smtp::rcpt_kind, smtp::transaction_state&) override;

 private:
  std::shared_ptr<dns::resolver> res_;
  client_options o_;
};

struct greylist_options {
  address_list allowlist;                 // IPs, networks, client host names (confirmed PTR)
  std::vector<std::string> relay_domains; // backup MX domains: greylisted like local mail
  bool use_pool = true;                   // the provider-pool rule (needs a PTR look-up)
};

class greylist_filter final : public smtp::filter {
 public:
  greylist_filter(std::shared_ptr<greylist> g, std::shared_ptr<dns::resolver> res, greylist_options o)
      : g_(std::move(g)), res_(std::move(res)), o_(std::move(o)) {}
  const char* name() const override { return "greylist"; }
  boost::asio::awaitable<smtp::decision> on_rcpt(const smtp::client_info&, const smtp::envelope&, const smtp::path&,
                                                 smtp::rcpt_kind, smtp::transaction_state&) override;

 private:
  std::shared_ptr<greylist> g_;
  std::shared_ptr<dns::resolver> res_;
  greylist_options o_;
};

struct backup_options {
  std::vector<std::string> domains;   // lowercase
  std::filesystem::path recipients;   // empty = any recipient of the domains; else a file of
                                      // addresses, the first word of each line ("@domain":
                                      // all of it), e.g. the primary's `hearth user list D`
                                      // and `hearth alias list D` output, copied over
};

class backup_mx final : public smtp::filter {
 public:
  explicit backup_mx(backup_options o) : o_(std::move(o)) {}
  const char* name() const override { return "backup_mx"; }
  boost::asio::awaitable<smtp::decision> on_rcpt(const smtp::client_info&, const smtp::envelope&, const smtp::path&,
                                                 smtp::rcpt_kind, smtp::transaction_state&) override;
  bool is_backup_domain(std::string_view domain) const;

 private:
  // Blocking (reads the file when changed); nullopt: no list was ever loaded (no file yet).
  std::optional<bool> recipient_known(const std::string& address);
  backup_options o_;
  std::mutex mu_;
  std::filesystem::file_time_type loaded_{};
  std::set<std::string> known_;
};

struct content_options {
  std::vector<list_spec> sender_lists;  // RHSBL
  std::vector<list_spec> uri_lists;     // URIBL
  uri_limits uri;
  registered_domain_fn registered;      // the Public Suffix List; unset: the last two labels
};

class content_checks final : public smtp::filter {
 public:
  content_checks(std::shared_ptr<dns::resolver> res, content_options o) : res_(std::move(res)), o_(std::move(o)) {}
  const char* name() const override { return "content"; }
  boost::asio::awaitable<smtp::decision> on_message(const smtp::client_info&, const smtp::envelope&, std::string&,
                                                    smtp::transaction_state&) override;

 private:
  std::shared_ptr<dns::resolver> res_;
  content_options o_;
};

class verdict_filter final : public smtp::filter {
 public:
  verdict_filter(verdict_options o, std::vector<std::shared_ptr<scorer>> scorers)
      : o_(o), scorers_(std::move(scorers)) {}
  const char* name() const override { return "verdict"; }
  // The scorers read their models (blocking), so the whole verdict runs in the session's trip
  // to the blocking pool that stores the message: a reject still comes before anything is
  // stored, and the fields and the Junk folder are set before the copies are made.
  smtp::decision before_store(const smtp::client_info&, const smtp::envelope&, const std::string& message,
                              smtp::transaction_state&) override;

 private:
  verdict_options o_;
  std::vector<std::shared_ptr<scorer>> scorers_;
};

// Adds a contribution to the state (score and "NAME(score)" symbol).
void add_score(smtp::transaction_state& st, std::string_view symbol, double score);

}  // namespace hearth::mail::filter
