#include "mail/reports/outgoing.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <tuple>

#include "mail/reports/tlsrpt_json.hpp"

namespace hearth::mail::reports {
namespace {

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default:
        // Control characters cannot appear in XML 1.0.
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t') out += c;
    }
  }
  return out;
}

std::string json_escape(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", static_cast<unsigned>(c));
      out += b;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string el(std::string_view name, std::string_view value) {
  return "<" + std::string(name) + ">" + xml_escape(value) + "</" + std::string(name) + ">";
}

std::string one_of(std::string_view v, std::initializer_list<std::string_view> allowed, std::string_view def) {
  for (auto a : allowed)
    if (v == a) return std::string(v);
  return std::string(def);
}

std::string file_name(const reporter& me, std::string_view domain, std::int64_t begin, std::int64_t end) {
  // RFC 7489 §7.2.1.1 and RFC 8460 §5.1: receiver!policy-domain!begin!end.
  return me.hostname + "!" + std::string(domain) + "!" + std::to_string(begin) + "!" + std::to_string(end - 1);
}

}  // namespace

std::vector<std::string> mailto_addresses(std::string_view rua) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i <= rua.size()) {
    auto comma = rua.find(',', i);
    auto item = rua.substr(i, comma == std::string_view::npos ? std::string_view::npos : comma - i);
    i = comma == std::string_view::npos ? rua.size() + 1 : comma + 1;
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item.size() < 7) continue;
    std::string scheme(item.substr(0, 7));
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme != "mailto:") continue;
    item.remove_prefix(7);
    // RFC 7489 §6.2: a "!" size limit may follow the URI.
    if (auto bang = item.find('!'); bang != std::string_view::npos) item = item.substr(0, bang);
    if (auto q = item.find('?'); q != std::string_view::npos) item = item.substr(0, q);
    if (item.find('@') == std::string_view::npos || item.find_first_of(" <>\"") != std::string_view::npos) continue;
    out.emplace_back(item);
  }
  return out;
}

std::vector<std::string> https_uris(std::string_view rua) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < rua.size()) {
    auto comma = rua.find(',', i);
    if (comma == std::string_view::npos) comma = rua.size();
    auto item = rua.substr(i, comma - i);
    i = comma + 1;
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item.size() <= 8 || item.size() > 2048) continue;
    std::string scheme(item.substr(0, 8));
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // Control characters and spaces have no place in a URI (RFC 3986) nor in a request line.
    if (scheme != "https://" ||
        std::any_of(item.begin(), item.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; }))
      continue;
    out.emplace_back(item);
  }
  return out;
}

std::string report_verification_name(std::string_view policy_domain, std::string_view destination_domain) {
  return std::string(policy_domain) + "._report._dmarc." + std::string(destination_domain);
}

bool verification_agrees(const std::vector<std::string>& txts) {
  for (const auto& t : txts) {
    std::string_view v = t;
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    if (v.size() >= 8 && (v.substr(0, 8) == "v=DMARC1" || v.substr(0, 8) == "V=DMARC1")) return true;
  }
  return false;
}

std::string tlsrpt_rua(const std::vector<std::string>& txts) {
  std::string found;
  int records = 0;
  for (const auto& t : txts) {
    if (t.rfind("v=TLSRPTv1", 0) != 0) continue;
    ++records;
    // "v=TLSRPTv1; rua=mailto:a@b,mailto:c@d": ';'-separated fields, whitespace allowed.
    std::string_view rest = t;
    while (!rest.empty()) {
      auto semi = rest.find(';');
      auto field = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
      while (!field.empty() && (field.front() == ' ' || field.front() == '\t')) field.remove_prefix(1);
      while (!field.empty() && (field.back() == ' ' || field.back() == '\t')) field.remove_suffix(1);
      if (field.substr(0, 4) == "rua=") found = std::string(field.substr(4));
    }
  }
  return records == 1 ? found : "";
}

