// The SMTP filters of mail/filter (see checks.hpp).
#include "mail/filter/checks.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <fstream>

#include "core/dns/resolver.hpp"
#include "core/log/log.hpp"
#include "core/net/blocking.hpp"
#include "core/util/strings.hpp"

namespace hearth::mail::filter {
namespace asio = boost::asio;
using smtp::decision;

namespace {

// Incoming mail from the Internet: the MX listener, a client that did not authenticate.
bool incoming(const smtp::client_info& ci) { return ci.kind == smtp::listener_kind::mx && ci.user.empty(); }

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Is `zone` listing `name`? true/false; temporary failures count as not listed.
asio::awaitable<bool> listed(dns::resolver& res, std::string name) {
  if (name.empty()) co_return false;
  auto a = co_await res.a(name);
  if (a.st != dns::status::ok) co_return false;
  for (const auto& r : a.records)
    if (is_listing(r.to_string())) co_return true;
  co_return false;
}

// listed() for every name at once: a session with several lists waits for the slowest
// answer, not for the sum of them. Element i answers names[i].
asio::awaitable<std::vector<bool>> listed_all(dns::resolver& res, const std::vector<std::string>& names) {
  std::vector<bool> out(names.size(), false);
  if (names.empty()) co_return out;
  auto ex = co_await asio::this_coro::executor;
  using op = decltype(asio::co_spawn(ex, listed(res, std::string()), asio::deferred));
  std::vector<op> ops;
  ops.reserve(names.size());
  for (const auto& n : names) ops.push_back(asio::co_spawn(ex, listed(res, n), asio::deferred));
  auto [order, errors, hits] = co_await asio::experimental::make_parallel_group(std::move(ops))
                                   .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
  for (std::size_t i = 0; i < names.size(); ++i) out[i] = !errors[i] && hits[i];
  co_return out;
}

std::string domain_of(const smtp::path& p) { return util::to_lower(p.domain); }

// The list's TXT explanation of a listing (often a URL), cleaned for an SMTP reply: printable
// ASCII, at most 200 octets; "" when there is none.
asio::awaitable<std::string> list_reason(dns::resolver& res, const std::string& name) {
  auto t = co_await res.txt(name);
  if (t.st != dns::status::ok || t.records.empty()) co_return std::string();
  std::string out;
  for (char c : t.records.front())
    if (c >= ' ' && c < 0x7f && out.size() < 200) out += c;
  co_return out;
}

}  // namespace

std::optional<rule> parse_rule(std::string_view text) {
  rule r;
  if (util::iequals(util::trim(text), "reject")) {
    r.reject = true;
    return r;
  }
  auto s = parse_score(text);
  if (!s) return std::nullopt;
  r.score = *s;
  return r;
}

void add_score(smtp::transaction_state& st, std::string_view symbol, double score) {
  st.score += score;
  st.symbols.push_back(symbol_text(symbol, score));
}

asio::awaitable<void> ensure_rdns(dns::resolver& res, const smtp::client_info& ci, smtp::transaction_state& st) {
  if (st.results.count("rdns")) co_return;
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(ci.ip, ec);
  if (ec) {
    st.results["rdns"] = "none";
    co_return;
  }
  if (addr.is_v6() && addr.to_v6().is_v4_mapped())
    addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
  auto ptr = co_await res.ptr(addr);
  if (ptr.st == dns::status::nxdomain || ptr.st == dns::status::nodata) {
    st.results["rdns"] = "none";
    co_return;
  }
  if (ptr.st != dns::status::ok) {
    st.results["rdns"] = "temperror";
    co_return;
  }
  // FCrDNS: one of (at most 3) PTR names resolves back to the address.
  std::size_t n = 0;
  for (const auto& name0 : ptr.records) {
    if (++n > 3) break;
    std::string name = util::to_lower(name0);
    if (!name.empty() && name.back() == '.') name.pop_back();
    bool match = false;
    if (addr.is_v4()) {
      auto a = co_await res.a(name);
      for (const auto& r : a.records) match = match || r == addr.to_v4();
    } else {
      auto a = co_await res.aaaa(name);
      for (const auto& r : a.records) match = match || r == addr.to_v6();
    }
    if (match) {
      st.results["rdns"] = "pass";
      st.results["rdns.name"] = name;
      co_return;
    }
    if (!st.results.count("rdns.ptr")) st.results["rdns.ptr"] = name;
  }
  st.results["rdns"] = "mismatch";
}

// ---- client checks ------------------------------------------------------------------------

asio::awaitable<decision> client_checks::on_rcpt(const smtp::client_info& ci, const smtp::envelope&,
                                                 const smtp::path&, smtp::rcpt_kind, smtp::transaction_state& st) {
  if (!incoming(ci)) co_return decision::go_on();
  if (auto it = st.results.find("client.refusal"); it != st.results.end())
    co_return decision::no(554, "5.7.1", it->second);
  if (st.results.count("client.checked")) co_return decision::go_on();
  st.results["client.checked"] = "yes";

  auto refuse = [&](std::string text) {
    st.results["client.refusal"] = text;
    log::info("filter.client_refused", {{"session", ci.session}, {"ip", ci.ip}, {"reason", text}});
    return decision::no(554, "5.7.1", text);
  };

  if (!o_.helo_not_fqdn.off() && !helo_is_fqdn(ci.helo)) {
    if (o_.helo_not_fqdn.reject) co_return refuse("HELO " + ci.helo + " is not a fully qualified domain name");
    add_score(st, "HELO_NOT_FQDN", o_.helo_not_fqdn.score);
  }
  if (!o_.rdns_none.off() || !o_.rdns_mismatch.off()) {
    co_await ensure_rdns(*res_, ci, st);
    const std::string& r = st.results["rdns"];
    if (r == "none" && !o_.rdns_none.off()) {
      if (o_.rdns_none.reject) co_return refuse("Client host [" + ci.ip + "] has no reverse DNS (PTR) name");
      add_score(st, "RDNS_NONE", o_.rdns_none.score);
    } else if (r == "mismatch" && !o_.rdns_mismatch.off()) {
      if (o_.rdns_mismatch.reject)
        co_return refuse("Client host [" + ci.ip + "] reverse DNS name does not resolve back to it");
      add_score(st, "RDNS_MISMATCH", o_.rdns_mismatch.score);
    }
  }
  std::vector<std::string> queries;
  for (const auto& l : o_.dnsbl) queries.push_back(ip_query_name(ci.ip, l.zone));
  const std::vector<bool> hits = co_await listed_all(*res_, queries);
  for (std::size_t i = 0; i < o_.dnsbl.size(); ++i) {
    if (!hits[i]) continue;
    const auto& l = o_.dnsbl[i];
    const std::string& q = queries[i];
    st.results["dnsbl." + l.zone] = "listed";
    if (l.reject) {
      const std::string why = co_await list_reason(*res_, q);
      co_return refuse("Client host [" + ci.ip + "] blocked using " + l.zone + (why.empty() ? "" : "; " + why));
    }
    add_score(st, "DNSBL_" + l.zone, l.weight);
  }
  co_return decision::go_on();
}

// ---- greylisting --------------------------------------------------------------------------

asio::awaitable<decision> greylist_filter::on_rcpt(const smtp::client_info& ci, const smtp::envelope& env,
                                                   const smtp::path& rcpt, smtp::rcpt_kind kind,
                                                   smtp::transaction_state& st) {
  if (!incoming(ci)) co_return decision::go_on();
  if (kind == smtp::rcpt_kind::remote) {
    // Only remote recipients we relay as backup MX; others meet the relay rule at once.
    const std::string d = domain_of(rcpt);
    bool ours = false;
    for (const auto& r : o_.relay_domains) ours = ours || r == d;
    if (!ours) co_return decision::go_on();
  }
  if (o_.allowlist.contains_ip(ci.ip)) co_return decision::go_on();
  if (o_.use_pool || !o_.allowlist.empty()) {
    co_await ensure_rdns(*res_, ci, st);
    auto it = st.results.find("rdns.name");
    if (it != st.results.end() && o_.allowlist.contains_domain(it->second)) co_return decision::go_on();
  }
  greylist_request req;
  req.network = network_key(ci.ip);
  req.sender = normalize_sender(env.sender.address());
  req.rcpt = util::to_lower(rcpt.address());
  if (o_.use_pool)
    if (auto it = st.results.find("rdns.name"); it != st.results.end()) req.pool = pool_of(it->second);
  const std::int64_t now = unix_now();
  greylist* g = g_.get();
  auto r = co_await net::run_blocking([g, &req, now] { return g->check(req, now); });
  if (!r) {
    // A broken database must not stop the mail: let it through.
    log::warn("filter.greylist_error", {{"session", ci.session}, {"error", r.error().message}});
    co_return decision::go_on();
  }
  log::info("filter.greylist", {{"session", ci.session}, {"id", st.id}, {"ip", ci.ip}, {"network", req.network},
                                {"from", req.sender}, {"to", req.rcpt}, {"pool", req.pool},
                                {"outcome", outcome_name(r->outcome)}});
  if (delayed(r->outcome))
    co_return decision::no(451, "4.7.1",
                           "<" + rcpt.address() + ">: Greylisted, please try again in " +
                               std::to_string(std::max<std::int64_t>(r->wait, 1)) + " seconds");
  st.results["greylist"] = outcome_name(r->outcome);
  co_return decision::go_on();
}

// ---- backup MX ----------------------------------------------------------------------------

bool backup_mx::is_backup_domain(std::string_view d) const {
  for (const auto& x : o_.domains)
    if (x == d) return true;
  return false;
}

std::optional<bool> backup_mx::recipient_known(const std::string& address) {
  std::lock_guard lock(mu_);
  std::error_code ec;
  auto t = std::filesystem::last_write_time(o_.recipients, ec);
  if (ec) {
    log::warn("filter.backup_recipients", {{"file", o_.recipients.string()}, {"error", ec.message()}});
    // No list yet (e.g. the first sync from the primary has not succeeded): try again later.
    if (loaded_ == std::filesystem::file_time_type{}) return std::nullopt;
    return known_.count(address) > 0;
  }
  if (t != loaded_) {
    std::ifstream in(o_.recipients);
    std::set<std::string> fresh;
    std::string line;
    while (std::getline(in, line) && fresh.size() < 1000000) {
      // The first word of a line: the output of `hearth user list DOMAIN` and `hearth alias
      // list DOMAIN` on the primary can be copied as is; "@domain" (a catch-all) takes all.
      auto l = util::to_lower(util::trim(line));
      if (l.empty() || l.front() == '#') continue;
      if (auto ws = l.find_first_of(" \t"); ws != std::string::npos) l.resize(ws);
      fresh.insert(l);
    }
    known_ = std::move(fresh);
    loaded_ = t;
  }
  auto at = address.rfind('@');
  return known_.count(address) > 0 || (at != std::string::npos && known_.count(address.substr(at)) > 0);
}

asio::awaitable<decision> backup_mx::on_rcpt(const smtp::client_info& ci, const smtp::envelope&,
                                             const smtp::path& rcpt, smtp::rcpt_kind kind,
                                             smtp::transaction_state& st) {
  if (kind != smtp::rcpt_kind::remote || !ci.user.empty() || ci.kind != smtp::listener_kind::mx)
    co_return decision::go_on();
  const std::string domain = domain_of(rcpt);
  if (!is_backup_domain(domain)) co_return decision::go_on();
  const std::string address = util::to_lower(rcpt.address());
  if (!o_.recipients.empty()) {
    auto ok = co_await net::run_blocking([this, &address] { return recipient_known(address); });
    if (!ok) co_return decision::no(451, "4.3.0", "<" + rcpt.address() + ">: recipient list not available yet");
    if (!*ok) co_return decision::no(550, "5.1.1", "<" + rcpt.address() + ">: Recipient address rejected: User unknown");
  }
  st.relay_for.insert(address);
  log::info("filter.backup_mx", {{"session", ci.session}, {"id", st.id}, {"to", address}});
  co_return decision::ok();
}

// ---- content checks (RHSBL, URIBL) --------------------------------------------------------

asio::awaitable<decision> content_checks::on_message(const smtp::client_info& ci, const smtp::envelope& env,
                                                     std::string& message, smtp::transaction_state& st) {
  if (!incoming(ci)) co_return decision::go_on();
  const std::string sender = domain_of(env.sender);
  if (!sender.empty() && sender.front() != '[') {
    std::vector<std::string> queries;
    for (const auto& l : o_.sender_lists) queries.push_back(domain_query_name(sender, l.zone));
    const std::vector<bool> hits = co_await listed_all(*res_, queries);
    for (std::size_t i = 0; i < o_.sender_lists.size(); ++i) {
      if (!hits[i]) continue;
      const auto& l = o_.sender_lists[i];
      if (l.reject) co_return decision::no(554, "5.7.1", "Sender domain " + sender + " blocked using " + l.zone);
      add_score(st, "RHSBL_" + l.zone, l.weight);
    }
  }
  if (!o_.uri_lists.empty()) {
    const uri_limits lim = o_.uri;
    const std::string* msg = &message;
    auto hosts = co_await net::run_blocking([msg, &lim] { return message_hosts(*msg, lim); });
    std::vector<std::string> names;
    for (const auto& h : hosts)
      for (auto& n : uribl_names(h, o_.registered))
        if (names.size() < o_.uri.max_hosts && std::find(names.begin(), names.end(), n) == names.end())
          names.push_back(std::move(n));
    std::vector<std::string> queries;  // list-major: queries[li * names.size() + ni]
    for (const auto& l : o_.uri_lists)
      for (const auto& n : names) queries.push_back(domain_query_name(n, l.zone));
    const std::vector<bool> hits = co_await listed_all(*res_, queries);
    for (std::size_t li = 0; li < o_.uri_lists.size(); ++li) {
      const auto& l = o_.uri_lists[li];
      for (std::size_t ni = 0; ni < names.size(); ++ni) {
        if (!hits[li * names.size() + ni]) continue;
        const auto& n = names[ni];
        if (l.reject) co_return decision::no(554, "5.7.1", "Message contains a link to " + n + " blocked using " + l.zone);
        add_score(st, "URIBL_" + l.zone, l.weight);
        break;  // one contribution per list
      }
    }
  }
  co_return decision::go_on();
}

// ---- verdict ------------------------------------------------------------------------------

decision verdict_filter::before_store(const smtp::client_info& ci, const smtp::envelope& env,
                                     const std::string& message, smtp::transaction_state& st) {
  if (!incoming(ci)) return decision::go_on();
  if (!scorers_.empty()) {
    scorer_input in;
    in.sender = env.sender.address();
    for (const auto& r : env.recipients) in.recipients.push_back(r.address.address());
    in.threshold = o_.threshold;
    in.results = &st.results;
    for (const auto& s : scorers_) {
      in.score_so_far = st.score;
      for (const auto& c : s->score(message, in)) add_score(st, c.symbol, c.score);
    }
  }
  auto v = decide(st.score, st.symbols, o_);
  const char* action = v.action == spam_action::reject ? "reject" : v.action == spam_action::junk ? "junk" : "deliver";
  st.results["spam"] = action;  // for the decision kept about this message (smtp::inbound_decision)
  // Mail delivered as usual has its smtp.in line, and its score is kept with the decision
  // about it (the console's decisions page): this line is for mail filed as junk or refused.
  const auto verdict_level = v.action == spam_action::deliver ? log::level::debug : log::level::info;
  if (log::enabled(verdict_level))
    log::write(verdict_level, "filter.verdict", {{"session", ci.session}, {"id", st.id}, {"from", env.sender.address()},
                                                 {"score", format_score(v.score)}, {"action", action}});
  if (v.action == spam_action::reject)
    return decision::no(550, "5.7.1", "Message rejected as spam (score " + format_score(v.score) + ")");
  // Mail we only keep as a backup MX is judged (and marked) by the primary.
  bool relay_only = !env.recipients.empty();
  for (const auto& r : env.recipients) relay_only = relay_only && st.relay_for.count(util::to_lower(r.address.address()));
  if (relay_only) return decision::go_on();
  st.prepend += v.fields;
  if (v.action == spam_action::junk && st.folder.empty()) st.folder = "Junk";
  return decision::go_on();
}

}  // namespace hearth::mail::filter
