// ACL (RFC 3744 §8.1) and sharing POST bodies -> grants (pure; fuzz_dav_share drives these).
#include <algorithm>

#include "core/http/target.hpp"
#include "dav/server/sharing.hpp"
#include "dav/xml/xml.hpp"

namespace hearth::dav {
namespace {

using xml::element;
using xml::ns_cs;
using xml::ns_dav;

std::string lower(std::string_view s) {
  std::string o(s);
  for (auto& c : o)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return o;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool plausible_address(std::string_view a) {
  auto at = a.find('@');
  return !a.empty() && a.size() <= 320 && at != std::string_view::npos && at > 0 && at + 1 < a.size() &&
         std::none_of(a.begin(), a.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == '/' || c == 0x7f; });
}

// Adds a grant, refusing a second one for the same principal (RFC 3744 §8.1.1 no-ace-conflict).
bool add(std::vector<share_grant>& out, share_grant g) {
  for (auto& o : out)
    if (o.principal == g.principal) return false;
  out.push_back(std::move(g));
  return true;
}

}  // namespace

std::optional<std::string> principal_of(std::string_view href) {
  href = trim(href);
  if (href.size() > 1024) return std::nullopt;
  if (href.size() > 7 && lower(href.substr(0, 7)) == "mailto:") {
    auto a = lower(href.substr(7));
    if (!plausible_address(a)) return std::nullopt;
    return a;
  }
  if (auto scheme = href.find("://"); scheme != std::string_view::npos && scheme < 10) {
    auto slash = href.find('/', scheme + 3);
    if (slash == std::string_view::npos) return std::nullopt;
    href = href.substr(slash);
  }
  constexpr std::string_view prefix = "/dav/principals/";
  if (!href.starts_with(prefix)) return std::nullopt;
  href.remove_prefix(prefix.size());
  if (href.ends_with('/')) href.remove_suffix(1);
  auto decoded = http::percent_decode(href, false);
  if (!decoded) return std::nullopt;
  auto a = lower(*decoded);
  if (!plausible_address(a)) return std::nullopt;
  return a;
}

result<std::vector<share_grant>> parse_acl(std::string_view body, std::string_view owner) {
  auto doc = xml::parse(body);
  if (!doc) return doc.error();
  if (!doc->name.is(ns_dav, "acl")) return fail("dav.body", "expected DAV:acl");
  std::vector<share_grant> out;
  std::size_t aces = 0;
  for (auto& ace : doc->children) {
    if (!ace.name.is(ns_dav, "ace")) continue;
    if (++aces > max_share_grants) return fail("dav.acl.no-ace-conflict", "too many ACEs");
    if (ace.child(ns_dav, "deny")) return fail("dav.acl.grant-only", "only grants are supported");
    if (ace.child(ns_dav, "protected") || ace.child(ns_dav, "inherited")) continue;
    auto* principal = ace.child(ns_dav, "principal");
    auto* grant = ace.child(ns_dav, "grant");
    if (!principal || !grant) return fail("dav.body", "an ACE needs a principal and a grant");
    auto* h = principal->child(ns_dav, "href");
    if (!h) return fail("dav.acl.allowed-principal", "only an account's principal can be granted access");
    auto who = principal_of(h->text);
    if (!who) return fail("dav.acl.allowed-principal", "not an account's principal");
    if (*who == lower(owner)) continue;  // the owner's own rights are not the ACL's to change
    // RFC 3744 §3: read-write is DAV:write (or DAV:all) with read; anything finer than these
    // two levels is not something a share can express.
    bool read = false, write = false;
    for (auto& p : grant->children) {
      if (!p.name.is(ns_dav, "privilege")) continue;
      for (auto& priv : p.children) {
        const auto& l = priv.name.local;
        if (priv.name.ns != ns_dav) return fail("dav.acl.not-supported-privilege", "unknown privilege");
        if (l == "read" || l == "read-current-user-privilege-set") read = true;
        else if (l == "write" || l == "all" || l == "write-content" || l == "bind" || l == "unbind") write = true;
        else return fail("dav.acl.not-supported-privilege", "unsupported privilege " + l);
      }
    }
    if (!read && !write) continue;
    if (!add(out, {*who, write ? share_access::write : share_access::read}))
      return fail("dav.acl.no-ace-conflict", "one principal in two ACEs");
  }
  return out;
}

result<std::vector<share_grant>> parse_share(std::string_view body) {
  auto doc = xml::parse(body);
  if (!doc) return doc.error();
  std::vector<share_grant> out;
  auto push = [&](const share_grant& g) -> result<void> {
    if (out.size() >= max_share_grants) return fail("dav.body", "too many sharees");
    if (!add(out, g)) return fail("dav.body", "one sharee twice");
    return {};
  };
  if (doc->name.is(ns_cs, "share")) {
    // CalendarServer: <CS:set><D:href/><CS:read/> or <CS:read-write/></CS:set>, <CS:remove><D:href/>.
    for (auto& e : doc->children) {
      const bool set = e.name.is(ns_cs, "set"), remove = e.name.is(ns_cs, "remove");
      if (!set && !remove) continue;
      auto* h = e.child(ns_dav, "href");
      if (!h) return fail("dav.body", "a sharee needs an href");
      auto who = principal_of(h->text);
      if (!who) return fail("dav.body", "not an account: " + std::string(trim(h->text)));
      share_access a = share_access::none;
      if (set) {
        if (e.child(ns_cs, "read-write")) a = share_access::write;
        else if (e.child(ns_cs, "read")) a = share_access::read;
        else return fail("dav.body", "CS:set needs CS:read or CS:read-write");
      }
      if (auto r = push({*who, a}); !r) return r.error();
    }
    return out;
  }
  if (doc->name.is(ns_dav, "share-resource")) {
    // draft-pot-webdav-resource-sharing §5.3.2: <D:sharee><D:href/><D:share-access>.
    for (auto& e : doc->children) {
      if (!e.name.is(ns_dav, "sharee")) continue;
      auto* h = e.child(ns_dav, "href");
      auto* acc = e.child(ns_dav, "share-access");
      if (!h || !acc) return fail("dav.body", "a sharee needs an href and a share-access");
      auto who = principal_of(h->text);
      if (!who) return fail("dav.body", "not an account: " + std::string(trim(h->text)));
      share_access a;
      if (acc->child(ns_dav, "read-write")) a = share_access::write;
      else if (acc->child(ns_dav, "read")) a = share_access::read;
      else if (acc->child(ns_dav, "no-access")) a = share_access::none;
      else return fail("dav.body", "unknown share-access");
      if (auto r = push({*who, a}); !r) return r.error();
    }
    return out;
  }
  return fail("dav.body", "expected CS:share or DAV:share-resource");
}

result<invite_reply> parse_invite_reply(std::string_view body) {
  auto doc = xml::parse(body);
  if (!doc) return doc.error();
  if (!doc->name.is(ns_cs, "invite-reply")) return fail("dav.body", "expected CS:invite-reply");
  invite_reply r;
  const bool yes = doc->child(ns_cs, "invite-accepted") != nullptr, no = doc->child(ns_cs, "invite-declined") != nullptr;
  if (yes == no) return fail("dav.body", "CS:invite-reply needs CS:invite-accepted or CS:invite-declined");
  r.accept = yes;
  if (auto* u = doc->child(ns_cs, "in-reply-to")) r.in_reply_to = std::string(trim(u->text));
  if (auto* h = doc->child(ns_cs, "hosturl"))
    if (auto* hh = h->child(ns_dav, "href")) r.hosturl = std::string(trim(hh->text));
  if (r.in_reply_to.empty()) return fail("dav.body", "CS:invite-reply needs CS:in-reply-to");
  if (r.in_reply_to.size() > max_invite_uid) return fail("dav.body", "CS:in-reply-to too long");
  return r;
}

}  // namespace hearth::dav
