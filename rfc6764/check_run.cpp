// `dns check`: the driver. The one translation unit of the check that instantiates Asio
// coroutines: it asks the questions and hands the answers to the pure checkers.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <set>

#include "core/util/strings.hpp"
#include "rfc6764/check.hpp"

// GCC 12 reports a false -Wmismatched-new-delete where a coroutine frame with Asio's own
// operator new/delete is freed; nothing is mismatched.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace hearth::rfc6764 {

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

constexpr std::size_t max_spf_fetches = 40;  // a chain needing more is over the limit anyway
constexpr std::size_t max_banner_lines = 20;
constexpr std::size_t max_banner_bytes = 4096;

template <class T, class Show>
rrset to_rrset(const dns::answer<T>& a, Show show) {
  rrset r;
  r.st = a.st;
  r.why = a.why;
  for (const auto& v : a.records) r.values.push_back(show(v));
  return r;
}

std::string root_dot(const std::string& n) { return n.empty() ? "." : n; }

// Callers pass a named question: GCC 12 mishandles braced temporaries inside co_await
// expressions (destroys them twice), so none are used in this file.
asio::awaitable<rrset> ask(dns::resolver& res, question q) {
  if (q.type == "MX") {
    auto ans = co_await res.mx(q.name);
    co_return to_rrset(ans, [](const dns::mx_record& m) { return std::to_string(m.preference) + " " + root_dot(m.host); });
  }
  if (q.type == "A") {
    auto ans = co_await res.a(q.name);
    co_return to_rrset(ans, [](const auto& a) { return a.to_string(); });
  }
  if (q.type == "AAAA") {
    auto ans = co_await res.aaaa(q.name);
    co_return to_rrset(ans, [](const auto& a) { return a.to_string(); });
  }
  if (q.type == "TXT") {
    auto ans = co_await res.txt(q.name);
    co_return to_rrset(ans, [](const std::string& t) { return t; });
  }
  if (q.type == "SRV") {
    auto ans = co_await res.srv(q.name);
    co_return to_rrset(ans, [](const dns::srv_record& s) {
      return std::to_string(s.priority) + " " + std::to_string(s.weight) + " " + std::to_string(s.port) + " " +
             root_dot(s.target);
    });
  }
  if (q.type == "CNAME") {
    auto ans = co_await res.cname(q.name);
    co_return to_rrset(ans, [](const std::string& t) { return root_dot(t); });
  }
  if (q.type == "CAA") {
    auto ans = co_await res.caa(q.name);
    co_return to_rrset(ans, [](const dns::caa_record& c) { return dns::format_caa(c); });
  }
  if (q.type == "TLSA") {
    auto ans = co_await res.tlsa(q.name);
    co_return to_rrset(ans, [](const dns::tlsa_record& t) {
      return std::to_string(t.usage) + " " + std::to_string(t.selector) + " " + std::to_string(t.matching) + " " + t.data;
    });
  }
  rrset none;
  none.why = "unsupported question type " + q.type;
  co_return none;
}

// Follows include:/redirect= breadth-first so count_spf_lookups() can walk the chain offline.
asio::awaitable<std::map<std::string, rrset>> fetch_spf_chain(dns::resolver& res, std::string record) {
  std::map<std::string, rrset> fetched;
  std::deque<std::string> todo;
  for (auto& d : spf_references(record)) todo.push_back(d);
  while (!todo.empty() && fetched.size() < max_spf_fetches) {
    std::string d = todo.front();
    todo.pop_front();
    if (fetched.count(d)) continue;
    question q{d, "TXT"};
    rrset r = co_await ask(res, q);
    auto recs = r.st == dns::status::ok ? spf_records(r.values) : std::vector<std::string>{};
    fetched[d] = std::move(r);
    if (recs.size() == 1)
      for (auto& n : spf_references(recs.front())) todo.push_back(n);
  }
  co_return fetched;
}

asio::awaitable<finding> listing(dns::resolver& res, std::string subject, std::string list, std::string name) {
  question qa{name, "A"};
  rrset a = co_await ask(res, qa);
  rrset txt;
  if (a.st == dns::status::ok) {
    // RFC 5782 §2.1: the TXT record of a listing says why and where to ask for removal.
    question qt{name, "TXT"};
    txt = co_await ask(res, qt);
  }
  co_return classify_listing(subject, list, a, txt);
}

struct banner {
  std::vector<std::string> lines;
  std::string error;
};

