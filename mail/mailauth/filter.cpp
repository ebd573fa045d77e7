#include "mail/mailauth/filter.hpp"

// GCC 12 reports a false -Wmismatched-new-delete where a coroutine frame with Asio's own
// operator new/delete is destroyed (the same note as in app/placeholder_sessions.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <ctime>
#include <random>

#include "core/dns/resolver.hpp"
#include "core/log/log.hpp"
#include "core/net/blocking.hpp"
#include "core/util/strings.hpp"
#include "mail/mailauth/arc.hpp"
#include "mail/mailauth/authres.hpp"
#include "mail/mailauth/dkim.hpp"
#include "mail/mailauth/spf.hpp"
#include "mail/message/address.hpp"
#include "mail/message/header.hpp"

namespace hearth::mail::mailauth {
namespace {

namespace asio = boost::asio;
using smtp::decision;

void add_score(smtp::transaction_state& st, const char* name, double s) {
  st.score += s;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s(%g)", name, s);
  st.symbols.emplace_back(buf);
}

std::string value_or(const std::map<std::string, std::string>& m, const std::string& k, std::string def = "") {
  auto it = m.find(k);
  return it == m.end() ? def : it->second;
}

// Whether SPF (of the sender or the HELO name), DKIM or DMARC gave anything but a pass or no
// answer: what makes the mailauth line worth an operator's reading.
bool failed_a_check(const std::map<std::string, std::string>& results) {
  for (const char* k : {"spf", "spf.helo", "dkim", "dmarc"}) {
    auto it = results.find(k);
    if (it == results.end()) continue;
    const auto& v = it->second;
    if (!v.empty() && v != "pass" && v != "none" && v != "neutral") return true;
  }
  return false;
}

// Whether the message carries any field of an ARC set (RFC 8617 §4.1); without one,
// verify_arc() only finds that there is no chain.
bool has_arc_fields(const header_section& h) {
  return h.find("ARC-Seal") || h.find("ARC-Message-Signature") || h.find("ARC-Authentication-Results");
}

class auth_filter : public smtp::filter {
 public:
  auth_filter(std::shared_ptr<dns::resolver> r, std::shared_ptr<const public_suffix_list> psl, filter_options o)
      : r_(std::move(r)), psl_(std::move(psl)), o_(o) {}
  const char* name() const override { return "mailauth"; }

  asio::awaitable<decision> on_mail(const smtp::client_info& ci, const smtp::envelope& env,
                                    smtp::transaction_state& st) override {
    if (ci.kind != smtp::listener_kind::mx || !ci.user.empty() || !o_.spf) co_return decision::go_on();
    boost::system::error_code ec;
    auto ip = asio::ip::make_address(ci.ip, ec);
    if (ec) co_return decision::go_on();
    resolver_spf_dns dns(*r_);
    const std::int64_t now = std::time(nullptr);
    // RFC 7208 §2.3: the HELO identity, checked when it is a domain name.
    std::string helo_result = "none";
    const bool helo_is_name = ci.helo.find('.') != std::string::npos && !ci.helo.starts_with("[");
    if (helo_is_name) {
      auto h = co_await check_host(dns, ip, ci.helo, "postmaster@" + ci.helo, ci.helo, ci.hostname, now);
      helo_result = spf_result_name(h.result);
    }
    st.results["spf.helo"] = helo_result;
    std::string result, domain;
    if (env.sender.is_null || env.sender.domain.empty() || env.sender.domain.starts_with("[")) {
      // §2.4: a null reverse-path is checked as postmaster@HELO.
      result = helo_result;
      domain = helo_is_name ? util::to_lower(ci.helo) : "";
      st.results["spf.identity"] = "helo";
    } else {
      auto m = co_await check_host(dns, ip, env.sender.domain, env.sender.address(), ci.helo, ci.hostname, now);
      result = spf_result_name(m.result);
      domain = m.domain;
      st.results["spf.identity"] = "mailfrom";
      st.results["spf.mailfrom"] = env.sender.address();
      if (!m.mechanism.empty()) st.results["spf.mechanism"] = m.mechanism;
      if (!m.reason.empty()) st.results["spf.reason"] = m.reason;
      if (!m.explanation.empty()) st.results["spf.explanation"] = m.explanation;
    }
    st.results["spf"] = result;
    st.results["spf.domain"] = domain;
    if (result == "fail") add_score(st, "SPF_FAIL", score_spf_fail);
    if (result == "softfail") add_score(st, "SPF_SOFTFAIL", score_spf_softfail);
    co_return decision::go_on();
  }