std::vector<outgoing_report> dmarc_reports(const std::vector<dmarc_evaluation>& evals, std::int64_t begin,
                                           std::int64_t end, const reporter& me) {
  // Per policy domain, in time order, so the last record seen is the one published.
  std::map<std::string, std::vector<const dmarc_evaluation*>> by_domain;
  for (const auto& e : evals)
    if (e.time >= begin && e.time < end && !e.policy_domain.empty()) by_domain[e.policy_domain].push_back(&e);
  std::vector<outgoing_report> out;
  for (const auto& [domain, list] : by_domain) {
    const dmarc_evaluation& last = *list.back();
    auto rua = mailto_addresses(last.rua);
    if (rua.empty()) continue;
    using key = std::tuple<std::string, std::string, std::string, std::string, std::string, std::string, std::string,
                           std::string, std::string>;
    std::map<key, std::uint64_t> counts;
    for (const auto* e : list)
      ++counts[{e->source_ip, e->disposition, e->dkim, e->spf, e->header_from, e->envelope_from, e->dkim_results,
                e->spf_domain, e->spf_result}];
    outgoing_report r;
    r.kind = report_kind::dmarc;
    r.policy_domain = domain;
    r.rua = std::move(rua);
    r.report_id = std::to_string(begin) + "." + domain + "@" + me.hostname;
    r.filename = file_name(me, domain, begin, end) + ".xml";
    std::string& x = r.document;
    // RFC 7489 appendix C: the schema's namespace, elements in its order.
    x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feedback xmlns=\"http://dmarc.org/dmarc-xml/0.1\">\n";
    x += "  " + el("version", "1.0") + "\n";
    x += "  <report_metadata>" + el("org_name", me.org_name) + el("email", me.email) + el("report_id", r.report_id) +
         "<date_range>" + el("begin", std::to_string(begin)) + el("end", std::to_string(end - 1)) +
         "</date_range></report_metadata>\n";
    auto disp = [](std::string_view v) { return one_of(v, {"none", "quarantine", "reject"}, "none"); };
    x += "  <policy_published>" + el("domain", domain) + el("adkim", one_of(last.adkim, {"r", "s"}, "r")) +
         el("aspf", one_of(last.aspf, {"r", "s"}, "r")) + el("p", disp(last.p)) +
         el("sp", disp(last.sp.empty() ? last.p : last.sp)) + el("pct", std::to_string(last.pct)) + el("fo", "0") +
         "</policy_published>\n";
    for (const auto& [k, n] : counts) {
      const auto& [ip, disposition, dkim, spf, header_from, envelope_from, dkim_results, spf_domain, spf_result] = k;
      auto pf = [](std::string_view v) { return one_of(v, {"pass", "fail"}, "fail"); };
      x += "  <record>\n    <row>" + el("source_ip", ip) + el("count", std::to_string(n)) + "<policy_evaluated>" +
           el("disposition", disp(disposition)) + el("dkim", pf(dkim)) + el("spf", pf(spf)) +
           "</policy_evaluated></row>\n";
      x += "    <identifiers>" + el("envelope_from", envelope_from) + el("header_from", header_from) +
           "</identifiers>\n    <auth_results>";
      std::string_view rest = dkim_results;
      while (!rest.empty()) {
        auto sp = rest.find(' ');
        auto item = rest.substr(0, sp);
        rest = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp + 1);
        auto eq = item.rfind('=');
        if (eq == std::string_view::npos || eq == 0) continue;
        x += "<dkim>" + el("domain", item.substr(0, eq)) +
             el("result", one_of(item.substr(eq + 1),
                                 {"none", "pass", "fail", "policy", "neutral", "temperror", "permerror"}, "permerror")) +
             "</dkim>";
      }
      // The schema wants at least one SPF result: the MAIL FROM domain (or HELO) checked.
      x += "<spf>" + el("domain", spf_domain.empty() ? (envelope_from.empty() ? header_from : envelope_from) : spf_domain) +
           el("scope", envelope_from.empty() ? "helo" : "mfrom") +
           el("result", one_of(spf_result, {"none", "neutral", "pass", "fail", "softfail", "temperror", "permerror"},
                               "none")) +
           "</spf></auth_results>\n  </record>\n";
    }
    x += "</feedback>\n";
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<outgoing_report> tls_reports(const std::vector<tls_session>& sessions, std::int64_t begin,
                                         std::int64_t end, const reporter& me) {
  std::map<std::string, std::vector<const tls_session*>> by_domain;
  for (const auto& s : sessions)
    if (s.time >= begin && s.time < end && !s.policy_domain.empty()) by_domain[s.policy_domain].push_back(&s);
  std::vector<outgoing_report> out;
  for (const auto& [domain, list] : by_domain) {
    auto rua = mailto_addresses(list.back()->rua);
    auto https = https_uris(list.back()->rua);
    if (rua.empty() && https.empty()) continue;
    // One policy entry per policy seen (a domain may move from no policy to STS, or change its
    // policy, mid-day): type, policy-string and mx-host together.
    using policy_key = std::tuple<std::string, std::vector<std::string>, std::vector<std::string>>;
    std::map<policy_key, std::pair<std::uint64_t, std::uint64_t>> summary;
    std::map<std::tuple<policy_key, std::string, std::string, std::string, std::string, std::string>, std::uint64_t>
        failures;
    for (const auto* s : list) {
      auto type = one_of(s->policy_type, {"sts", "tlsa", "no-policy-found"}, "no-policy-found");
      policy_key pk{type, s->policy_string, s->mx_host};
      if (type == "no-policy-found") pk = {type, {}, {}};
      auto& [ok, bad] = summary[pk];
      if (s->result_type.empty()) {
        ++ok;
      } else {
        ++bad;
        ++failures[{pk, s->result_type, s->sending_ip, s->receiving_mx, s->receiving_ip, s->failure_reason}];
      }
    }
    outgoing_report r;
    r.kind = report_kind::tls;
    r.policy_domain = domain;
    r.rua = std::move(rua);
    r.https = std::move(https);
    r.report_id = std::to_string(begin) + "." + domain + "@" + me.hostname;
    r.filename = file_name(me, domain, begin, end) + ".json";
    std::string& j = r.document;
    // RFC 8460 §4.4.
    j = "{\"organization-name\":" + json_escape(me.org_name) + ",\"date-range\":{\"start-datetime\":" +
        json_escape(rfc3339(begin)) + ",\"end-datetime\":" + json_escape(rfc3339(end - 1)) +
        "},\"contact-info\":" + json_escape(me.email) + ",\"report-id\":" + json_escape(r.report_id) + ",\"policies\":[";
    bool first = true;
    auto array = [](const std::vector<std::string>& v) {
      std::string a = "[";
      for (std::size_t i = 0; i < v.size(); ++i) a += (i ? "," : "") + json_escape(v[i]);
      return a + "]";
    };
    for (const auto& [pk, counts] : summary) {
      const auto& [type, policy_string, mx_host] = pk;
      j += first ? "" : ",";
      first = false;
      j += "{\"policy\":{\"policy-type\":" + json_escape(type);
      if (!policy_string.empty()) j += ",\"policy-string\":" + array(policy_string);
      j += ",\"policy-domain\":" + json_escape(domain);
      if (!mx_host.empty()) j += ",\"mx-host\":" + array(mx_host);
      j += "},\"summary\":{\"total-successful-session-count\":" + std::to_string(counts.first) +
           ",\"total-failure-session-count\":" + std::to_string(counts.second) + "}";
      std::string details;
      for (const auto& [k, n] : failures) {
        const auto& [fpk, result_type, sip, mx, rip, reason] = k;
        if (fpk != pk) continue;
        details += (details.empty() ? "" : ",");
        details += "{\"result-type\":" + json_escape(result_type);
        if (!sip.empty()) details += ",\"sending-mta-ip\":" + json_escape(sip);
        if (!mx.empty()) details += ",\"receiving-mx-hostname\":" + json_escape(mx);
        if (!rip.empty()) details += ",\"receiving-ip\":" + json_escape(rip);
        details += ",\"failed-session-count\":" + std::to_string(n);
        if (!reason.empty()) details += ",\"failure-reason-code\":" + json_escape(reason);
        details += "}";
      }
      if (!details.empty()) j += ",\"failure-details\":[" + details + "]";
      j += "}";
    }
    j += "]}\n";
    out.push_back(std::move(r));
  }
  return out;
}

result<std::string> report_message(const outgoing_report& r, const reporter& me, std::string_view to,
                                   std::string_view date, std::string_view message_id) {
  auto packed = gzip(r.document);
  if (!packed) return packed.error();
  static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string enc;
  const std::string& in = *packed;
  std::size_t line = 0;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) v |= static_cast<unsigned char>(in[i + 2]);
    enc += b64[v >> 18];
    enc += b64[(v >> 12) & 63];
    enc += i + 1 < in.size() ? b64[(v >> 6) & 63] : '=';
    enc += i + 2 < in.size() ? b64[v & 63] : '=';
    if ((line += 4) >= 76) {
      enc += "\r\n";
      line = 0;
    }
  }
  if (line) enc += "\r\n";
  const bool tls = r.kind == report_kind::tls;
  const std::string boundary = "=_report_" + std::to_string(std::hash<std::string>{}(r.report_id));
  std::string m;
  m += "From: <" + me.email + ">\r\n";
  m += "To: <" + std::string(to) + ">\r\n";
  m += "Date: " + std::string(date) + "\r\n";
  m += "Message-ID: <" + std::string(message_id) + ">\r\n";
  // RFC 7489 §7.2.1.1 and RFC 8460 §5.3: the same Subject shape.
  m += "Subject: Report Domain: " + r.policy_domain + " Submitter: " + me.hostname + " Report-ID: <" + r.report_id +
       ">\r\n";
  if (tls) {
    m += "TLS-Report-Domain: " + r.policy_domain + "\r\n";
    m += "TLS-Report-Submitter: " + me.hostname + "\r\n";
  }
  m += "MIME-Version: 1.0\r\n";
  m += tls ? "Content-Type: multipart/report; report-type=\"tlsrpt\"; boundary=\"" + boundary + "\"\r\n\r\n"
           : "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n";
  m += "--" + boundary + "\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n";
  m += std::string(tls ? "This is an aggregate TLS report" : "This is a DMARC aggregate report") + " from " +
       me.hostname + " for " + r.policy_domain + ".\r\n\r\n";
  const std::string file = r.filename + ".gz";
  m += "--" + boundary + "\r\nContent-Type: " +
       std::string(tls ? "application/tlsrpt+gzip" : "application/gzip") + "; name=\"" + file +
       "\"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"" + file + "\"\r\n\r\n";
  m += enc;
  m += "--" + boundary + "--\r\n";
  return m;
}

}  // namespace hearth::mail::reports
