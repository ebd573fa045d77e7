#include "app/serve_sieve.hpp"

#include <algorithm>
#include <charconv>

#include "core/log/log.hpp"
#include "core/util/strings.hpp"
#include "directory/directory.hpp"
#include "mail/queue/queue.hpp"
#include "mail/sieve_delivery/deliver.hpp"
#include "mail/smtp/server/filter.hpp"

namespace hearth::app {

mail::smtp::copy_hook make_sieve_hook(serve_context& ctx, mail::queue::queue* outbound,
                                      std::shared_ptr<mail::smtp::submission_transform> submission,
                                      std::shared_ptr<mail::smtp::forwarding> forwarder) {
  mail::sieve_delivery::services s;
  s.store = &ctx.mail;
  s.scripts = ctx.scripts;
  s.hostname = ctx.cfg.hostname;
  s.before = ctx.cfg.managesieve_before;
  s.after = ctx.cfg.managesieve_after;
  double threshold = 5;
  try {
    threshold = std::stod(ctx.cfg.filter_spam_threshold);
  } catch (...) {
  }
  s.spam_threshold = threshold;
  const std::string host = ctx.cfg.hostname;
  directory::directory* dir = &ctx.dir;
  s.send = [outbound, submission, host, forwarder, dir](const std::string& from, const std::vector<std::string>& rcpts,
                                                        const std::string& message, const std::string& sign_as,
                                                        const mail::piece_source* body) -> result<void> {
    if (!outbound) return fail("queue.none", "no outbound queue");
    mail::queue::envelope env;
    env.from = from;
    for (const auto& r : rcpts) env.rcpts.push_back({r, "", ""});
    env.auth_user = sign_as;
    env.client = "sieve";
    // Vacation replies, refusals and notifications are the user's mail: cleaned and DKIM-signed
    // like a submission. A redirect is someone else's mail, forwarded like an alias's copy (SRS
    // on the sender, an ARC set) when it leaves for another domain.
    // With `body` (a large message's redirect), `message` and `bytes` are header sections
    // and the body is read from where SMTP keeps it as the queue writes its spool.
    const mail::body_pieces pieces = body ? mail::as_body_pieces(*body) : mail::body_pieces();
    std::string bytes;
    if (!sign_as.empty()) {
      bytes = !submission ? message
              : body      ? submission->prepare_header(sign_as, from, message, pieces)
                          : submission->prepare(sign_as, from, message);
    } else if (forwarder && std::any_of(rcpts.begin(), rcpts.end(), [dir](const std::string& r) {
                 const auto at = r.rfind('@');
                 return at != std::string::npos && !dir->is_local_domain(util::to_lower(r.substr(at + 1)));
               })) {
      auto f = body ? forwarder->prepare(from, message, pieces) : forwarder->prepare(from, message);
      env.from = std::move(f.sender);
      bytes = std::move(f.message);
    } else {
      bytes = message;
    }
    auto q = body ? outbound->enqueue(env,
                                      [&bytes, body](const mail::piece_sink& out) -> result<void> {
                                        if (auto w = out(bytes); !w) return w;
                                        return (*body)(out);
                                      })
                  : outbound->enqueue(env, bytes);
    if (!q) return q.error();
    return {};
  };
  auto chat = ctx.chat;
  s.chat = [chat](const std::string& jid, const std::string& text) { return chat && *chat && (*chat)(jid, text); };
  auto d = std::make_shared<mail::sieve_delivery::deliverer>(std::move(s));
  ctx.keep.push_back(d);
  return [d](const mail::smtp::copy_request& r) -> result<mail::smtp::copy_outcome> {
    mail::sieve_delivery::request req;
    req.account = r.account;
    req.envelope_from = r.envelope_from;
    req.envelope_to = r.envelope_to;
    req.copy = r.copy;
    req.folder = r.folder;
    req.can_reject = r.can_reject;
    if (r.large) {
      req.body_start = r.large->body_start;
      req.write_blob = r.large->write_blob;
      req.body = r.large->each_body;
    }
    auto out = d->deliver(req);
    if (!out) return out.error();
    return mail::smtp::copy_outcome{out->rejected, out->reason};
  };
}

}  // namespace hearth::app