  asio::awaitable<decision> on_message(const smtp::client_info& ci, const smtp::envelope& env, std::string& message,
                                       smtp::transaction_state& st) override {
    if (ci.kind != smtp::listener_kind::mx || !ci.user.empty()) co_return decision::go_on();
    // RFC 8601 §5: remove any Authentication-Results claiming to be ours before adding ours.
    const std::size_t forged = remove_our_results(message, ci.hostname);
    std::vector<resinfo> ar;
    const std::int64_t now = std::time(nullptr);

    // SPF (decided at MAIL FROM).
    if (o_.spf && st.results.count("spf")) {
      resinfo r{"spf", st.results["spf"], value_or(st.results, "spf.mechanism"), {}};
      if (r.comment.empty()) r.comment = value_or(st.results, "spf.reason");
      if (st.results["spf.identity"] == "mailfrom") r.props.push_back({"smtp.mailfrom", st.results["spf.mailfrom"]});
      else if (!st.results["spf.domain"].empty()) r.props.push_back({"smtp.helo", st.results["spf.domain"]});
      ar.push_back(std::move(r));
    }

    // DKIM: every signature.
    header_section h = parse_header(message);
    std::vector<dmarc_input::dkim_pass> passing;
    bool dkim_temperror = false;
    if (o_.dkim) {
      auto sigs = find_signatures(h);
      // Keys first (DNS, on this executor), then the hashing and signature checks on the
      // blocking pool: a large message would otherwise hold up every session on this thread.
      std::vector<key_answer> keys(sigs.size());
      for (std::size_t i = 0; i < sigs.size(); ++i) {
        if (!sigs[i].sig) continue;
        auto t = co_await r_->txt(sigs[i].key_name());
        if (t.st == dns::status::ok) keys[i].st = key_answer::ok;
        else if (t.st == dns::status::temporary || t.st == dns::status::bogus) keys[i].st = key_answer::temporary;
        keys[i].txt = std::move(t.records);
      }
      std::vector<verification> checked;
      // Without a signature there is nothing to hash: no trip to the pool (most mail).
      if (!sigs.empty()) {
        // Pointers only in the lambda (GCC 12 rule in core/net/blocking.hpp).
        const std::string* m = &message;
        const header_section* hp = &h;
        const auto* sp = &sigs;
        const auto* kp = &keys;
        auto* out = &checked;
        // A large message's body is on disk (st.large_body): hashed as it is read.
        const smtp::body_pieces* body = &st.large_body;
        co_await net::run_blocking([m, hp, sp, kp, out, now, body] {
          for (std::size_t i = 0; i < sp->size(); ++i)
            out->push_back(*body ? verify(*m, *hp, (*sp)[i], (*kp)[i], now, *body)
                                 : verify(*m, *hp, (*sp)[i], (*kp)[i], now));
          return 0;
        });
      }
      std::string overall;
      std::string domains;
      std::string all_results;
      for (const auto& v : checked) {
        const char* res = dkim_status_name(v.status);
        if (!v.domain.empty()) all_results += (all_results.empty() ? "" : " ") + v.domain + "=" + res;
        if (v.status == dkim_status::pass) {
          passing.push_back({v.domain});
          domains += (domains.empty() ? "" : " ") + v.domain;
          overall = "pass";
        } else if (overall.empty()) {
          overall = res;
        }
        dkim_temperror |= v.status == dkim_status::temperror;
        resinfo r{"dkim", res, v.reason, {}};
        if (!v.domain.empty()) r.props.push_back({"header.d", v.domain});
        if (!v.selector.empty()) r.props.push_back({"header.s", v.selector});
        if (!v.algorithm.empty()) r.props.push_back({"header.a", v.algorithm});
        if (!v.b_text.empty()) r.props.push_back({"header.b", v.b_text.substr(0, 12)});
        ar.push_back(std::move(r));
        log::info("dkim.verify", {{"session", ci.session}, {"id", st.id}, {"d", v.domain}, {"s", v.selector},
                                  {"a", v.algorithm}, {"result", res}, {"reason", v.reason}});
      }
      if (sigs.empty()) {
        overall = "none";
        ar.push_back(resinfo{"dkim", "none", "", {}});
      }
      st.results["dkim"] = overall;
      st.results["dkim.domains"] = domains;
      st.results["dkim.results"] = all_results;
      if (overall == "fail") add_score(st, "DKIM_INVALID", score_dkim_fail);
    }

    // ARC (RFC 8617 §5.2): the chain the message arrived with, shown for what it is; a
    // forwarding of ours continues it (forwarding.cpp reads this result back as cv=).
    if (o_.arc) {
      auto names = arc_key_names(h);
      arc_verification av;
      if (names.size() > max_arc_keys) {
        av.result = "fail";
        av.reason = "too many ARC signing keys";
      } else {
        std::map<std::string, key_answer> keys;
        for (const auto& n : names) {
          auto t = co_await r_->txt(n);
          auto& k = keys[n];
          if (t.st == dns::status::ok) k.st = key_answer::ok;
          else if (t.st == dns::status::temporary || t.st == dns::status::bogus) k.st = key_answer::temporary;
          k.txt = std::move(t.records);
        }
        const std::string* m = &message;
        const header_section* hp = &h;
        const auto* kp = &keys;
        const smtp::body_pieces* body = &st.large_body;
        if (has_arc_fields(h))
          av = co_await net::run_blocking([m, hp, kp, body] { return verify_arc(*m, *hp, *kp, *body); });
        else
          av = verify_arc(message, h, keys);  // no ARC set: "none" without hashing anything
      }
      resinfo r{"arc", av.result, av.reason, {}};
      if (av.instances) {
        r.props.push_back({"header.oldest-pass", std::to_string(av.oldest_pass)});
      }
      r.props.push_back({"smtp.remote-ip", ci.ip});
      ar.push_back(std::move(r));
      st.results["arc"] = av.result;
      // A message without an ARC set (most of them) has nothing to say here: debug only.
      const auto arc_level = av.instances ? log::level::info : log::level::debug;
      if (log::enabled(arc_level))
        log::write(arc_level, "arc.verify", {{"session", ci.session}, {"id", st.id}, {"result", av.result},
                                             {"instances", static_cast<std::uint64_t>(av.instances)},
                                             {"reason", av.reason}});
    }

    // DMARC (RFC 7489 §6.6).
    decision out = decision::go_on();
    if (o_.dmarc && psl_) {
      auto r = co_await dmarc(h, st, passing);
      bool defer = false;
      if (r.result == "fail" && (value_or(st.results, "spf") == "temperror" || dkim_temperror)) {
        // RFC 7489 §6.6.2: a DNS failure on the way is not a failed authentication. A policy
        // that would refuse or quarantine waits for the sender's retry instead of guessing.
        r.result = "temperror";
        defer = r.policy != "none";
        r.policy = "none";
      }
      if (r.result == "pass") add_score(st, "DMARC_PASS", score_dmarc_pass);
      if (r.result == "fail") add_score(st, "DMARC_FAIL", score_dmarc_fail);
      std::string from = value_or(st.results, "dmarc.domain");
      std::string comment = r.requested.empty() ? "" : "p=" + r.requested + " dis=" + util::to_upper(r.policy);
      resinfo ri{"dmarc", r.result, comment, {}};
      if (!from.empty()) ri.props.push_back({"header.from", from});
      ar.push_back(std::move(ri));
      st.results["dmarc"] = r.result;
      st.results["dmarc.policy"] = r.policy;
      if (defer) {
        out = decision::no(451, "4.7.5", "DMARC check of " + from + " failed temporarily, try again later");
      } else if (r.result == "fail" && r.policy == "reject") {
        out = decision::no(550, "5.7.1", "Message rejected by the DMARC policy of " + from);
      } else if (r.result == "fail" && r.policy == "quarantine") {
        st.folder = "Junk";
      }
      if (o_.on_dmarc && (r.result == "pass" || r.result == "fail") && st.results.count("dmarc.record")) {
        dmarc_observation ob;
        ob.source_ip = ci.ip;
        ob.header_from = from;
        ob.envelope_from = env.sender.is_null ? "" : util::to_lower(env.sender.domain);
        ob.record_domain = value_or(st.results, "dmarc.record_domain");
        ob.record = value_or(st.results, "dmarc.record");
        ob.result = r.result;
        // A refusal or Junk is what we applied; a sampled-out message had none.
        ob.disposition = r.result == "fail" ? r.policy : "none";
        ob.dkim_aligned = value_or(st.results, "dmarc.dkim_aligned") == "pass";
        ob.spf_aligned = value_or(st.results, "dmarc.spf_aligned") == "pass";
        ob.dkim_results = value_or(st.results, "dkim.results");
        ob.spf_domain = value_or(st.results, "spf.domain");
        ob.spf_result = value_or(st.results, "spf", "none");
        const auto* cb = &o_.on_dmarc;
        const auto* obp = &ob;
        co_await net::run_blocking([cb, obp] {
          (*cb)(*obp);
          return 0;
        });
      }
    }
    st.prepend += format_results(ci.hostname, ar);
    // Every accepted message has its smtp.in line; this one is for the operator looking into
    // why a message failed a check, so a message that failed none (pass, none, neutral) logs
    // it at debug only.
    const auto mailauth_level = forged || failed_a_check(st.results) ? log::level::info : log::level::debug;
    if (log::enabled(mailauth_level))
      log::write(mailauth_level, "mailauth", {{"session", ci.session}, {"id", st.id}, {"ip", ci.ip},
                           {"from", env.sender.address()}, {"spf", value_or(st.results, "spf", "-")},
                           {"spf_helo", value_or(st.results, "spf.helo", "-")},
                           {"dkim", value_or(st.results, "dkim", "-")}, {"dmarc", value_or(st.results, "dmarc", "-")},
                           {"policy", value_or(st.results, "dmarc.policy", "-")},
                           {"forged_ar_removed", static_cast<std::uint64_t>(forged)}});
    co_return out;
  }

