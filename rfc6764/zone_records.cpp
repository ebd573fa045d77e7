// plan_zone(): which records a domain needs, and why. The output forms are in zone_output.cpp.
#include <arpa/inet.h>

#include "core/crypto/crypto.hpp"
#include "core/crypto/keys.hpp"
#include "core/util/strings.hpp"
#include "directory/address.hpp"
#include "rfc6764/autoconfig.hpp"
#include "rfc6764/mta_sts.hpp"
#include "rfc6764/zone.hpp"

namespace hearth::rfc6764 {

namespace {

using config::service;

// Canonical text of an IP literal (lowercase, IPv6 compressed as inet_ntop does), so that
// "2001:DB8:0::7" and "2001:db8::7" plan the same record. Empty if not a literal.
std::string canonical_ip(std::string_view text, int family) {
  std::string s(text);
  unsigned char buf[16];
  if (inet_pton(family, s.c_str(), buf) != 1) return {};
  char out[INET6_ADDRSTRLEN];
  if (!inet_ntop(family, buf, out, sizeof out)) return {};
  return out;
}

// smtp.queue.bind_addresses other than the server's own addresses: outgoing mail leaves from
// them, so SPF must allow them and their PTR must name the host.
std::vector<std::string> extra_sources(const hearth::config::config& c, const std::string& ip4, const std::string& ip6) {
  std::vector<std::string> out;
  for (const auto& a : c.smtp_queue_bind_addresses) {
    std::string v = canonical_ip(a, a.find(':') == std::string::npos ? AF_INET : AF_INET6);
    if (!v.empty() && v != ip4 && v != ip6) out.push_back(v);
  }
  return out;
}

bool inside(const std::string& name, const std::string& zone) {
  return name == zone || (name.size() > zone.size() && name.ends_with(zone) && name[name.size() - zone.size() - 1] == '.');
}

// Everything plan_zone needs while it appends, so each group is one short function.
struct planner {
  const config::config& c;
  zone_plan& plan;
  std::string domain;  // ACE
  std::string host;    // server.hostname, ACE, no trailing dot
  std::string ip4, ip6;
  bool https_on = false;

  void add(std::string name, std::string type, std::string value, std::string comment, const char* group) {
    plan.records.push_back(zone_record{std::move(name), std::move(type), std::move(value), std::move(comment), group});
  }
  std::string at(std::string_view label) const { return std::string(label) + "." + domain; }
  std::uint16_t port(service s) const { return c.listen(s).port; }

  void mail_exchange() {
    const char* g = "Mail exchange";
    // RFC 5321 §5.1: lower preference is tried first; the backups come after this server.
    add(domain, "MX", "10 " + host, "where other mail servers deliver mail for " + domain + " (RFC 5321)", g);
    unsigned pref = 20;
    for (const auto& b : c.zone_backup_mx) {
      auto bn = directory::normalize_domain(b);
      if (!bn) {
        plan.notes.push_back("zone.backup_mx \"" + b + "\" is not a host name: left out");
        continue;
      }
      add(domain, "MX", std::to_string(pref) + " " + *bn, "backup MX, tried when " + host + " does not answer", g);
      if (pref < 60000) pref += 10;
    }
    if (auto p = port(service::smtp); p == 0)
      plan.notes.push_back("listen.smtp is 0: this server does not accept mail from other servers, yet the MX names it");
    else if (p != 25)
      plan.notes.push_back("listen.smtp is " + std::to_string(p) +
                           ": other mail servers deliver to port 25 only (an MX record has no port)");
  }

  void addresses() {
    const char* g = "Server addresses";
    bool ours = inside(host, domain);
    std::string where = ours ? "" : " (belongs in the zone that holds " + host + ", see the notes)";
    if (!ip4.empty()) add(host, "A", ip4, "IPv4 address of the mail server " + host + where, g);
    if (!ip6.empty()) add(host, "AAAA", ip6, "IPv6 address of the mail server " + host + where, g);
    if (ip4.empty() && ip6.empty())
      plan.notes.push_back("no public address configured (server.ip4 / server.ip6, or --ip4 / --ip6): " + host +
                           " needs an A or AAAA record");
    else if (!ours)
      plan.notes.push_back("the A/AAAA records of " + host + " are not part of " + domain +
                           ": publish them in the zone that holds " + host);
    // Receivers check forward-confirmed reverse DNS first; the PTR lives in the provider's
    // reverse zone, not in this one.
    for (const auto& ip : {ip4, ip6})
      if (!ip.empty())
        plan.notes.push_back("PTR: ask your hosting provider to set the reverse DNS of " + ip + " to " + host + " (" +
                             reverse_name(ip) + ". PTR " + host + ".)");
    for (const auto& ip : extra_sources(c, ip4, ip6))
      plan.notes.push_back("PTR: ask your hosting provider to set the reverse DNS of " + ip + " to " + host + " (" +
                           reverse_name(ip) + ". PTR " + host + ".; outgoing mail leaves from it, smtp.queue.bind_addresses)");
  }

