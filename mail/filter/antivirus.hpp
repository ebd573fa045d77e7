// Antivirus on the SMTP path: each message is streamed to clamd (clamd.hpp) before the 250.
//   infected       554 5.7.0 naming the signature, and a log line
//   clamd failing  451 4.7.1 (try later), or, with on_error = accept, accepted and marked
//                  "X-Virus-Status: Unchecked"
// A clean message gets "X-Virus-Status: Clean" (and the scanner's name in X-Virus-Scanned).
// The result stays in transaction_state::results for later stages (Sieve's virustest):
//   "virus" -> "clean" | "infected" | "unchecked", "virus.name" -> the signature.
#pragma once
#include "mail/filter/clamd.hpp"
#include "mail/smtp/server/filter.hpp"

namespace hearth::mail::filter {

struct antivirus_options {
  clamd_target target;
  clamd_options clamd;
  bool on_mx = true;          // mail arriving on port 25
  bool on_submission = false; // mail from our own users (587/465)
  bool accept_on_error = false;
};

class antivirus_filter final : public smtp::filter {
 public:
  explicit antivirus_filter(antivirus_options o) : o_(std::move(o)) {}
  const char* name() const override { return "antivirus"; }
  boost::asio::awaitable<smtp::decision> on_message(const smtp::client_info&, const smtp::envelope&, std::string&,
                                                    smtp::transaction_state&) override;

 private:
  antivirus_options o_;
};

}  // namespace hearth::mail::filter
