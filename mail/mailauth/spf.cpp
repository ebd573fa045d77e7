// SPF check_host() (RFC 7208 §4, §5) over spf_dns.
#include "mail/mailauth/spf.hpp"

// GCC 12 reports a false -Wmismatched-new-delete where a coroutine frame with Asio's own
// operator new/delete is destroyed (the same note as in app/placeholder_sessions.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "core/util/strings.hpp"

namespace hearth::mail::mailauth {

namespace asio = boost::asio;
using asio::ip::address;

asio::awaitable<dns::answer<std::string>> resolver_spf_dns::txt(std::string n) { co_return co_await r_.txt(n); }
asio::awaitable<dns::answer<asio::ip::address_v4>> resolver_spf_dns::a(std::string n) { co_return co_await r_.a(n); }
asio::awaitable<dns::answer<asio::ip::address_v6>> resolver_spf_dns::aaaa(std::string n) { co_return co_await r_.aaaa(n); }
asio::awaitable<dns::answer<dns::mx_record>> resolver_spf_dns::mx(std::string n) { co_return co_await r_.mx(n); }
asio::awaitable<dns::answer<std::string>> resolver_spf_dns::ptr(address a) { co_return co_await r_.ptr(a); }

namespace {

std::string norm(std::string_view d) {
  std::string s = util::to_lower(d);
  while (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// §4.3: a domain that is not a multi-label name of valid labels gives "none" at the top, and
// a permerror / no match deeper.
bool valid_domain(std::string_view d) {
  if (d.empty() || d.size() > 253) return false;
  auto labels = util::split(d, '.');
  if (labels.size() < 2) return false;
  for (auto l : labels)
    if (l.empty() || l.size() > 63) return false;
  return true;
}

bool in_net(const address& ip, const address& net, int len) {
  if (ip.is_v4() != net.is_v4()) return false;
  if (ip.is_v4()) {
    std::uint32_t a = ip.to_v4().to_uint(), b = net.to_v4().to_uint();
    std::uint32_t mask = len == 0 ? 0 : ~std::uint32_t(0) << (32 - len);
    return (a & mask) == (b & mask);
  }
  auto a = ip.to_v6().to_bytes(), b = net.to_v6().to_bytes();
  int bits = len;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    unsigned mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((a[i] & mask) != (b[i] & mask)) return false;
  }
  return true;
}

bool in_domain(std::string_view name, std::string_view dom) {
  return name == dom || (name.size() > dom.size() && name.ends_with(dom) && name[name.size() - dom.size() - 1] == '.');
}

struct evaluator {
  spf_dns& dns;
  address ip;
  std::string sender, helo, receiver;
  std::int64_t now;
  spf_limits lim;
  int lookups = 0, voids = 0;
  std::optional<std::string> validated;  // %{p}, computed once

  struct step {
    step(spf_result res, std::string mech = {}, std::string why = {}, std::string exp = {})
        : r(res), mechanism(std::move(mech)), reason(std::move(why)), explanation(std::move(exp)) {}
    spf_result r;
    std::string mechanism, reason, explanation;
  };

  // §6.2: the explanation of a fail. Any problem (DNS, several records, bad macros) means
  // no explanation, never a different result.
  asio::awaitable<std::string> explain(const std::string& exp_spec, const std::string& domain) {
    auto name = co_await expand(exp_spec, domain);
    if (!name || !valid_domain(*name)) co_return std::string();
    auto t = co_await dns.txt(*name);
    if (t.st != dns::status::ok || t.records.size() != 1) co_return std::string();
    auto text = co_await expand(t.records.front(), domain, true);
    if (!text) co_return std::string();
    std::string out;
    for (char c : *text)
      if (static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f) out += c;
    if (out.size() > 512) out.resize(512);
    co_return out;
  }

  // Counts a DNS-querying term; false once the limit is passed.
  bool count() { return ++lookups <= lim.max_lookups; }
  template <class T>
  bool is_void(const dns::answer<T>& a) {
    return (a.st == dns::status::nxdomain || a.st == dns::status::nodata) && ++voids > lim.max_void_lookups;
  }

  asio::awaitable<std::vector<address>> addresses(const std::string& name, dns::status* st) {
    std::vector<address> out;
    if (ip.is_v4()) {
      auto a = co_await dns.a(name);
      *st = a.st;
      for (auto& x : a.records) out.emplace_back(x);
    } else {
      auto a = co_await dns.aaaa(name);
      *st = a.st;
      for (auto& x : a.records) out.emplace_back(x);
    }
    co_return out;
  }

  // Forward-confirmed PTR names of ip that are within `target` (or all when target is empty),
  // §5.5: at most max_ptr_names are checked.
  asio::awaitable<std::vector<std::string>> confirmed_names(const std::string& target) {
    std::vector<std::string> out;
    auto p = co_await dns.ptr(ip);
    if (p.st != dns::status::ok) co_return out;
    int checked = 0;
    for (auto& n : p.records) {
      if (++checked > lim.max_ptr_names) break;
      std::string name = norm(n);
      if (!target.empty() && !in_domain(name, target)) continue;
      dns::status st;
      for (auto& a : co_await addresses(name, &st))
        if (a == ip) {
          out.push_back(name);
          break;
        }
    }
    co_return out;
  }

  asio::awaitable<result<std::string>> expand(const std::string& spec, const std::string& domain, bool exp = false) {
    spf_macro_context c;
    c.sender = sender;
    c.domain = domain;
    c.ip = ip;
    c.helo = helo;
    c.receiver = receiver;
    c.now = now;
    if (spec.find("%{p") != std::string::npos || spec.find("%{P") != std::string::npos) {
      if (!validated) {
        auto names = co_await confirmed_names(domain);
        if (names.empty()) names = co_await confirmed_names("");
        validated = names.empty() ? "unknown" : names.front();
      }
      c.validated = *validated;
    }
    auto r = expand_macros(spec, c, exp);
    if (r && !exp) *r = norm(*r);
    co_return r;
  }

  asio::awaitable<step> check(std::string domain, int depth) {
    domain = norm(domain);
    if (!valid_domain(domain)) co_return step{spf_result::none, "", "invalid domain " + domain};
    auto txt = co_await dns.txt(domain);
    if (txt.st == dns::status::temporary || txt.st == dns::status::bogus)
      co_return step{spf_result::temperror, "", "DNS error for " + domain};
    std::vector<std::string> recs;
    for (auto& t : txt.records)
      if (is_spf_record(t)) recs.push_back(t);
    if (recs.empty()) co_return step{spf_result::none, "", "no SPF record at " + domain};
    if (recs.size() > 1) co_return step{spf_result::permerror, "", "several SPF records at " + domain};  // §4.5
    auto rec = parse_spf(recs.front());
    if (!rec) co_return step{spf_result::permerror, "", rec.error().message + " at " + domain};

    for (const auto& t : rec->terms) {
      bool match = false;
      std::string target = domain;
      if (!t.domain_spec.empty()) {
        auto e = co_await expand(t.domain_spec, domain);
        if (!e) co_return step{spf_result::permerror, "", e.error().message};
        target = *e;
      }
      std::string shown;
      switch (t.mech) {
        case spf_mech::all:
          match = true;
          shown = "all";
          break;
        case spf_mech::ip4:
        case spf_mech::ip6: {
          int len = t.mech == spf_mech::ip4 ? t.cidr4 : t.cidr6;
          match = in_net(ip, t.net, len);
          shown = std::string(t.mech == spf_mech::ip4 ? "ip4:" : "ip6:") + t.net.to_string() + "/" + std::to_string(len);
          break;
        }
        case spf_mech::include: {
          if (!count()) co_return step{spf_result::permerror, "", "too many DNS lookups"};
          shown = "include:" + target;
          if (depth > 20) co_return step{spf_result::permerror, "", "include loop"};
          auto sub = co_await check(target, depth + 1);
          switch (sub.r) {
            case spf_result::pass: match = true; break;
            case spf_result::fail:
            case spf_result::softfail:
            case spf_result::neutral: break;
            case spf_result::temperror: co_return sub;
            case spf_result::none:
            case spf_result::permerror:
              co_return step{spf_result::permerror, "", sub.reason.empty() ? "include:" + target + " has no record" : sub.reason};
          }
          break;
        }
        case spf_mech::a:
        case spf_mech::exists: {
          if (!count()) co_return step{spf_result::permerror, "", "too many DNS lookups"};
          shown = (t.mech == spf_mech::a ? "a:" : "exists:") + target;
          if (!valid_domain(target)) break;
          std::vector<address> addrs;
          dns::status st;
          if (t.mech == spf_mech::exists) {
            auto a = co_await dns.a(target);  // §5.7: always an A query
            st = a.st;
            if (is_void(a)) co_return step{spf_result::permerror, "", "too many void lookups"};
            match = !a.records.empty();
          } else {
            addrs = co_await addresses(target, &st);
            dns::answer<int> probe;
            probe.st = st;
            if (is_void(probe)) co_return step{spf_result::permerror, "", "too many void lookups"};
            for (auto& x : addrs) match |= in_net(ip, x, ip.is_v4() ? t.cidr4 : t.cidr6);
          }
          if (st == dns::status::temporary || st == dns::status::bogus)
            co_return step{spf_result::temperror, "", "DNS error for " + target};
          break;
        }
        case spf_mech::mx: {
          if (!count()) co_return step{spf_result::permerror, "", "too many DNS lookups"};
          shown = "mx:" + target;
          if (!valid_domain(target)) break;
          auto mx = co_await dns.mx(target);
          if (mx.st == dns::status::temporary || mx.st == dns::status::bogus)
            co_return step{spf_result::temperror, "", "DNS error for " + target};
          if (is_void(mx)) co_return step{spf_result::permerror, "", "too many void lookups"};
          if (static_cast<int>(mx.records.size()) > lim.max_mx_names)
            co_return step{spf_result::permerror, "", "more than 10 MX names"};  // §4.6.4
          for (auto& m : mx.records) {
            if (m.host.empty()) continue;
            dns::status st;
            for (auto& x : co_await addresses(norm(m.host), &st)) match |= in_net(ip, x, ip.is_v4() ? t.cidr4 : t.cidr6);
            if (match) break;
          }
          break;
        }
        case spf_mech::ptr: {
          if (!count()) co_return step{spf_result::permerror, "", "too many DNS lookups"};
          shown = "ptr:" + target;
          match = !(co_await confirmed_names(target)).empty();
          break;
        }
      }
      if (!match) continue;
      std::string m = (t.qualifier == '+' ? "" : std::string(1, t.qualifier)) + shown;
      switch (t.qualifier) {
        case '-': {
          step f{spf_result::fail, m, "", ""};
          if (rec->exp) f.explanation = co_await explain(*rec->exp, domain);
          co_return f;
        }
        case '~': co_return step{spf_result::softfail, m, ""};
        case '?': co_return step{spf_result::neutral, m, ""};
        default: co_return step{spf_result::pass, m, ""};
      }
    }
    if (rec->redirect) {
      if (!count()) co_return step{spf_result::permerror, "", "too many DNS lookups"};
      auto e = co_await expand(*rec->redirect, domain);
      if (!e) co_return step{spf_result::permerror, "", e.error().message};
      if (depth > 20) co_return step{spf_result::permerror, "", "redirect loop"};
      auto sub = co_await check(*e, depth + 1);
      if (sub.r == spf_result::none) co_return step{spf_result::permerror, "", "redirect=" + *e + " has no record"};  // §6.1
      co_return sub;
    }
    co_return step{spf_result::neutral, "default", ""};  // §4.7
  }
};

}  // namespace

asio::awaitable<spf_outcome> check_host(spf_dns& dns, address ip, std::string domain, std::string sender,
                                        std::string helo, std::string receiver, std::int64_t now, spf_limits limits) {
  if (ip.is_v6() && ip.to_v6().is_v4_mapped())
    ip = asio::ip::make_address_v4(asio::ip::v4_mapped, ip.to_v6());
  evaluator ev{dns, ip, sender, helo, receiver, now, limits, 0, 0, std::nullopt};
  spf_outcome out;
  out.domain = norm(domain);
  auto s = co_await ev.check(domain, 0);
  out.result = s.r;
  out.mechanism = s.mechanism;
  out.reason = s.reason;
  out.explanation = s.explanation;
  out.lookups = ev.lookups;
  out.void_lookups = ev.voids;
  co_return out;
}

}  // namespace hearth::mail::mailauth