  // RFC 7672 §2.2.3 (TLSA base domain: the MX host) and RFC 7671 §8.1 (the next key
  // published beside the current one, so that caches hold both when the key changes).
  void dane(const zone_input& in) {
    if (in.tlsa.empty()) return;
    const std::string name = "_25._tcp." + host;
    for (std::size_t i = 0; i < in.tlsa.size(); ++i)
      add(name, "TLSA", in.tlsa[i],
          i == 0 ? "DANE (RFC 7672): the key of " + host + "'s certificate; senders that validate DNSSEC require it"
                 : "DANE: the next key (zone.tlsa_next), published before the certificate changes to it",
          "DANE");
    if (!inside(host, domain))
      plan.notes.push_back("the TLSA record of " + host + " is not part of " + domain + ": publish it in the zone that holds " +
                           host + " (it counts only where that zone is DNSSEC-signed)");
    else
      plan.notes.push_back("TLSA: senders use it only when " + domain + " is DNSSEC-signed; publish the next key (3 1 1 "
                           "current + next, zone.tlsa_next) at least two TTLs before the certificate's key changes");
  }

  void caa() {
    // RFC 8659 §4: a CAA set at the domain applies to every name below it without its own.
    for (const auto& ca : c.zone_caa)
      add(domain, "CAA", "0 issue \"" + ca + "\"", "only " + ca + " may issue certificates for " + domain + " (RFC 8659)",
          "Certificate authorities");
  }

  void spf() {
    // RFC 7208 §5.4: "mx" covers the MX hosts' addresses; the explicit ip4/ip6 save the
    // receiver a lookup and cover extra outbound addresses. "-all": everything else fails.
    std::vector<std::string> terms{"mx"};
    auto push = [&](std::string t) {
      for (const auto& have : terms)
        if (have == t) return;
      terms.push_back(std::move(t));
    };
    if (!ip4.empty()) push("ip4:" + ip4);
    if (!ip6.empty()) push("ip6:" + ip6);
    for (const auto& ip : extra_sources(c, ip4, ip6)) push((ip.find(':') == std::string::npos ? "ip4:" : "ip6:") + ip);
    for (const auto& e : c.zone_spf_extra) {
      if (e.starts_with("ip4:") || e.starts_with("ip6:") || e.starts_with("include:"))
        push(e);
      else
        push((e.find(':') == std::string::npos ? "ip4:" : "ip6:") + e);
    }
    std::string v = "v=spf1";
    for (const auto& t : terms) v += " " + t;
    add(domain, "TXT", v + " -all", "SPF (RFC 7208): the hosts allowed to send mail from @" + domain, "SPF");
  }

  void dkim(directory::directory& dir) {
    auto keys = dir.dkim_keys(domain);
    if (keys.empty())
      plan.notes.push_back("no DKIM key for " + domain + ": run `hearth dkim generate " + domain + "`");
    for (const auto& k : keys) {
      auto v = dkim_txt_value(k);
      if (!v) {
        plan.notes.push_back("DKIM selector " + k.selector + ": " + v.error().message);
        continue;
      }
      std::string kind = k.algorithm == "ed25519-sha256" ? "Ed25519 (RFC 8463)" : "RSA";
      // RFC 6376 §3.6.2.1: the key record lives at SELECTOR._domainkey.DOMAIN.
      add(k.selector + "._domainkey." + domain, "TXT", std::move(*v),
          "DKIM (RFC 6376) " + kind + " public key, selector " + k.selector + ": receivers verify our signatures with it",
          "DKIM");
    }
  }

  void dmarc() {
    // RFC 7489 §6.3: p= from config; rua to a local mailbox (same domain, so no §7.1
    // authorization record is needed). adkim/aspf stay relaxed (the default), so mail signed
    // or sent by a subdomain still aligns.
    std::string report = c.zone_report_local + "@" + domain;
    add(at("_dmarc"), "TXT", "v=DMARC1; p=" + c.zone_dmarc_policy + "; rua=mailto:" + report,
        "DMARC (RFC 7489): what receivers do with mail that passes neither aligned SPF nor aligned DKIM; reports to " + report, "DMARC");
  }