 private:
  asio::awaitable<dmarc_outcome> dmarc(const header_section& h, smtp::transaction_state& st,
                                       const std::vector<dmarc_input::dkim_pass>& passing) {
    dmarc_outcome out;
    // §6.6.1: exactly one From field with exactly one address; otherwise no evaluation.
    auto froms = h.find_all("From");
    std::string domain;
    if (froms.size() == 1) {
      auto boxes = parse_address_list(froms.front()->value).mailboxes();
      if (boxes.size() == 1) domain = util::to_lower(boxes.front().domain);
    }
    if (domain.empty() || domain.starts_with("[")) {
      out.result = "permerror";
      co_return out;
    }
    st.results["dmarc.domain"] = domain;
    auto t = co_await r_->txt("_dmarc." + domain);
    if (t.st == dns::status::temporary || t.st == dns::status::bogus) {
      out.result = "temperror";
      co_return out;
    }
    auto rec = pick_dmarc(t.records);
    bool at_org = false;
    const std::string org = psl_->organizational_domain(domain);
    if (!rec && org != domain) {
      auto t2 = co_await r_->txt("_dmarc." + org);
      if (t2.st == dns::status::temporary || t2.st == dns::status::bogus) {
        out.result = "temperror";
        co_return out;
      }
      rec = pick_dmarc(t2.records);
      at_org = true;
    }
    if (!rec) co_return out;  // none
    auto parsed = parse_dmarc(*rec);
    if (!parsed) co_return out;  // §6.6.3: an invalid record is as if there were none
    dmarc_input in;
    in.from_domain = domain;
    in.spf_result = value_or(st.results, "spf", "none");
    in.spf_domain = value_or(st.results, "spf.domain");
    in.dkim = passing;
    // For the aggregate report (RFC 7489 §7.2): the record and which identifiers aligned.
    st.results["dmarc.record"] = *rec;
    st.results["dmarc.record_domain"] = at_org ? org : domain;
    bool dkim_aligned = false;
    for (const auto& d : passing) dkim_aligned |= aligned(*psl_, d.domain, domain, parsed->adkim_strict);
    st.results["dmarc.dkim_aligned"] = dkim_aligned ? "pass" : "fail";
    st.results["dmarc.spf_aligned"] =
        in.spf_result == "pass" && aligned(*psl_, in.spf_domain, domain, parsed->aspf_strict) ? "pass" : "fail";
    thread_local std::mt19937 rng{std::random_device{}()};
    int sample = static_cast<int>(rng() % 100);
    co_return evaluate_dmarc(*psl_, in, *parsed, at_org, sample);
  }

  std::shared_ptr<dns::resolver> r_;
  std::shared_ptr<const public_suffix_list> psl_;
  filter_options o_;
};

}  // namespace

std::shared_ptr<smtp::filter> make_filter(std::shared_ptr<dns::resolver> resolver,
                                          std::shared_ptr<const public_suffix_list> psl, filter_options o) {
  return std::make_shared<auth_filter>(std::move(resolver), std::move(psl), o);
}

}  // namespace hearth::mail::mailauth