// Connects, reads the greeting (RFC 5321 §4.2: "220-" lines continue it), says QUIT. The whole
// exchange is bounded by `timeout`.
asio::awaitable<banner> read_banner(asio::ip::address addr, std::uint16_t port, std::chrono::milliseconds timeout) {
  banner out;
  auto ex = co_await asio::this_coro::executor;
  tcp::socket sock(ex);
  asio::steady_timer timer(ex);
  timer.expires_after(timeout);
  auto connected = co_await (sock.async_connect(tcp::endpoint(addr, port), asio::as_tuple(asio::use_awaitable)) ||
                             timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (connected.index() == 1) {
    out.error = "no connection within " + std::to_string(timeout.count() / 1000) + " s";
    co_return out;
  }
  if (auto [ec] = std::get<0>(connected); ec) {
    out.error = "cannot connect: " + ec.message();
    co_return out;
  }
  std::string buf;
  while (out.lines.size() < max_banner_lines) {
    auto got = co_await (asio::async_read_until(sock, asio::dynamic_buffer(buf, max_banner_bytes), "\n",
                                                asio::as_tuple(asio::use_awaitable)) ||
                         timer.async_wait(asio::as_tuple(asio::use_awaitable)));
    if (got.index() == 1) {
      out.error = out.lines.empty() ? "no greeting within " + std::to_string(timeout.count() / 1000) + " s"
                                    : "greeting not finished within " + std::to_string(timeout.count() / 1000) + " s";
      co_return out;
    }
    auto [ec, n] = std::get<0>(got);
    if (ec) {
      out.error = out.lines.empty() ? "connection closed before a greeting (" + ec.message() + ")" : "";
      break;
    }
    std::string line = buf.substr(0, n);
    buf.erase(0, n);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    out.lines.push_back(line);
    if (line.size() < 4 || line[3] != '-') break;  // the last line of a reply has a space there
  }
  boost::system::error_code ignored;
  if (!out.lines.empty() && out.lines.back().rfind("220 ", 0) == 0) {
    // RFC 5321 §4.1.1.10: QUIT ends the session politely; we do not wait for the answer.
    co_await (asio::async_write(sock, asio::buffer(std::string_view("QUIT\r\n")), asio::as_tuple(asio::use_awaitable)) ||
              timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  }
  sock.shutdown(tcp::socket::shutdown_both, ignored);
  sock.close(ignored);
  co_return out;
}

}  // namespace

asio::awaitable<std::vector<finding>> run_checks(dns::resolver& res, const zone_plan& plan, const check_options& o) {
  std::vector<finding> out;
  const std::string domain = util::to_lower(o.domain);

  // 1. The records of the plan.
  observations obs;
  for (const auto& q : questions_for(plan)) {
    rrset r = co_await ask(res, q);
    obs.put(q, std::move(r));
  }
  for (auto& f : check_records(plan, obs, o.dkim_public)) out.push_back(std::move(f));

  // 2. The SPF lookup limit, when there is exactly one SPF record to judge (none or several
  //    are already reported by the TXT check).
  question spf_q{domain, "TXT"};
  if (!obs.find(spf_q)) {
    rrset r = co_await ask(res, spf_q);
    obs.put(spf_q, std::move(r));
  }
  if (const rrset* txt = obs.find(spf_q); txt && txt->st == dns::status::ok) {
    auto recs = spf_records(txt->values);
    if (recs.size() == 1) {
      auto chain = co_await fetch_spf_chain(res, recs.front());
      out.push_back(check_spf_lookups(domain, recs.front(), chain));
    }
  }

  // 3. Reverse DNS of each public address, and the hostname back to it.
  if (o.ips.empty())
    out.push_back({finding::warn, "PTR", "no public address configured, reverse DNS and IP blocklists not checked",
                   "set server.ip4 / server.ip6 in the config, or give --ip4 / --ip6"});
  for (const auto& ip : o.ips) {
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(ip, ec);
    if (ec) {
      out.push_back({finding::fail, "PTR " + ip, "not an IP address", "fix server.ip4 / server.ip6 in the config"});
      continue;
    }
    auto ptr_answer = co_await res.ptr(addr);
    auto ptr = to_rrset(ptr_answer, [](const std::string& n) { return n; });
    out.push_back(check_ptr(addr.to_string(), o.hostname, ptr));
    question fwd{util::to_lower(o.hostname), addr.is_v4() ? "A" : "AAAA"};
    if (!obs.find(fwd)) {
      rrset r = co_await ask(res, fwd);
      obs.put(fwd, std::move(r));
    }
    out.push_back(check_fcrdns(addr.to_string(), o.hostname, *obs.find(fwd)));
  }

  // 4. Blocklists: each address on each IP list, the domain on each domain list.
  for (const auto& ip : o.ips)
    for (const auto& list : o.blocklists_ip) {
      std::string name = blocklist_name_for_ip(ip, list);
      if (name.empty()) continue;
      finding f = co_await listing(res, ip, list, name);
      out.push_back(std::move(f));
    }
  for (const auto& list : o.blocklists_domain) {
    std::string name = blocklist_name_for_domain(domain, list);
    finding f = co_await listing(res, domain, list, name);
    out.push_back(std::move(f));
  }

  // 5. --connect: the banner of every MX host the world sees (else the ones we expect).
  if (o.connect) {
    std::vector<std::string> hosts;
    const rrset* mx = obs.find({domain, "MX"});
    std::vector<std::string> mx_values;
    if (mx && mx->st == dns::status::ok) mx_values = mx->values;
    else
      for (const auto& r : plan.records)
        if (r.type == "MX" && util::to_lower(r.name) == domain) mx_values.push_back(r.value);
    for (const auto& v : mx_values) {
      auto sp = v.find(' ');
      std::string host = util::to_lower(sp == std::string::npos ? v : v.substr(sp + 1));
      if (!host.empty() && host.back() == '.') host.pop_back();
      if (host.empty() || host == ".") continue;  // null MX (RFC 7505)
      if (std::find(hosts.begin(), hosts.end(), host) == hosts.end()) hosts.push_back(host);
    }
    if (hosts.empty())
      out.push_back({finding::fail, "SMTP banner " + domain, "no MX host to connect to", "publish the MX records first"});
    for (const auto& host : hosts) {
      std::vector<std::string> addrs;
      for (const char* t : {"A", "AAAA"}) {
        question q{host, t};
        rrset r = co_await ask(res, q);
        if (r.st == dns::status::ok) addrs.insert(addrs.end(), r.values.begin(), r.values.end());
      }
      if (addrs.empty())
        out.push_back({finding::fail, "SMTP banner " + host, "the MX host has no address", "publish A/AAAA records for " + host});
      for (const auto& a : addrs) {
        boost::system::error_code ec;
        auto addr = asio::ip::make_address(a, ec);
        if (ec) continue;
        banner b = co_await read_banner(addr, o.smtp_port, o.connect_timeout);
        out.push_back(check_banner(host, a, o.smtp_port, b.lines, b.error));
      }
    }
  }
  co_return out;
}

}  // namespace hearth::rfc6764