  void mta_sts() {
    const char* g = "MTA-STS";
    if (!https_on) {
      plan.notes.push_back("listen.https is 0: no MTA-STS (its policy is served over HTTPS)");
      return;
    }
    add(at("_mta-sts"), "TXT", "v=STSv1; id=" + mta_sts_id(c),
        "MTA-STS (RFC 8461): senders must use TLS to our MX; the id changes whenever the policy does", g);
    if (host != at("mta-sts"))
      add(at("mta-sts"), "CNAME", host,
          "MTA-STS policy host: https://" + at("mta-sts") + "/.well-known/mta-sts.txt (the certificate must cover it)", g);
  }

  void tls_rpt() {
    std::string report = c.zone_report_local + "@" + domain;
    add(at("_smtp._tls"), "TXT", "v=TLSRPTv1; rua=mailto:" + report,
        "SMTP TLS reporting (RFC 8460): where senders report TLS failures delivering to us", "TLS reporting");
  }

  // One SRV per service (some clients sort several priorities wrongly). RFC 2782: target "."
  // means the service is decidedly not offered (RFC 6186 §4, RFC 6764 §3).
  void srv(const std::string& label, std::uint16_t p, const std::string& what, const char* group) {
    if (p == 0)
      add(at(label), "SRV", "0 0 0 .", what + ": not offered", group);
    else
      add(at(label), "SRV", "0 1 " + std::to_string(p) + " " + host, what, group);
  }

  void mail_clients() {
    const char* g = "Mail client discovery";
    // RFC 8314 §5.1: implicit TLS first; RFC 6186 §3.1: the service names.
    srv("_submissions._tcp", port(service::submissions), "mail submission, implicit TLS (RFC 8314)", g);
    srv("_submission._tcp", port(service::submission), "mail submission, STARTTLS (RFC 6186)", g);
    srv("_imaps._tcp", port(service::imaps), "IMAP, implicit TLS (RFC 8314)", g);
    srv("_imap._tcp", port(service::imap), "IMAP, STARTTLS (RFC 6186)", g);
    srv("_pop3s._tcp", port(service::pop3s), "POP3, implicit TLS (RFC 8314)", g);
    srv("_pop3._tcp", port(service::pop3), "POP3, STARTTLS (RFC 6186)", g);
    // RFC 5804 §1.8: ManageSieve clients look up "_sieve._tcp" (STARTTLS on 4190).
    srv("_sieve._tcp", port(service::managesieve), "ManageSieve (mail filters), STARTTLS (RFC 5804)", g);
  }

  void dav() {
    const char* g = "Calendars and contacts";
    std::uint16_t https = port(service::https);
    // RFC 6764 §3: the TLS services; §4: a TXT "path=" at the same name saves clients a
    // guess (and is how Thunderbird finds DAV when the web server is not the bare domain).
    srv("_caldavs._tcp", https, "CalDAV over HTTPS (RFC 6764)", g);
    if (https_on) add(at("_caldavs._tcp"), "TXT", "path=/.well-known/caldav", "CalDAV context path (RFC 6764)", g);
    srv("_carddavs._tcp", https, "CardDAV over HTTPS (RFC 6764)", g);
    if (https_on) add(at("_carddavs._tcp"), "TXT", "path=/.well-known/carddav", "CardDAV context path (RFC 6764)", g);
    // Passwords never cross plaintext HTTP.
    srv("_caldav._tcp", 0, "CalDAV over plaintext HTTP", g);
    srv("_carddav._tcp", 0, "CardDAV over plaintext HTTP", g);
  }

  void xmpp() {
    const char* g = "XMPP";
    // Both the STARTTLS and the direct-TLS names: Pidgin reads only _xmpp-client,
    // Conversations checks _xmpps-client (XEP-0368).
    srv("_xmpp-client._tcp", port(service::xmpp_client), "XMPP clients, STARTTLS (RFC 6120)", g);
    srv("_xmpps-client._tcp", port(service::xmpps_client), "XMPP clients, direct TLS (XEP-0368)", g);
    srv("_xmpp-server._tcp", port(service::xmpp_server), "XMPP federation, STARTTLS (RFC 6120)", g);
    srv("_xmpps-server._tcp", port(service::xmpps_server), "XMPP federation, direct TLS (XEP-0368)", g);
    // XEP-0156 §3: where browsers connect (the same URLs as /.well-known/host-meta).
    if (!https_on) {
      plan.notes.push_back("listen.https is 0: no _xmppconnect TXT (XMPP over WebSocket and BOSH are served over HTTPS)");
      return;
    }
    const std::uint16_t https = port(service::https);
    const std::string authority = https == 443 ? host : host + ":" + std::to_string(https);
    add(at("_xmppconnect"), "TXT", "_xmpp-client-websocket=wss://" + authority + "/xmpp-websocket",
        "XMPP over WebSocket for web clients (XEP-0156, RFC 7395)", g);
    add(at("_xmppconnect"), "TXT", "_xmpp-client-xbosh=https://" + authority + "/http-bind",
        "XMPP over BOSH for web clients (XEP-0156, XEP-0206)", g);
  }

  void group_chat() {
    if (c.xmpp_muc_subdomain.empty()) return;
    const char* g = "XMPP group chat";
    // Users of other servers join rooms at SUBDOMAIN.DOMAIN: their server finds ours by the
    // SRV records of that name (RFC 6120 §3.2.1), and checks our dialback key there too.
    const std::string sub = c.xmpp_muc_subdomain;
    srv("_xmpp-server._tcp." + sub, port(service::xmpp_server),
        "XMPP federation to the group chat service " + at(sub) + ", STARTTLS (XEP-0045)", g);
    srv("_xmpps-server._tcp." + sub, port(service::xmpps_server),
        "XMPP federation to the group chat service " + at(sub) + ", direct TLS (XEP-0368)", g);
  }

  void file_upload() {
    if (c.xmpp_upload_subdomain.empty() || !https_on) return;
    // XEP-0363 slots name https://SUBDOMAIN.DOMAIN/upload/...: the name must lead here (the
    // HTTPS listener), and the certificate must cover it.
    cname(c.xmpp_upload_subdomain, "XMPP HTTP File Upload (XEP-0363): files at https://" + at(c.xmpp_upload_subdomain) + "/upload/",
          "XMPP file upload");
    // The service answers disco and slot requests as an XMPP entity too; another server
    // asking it (a user's client there browsing our services) finds us by these names, not
    // by the CNAME, which would only lead to port 5269.
    const std::string sub = c.xmpp_upload_subdomain;
    srv("_xmpp-server._tcp." + sub, port(service::xmpp_server),
        "XMPP federation to the upload service " + at(sub) + ", STARTTLS (XEP-0363)", "XMPP file upload");
    srv("_xmpps-server._tcp." + sub, port(service::xmpps_server),
        "XMPP federation to the upload service " + at(sub) + ", direct TLS (XEP-0368)", "XMPP file upload");
  }

  // External components ([[xmpp.component]], XEP-0114) serve domains of their own through this
  // server: users of other servers reach them over s2s, which finds us by the SRV records of
  // the component's name (RFC 6120 §3.2.1) and checks our dialback key there.
  void components(directory::directory& dir) {
    const char* g = "XMPP components";
    for (const auto& comp : c.xmpp_components) {
      auto name = directory::normalize_domain(comp.domain);
      if (!name) continue;
      if (name->size() > domain.size() && inside(*name, domain)) {
        const std::string label = name->substr(0, name->size() - domain.size() - 1);
        srv("_xmpp-server._tcp." + label, port(service::xmpp_server),
            "XMPP federation to the component " + *name + ", STARTTLS (XEP-0114)", g);
        srv("_xmpps-server._tcp." + label, port(service::xmpps_server),
            "XMPP federation to the component " + *name + ", direct TLS (XEP-0368)", g);
      } else if (!under_local_domain(dir, *name)) {
        // Under another local domain, that domain's zone lists it; under none, the operator
        // publishes it wherever the name lives.
        plan.notes.push_back("the XMPP component " + *name + " is not under a domain of this server: publish _xmpp-server._tcp." +
                             *name + ". SRV 0 1 " + std::to_string(port(service::xmpp_server)) + " " + host +
                             ". in its own zone, or other servers cannot reach it");
      }
    }
  }

  static bool under_local_domain(directory::directory& dir, const std::string& name) {
    for (auto dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1))
      if (dir.is_local_domain(name.substr(dot + 1))) return true;
    return false;
  }

  void cname(std::string_view label, const std::string& what, const char* g) {
    if (host != at(label)) add(at(label), "CNAME", host, what, g);
  }

  void autoconfig(const zone_input& in) {
    const char* g = "Autoconfiguration";
    if (!https_on) {
      plan.notes.push_back("listen.https is 0: no autoconfig, autodiscover or PACC records (served over HTTPS)");
      return;
    }
    cname("autoconfig", "Thunderbird autoconfig: https://" + at("autoconfig") + "/mail/config-v1.1.xml", g);
    cname("autodiscover", "Outlook autodiscover host", g);
    srv("_autodiscover._tcp", port(service::https), "Outlook autodiscover (POX over HTTPS)", g);
    // draft-ietf-mailmaint-pacc-02: the document is fetched from
    // https://ua-auto-config.DOMAIN/.well-known/user-agent-configuration.json and trusted
    // when its SHA-256 matches the _ua-auto-config TXT "v=UAAC1; a=sha256; d=BASE64".
    cname("ua-auto-config", "PACC configuration host (draft-ietf-mailmaint-pacc)", g);
    std::string v = in.pacc_document ? "v=UAAC1; a=sha256; d=" + crypto::base64_encode(crypto::sha256(*in.pacc_document))
                                     : pacc_txt_record(c, domain);
    add(at("_ua-auto-config"), "TXT", std::move(v),
        "PACC: SHA-256 of the configuration document, which clients check it against", g);
  }
};

}  // namespace

hearth::result<zone_plan> plan_zone(const config::config& c, directory::directory& dir, const zone_input& in) {
  auto ace = directory::normalize_domain(in.domain);
  if (!ace || !dir.is_local_domain(*ace))
    return fail("zone.not_ours", "not a domain of this server: " + in.domain.substr(0, 256));
  auto host = directory::normalize_domain(c.hostname);
  if (!host) return fail("zone.invalid", "server.hostname is not a host name: " + c.hostname.substr(0, 256));
  std::string ip4 = canonical_ip(in.ip4.empty() ? c.ip4 : in.ip4, AF_INET);
  std::string ip6 = canonical_ip(in.ip6.empty() ? c.ip6 : in.ip6, AF_INET6);
  if (!in.ip4.empty() && ip4.empty()) return fail("zone.invalid", "not an IPv4 address: " + in.ip4.substr(0, 64));
  if (!in.ip6.empty() && ip6.empty()) return fail("zone.invalid", "not an IPv6 address: " + in.ip6.substr(0, 64));

  zone_plan plan;
  plan.domain = *ace;
  plan.outgoing = extra_sources(c, ip4, ip6);
  plan.ttl = c.zone_ttl;
  planner p{c, plan, *ace, *host, ip4, ip6, c.listen(service::https).port != 0};
  p.mail_exchange();
  p.addresses();
  p.dane(in);
  p.caa();
  p.spf();
  p.dkim(dir);
  p.dmarc();
  p.mta_sts();
  p.tls_rpt();
  p.mail_clients();
  p.dav();
  p.xmpp();
  p.group_chat();
  p.file_upload();
  p.components(dir);
  p.autoconfig(in);
  return plan;
}

hearth::result<std::string> dkim_txt_value(const directory::dkim_key& key) {
  auto pub = crypto::dkim_public_from_private(key.private_pem);
  if (!pub) return fail("zone.dkim_key", "cannot read the private key: " + pub.error().message);
  // RFC 8463 §4.2: k=ed25519 with the raw 32-byte key; RFC 6376 §3.6.1: k=rsa (the default,
  // written out so that a reader need not know it).
  std::string k = key.algorithm == "ed25519-sha256" ? "ed25519" : "rsa";
  return "v=DKIM1; k=" + k + "; p=" + *pub;
}

std::string reverse_name(std::string_view ip) {
  std::string s(ip);
  unsigned char b[16];
  if (inet_pton(AF_INET, s.c_str(), b) == 1)
    return std::to_string(b[3]) + "." + std::to_string(b[2]) + "." + std::to_string(b[1]) + "." +
           std::to_string(b[0]) + ".in-addr.arpa";
  if (inet_pton(AF_INET6, s.c_str(), b) != 1) return {};
  // RFC 3596 §2.5: one label per nibble, least significant first.
  static const char hex[] = "0123456789abcdef";
  std::string out;
  for (int i = 15; i >= 0; --i) {
    out += hex[b[i] & 0x0f];
    out += '.';
    out += hex[b[i] >> 4];
    out += '.';
  }
  return out + "ip6.arpa";
}

}  // namespace hearth::rfc6764
