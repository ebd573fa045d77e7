#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <zlib.h>

#include "core/json/json.hpp"
#include "mail/reports/dmarc_xml.hpp"
#include "mail/reports/https_post.hpp"
#include "mail/reports/ingest.hpp"
#include "mail/reports/outgoing.hpp"
#include "mail/reports/summary.hpp"
#include "mail/reports/tlsrpt_json.hpp"
#include "mail/reports/unpack.hpp"
#include "tests/unit/test_database.hpp"

using namespace hearth::mail::reports;

namespace {

std::string data(const std::string& name) {
  const char* src = std::getenv("HEARTH_SOURCE_DIR");
  std::ifstream in(std::string(src ? src : ".") + "/tests/data/reports/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string base64(std::string_view in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
    if (out.size() % 78 == 76) out += "\r\n";
  }
  if (i + 1 == in.size()) {
    unsigned v = (unsigned char)in[i] << 16;
    out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
  }
  return out;
}

std::string message_with(std::string_view type, std::string_view name, std::string_view bytes) {
  return "From: noreply@acme.com\r\nTo: postmaster@example.com\r\nSubject: Report domain: example.com\r\n"
         "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
         "--b1\r\nContent-Type: text/plain\r\n\r\nThis is an aggregate report.\r\n"
         "--b1\r\nContent-Type: " + std::string(type) + "; name=\"" + std::string(name) +
         "\"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"" + std::string(name) +
         "\"\r\n\r\n" + base64(bytes) + "\r\n--b1--\r\n";
}

std::string gz(std::string_view s) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, s.size()) + 64, '\0');
  z.next_in = (Bytef*)s.data();
  z.avail_in = s.size();
  z.next_out = (Bytef*)out.data();
  z.avail_out = out.size();
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// A store of its own for one case; every store case runs on both engines.
struct temp_db {
  hearth::test_database db{GENERATE(hearth::sql::engine::sqlite, hearth::sql::engine::postgres)};
};

}  // namespace

TEST_CASE("reports: the RFC 7489 example report") {
  auto r = parse_dmarc_report(data("rfc7489-example.xml"));
  REQUIRE(r);
  CHECK(r->org == "acme.com");
  CHECK(r->report_id == "9391651994964116463");
  CHECK(r->begin == 1335571200);
  CHECK(r->end == 1335657599);
  CHECK(r->domain == "example.com");
  CHECK(r->policy == "none");
  REQUIRE(r->rows.size() == 1);
  CHECK(r->rows[0].source_ip == "72.150.241.94");
  CHECK(r->rows[0].count == 2);
  CHECK(r->rows[0].dkim == "fail");
  CHECK(r->rows[0].spf == "pass");
  CHECK(r->rows[0].dkim_domains == "example.com=fail");
  CHECK(r->rows[0].spf_domains == "example.com=pass");
}

TEST_CASE("reports: a namespaced report reads the same; bad ones are refused") {
  std::string x = data("rfc7489-example.xml");
  std::string ns = x;
  ns.replace(ns.find("<feedback>"), 10, "<d:feedback xmlns:d=\"urn:ietf:params:xml:ns:dmarc-2.0\">");
  // A prefixed root shows that elements match by local name.
  ns.replace(ns.rfind("</feedback>"), 11, "</d:feedback>");
  auto r = parse_dmarc_report(ns);
  REQUIRE(r);
  CHECK(r->rows.size() == 1);

  CHECK(parse_dmarc_report("not xml").error().code == "reports.syntax");
  CHECK(parse_dmarc_report("<html/>").error().code == "reports.syntax");
  std::string no_id = x;
  no_id.replace(no_id.find("<report_id>"), 11, "<other>");
  no_id.replace(no_id.find("</report_id>"), 12, "</other>");
  CHECK(parse_dmarc_report(no_id).error().code == "reports.syntax");
  std::string deep = "<feedback>";
  for (int i = 0; i < 100; ++i) deep += "<a>";
  for (int i = 0; i < 100; ++i) deep += "</a>";
  deep += "</feedback>";
  CHECK(parse_dmarc_report(deep).error().code == "reports.too_big");
  // More records than the limit.
  std::string rec = x.substr(x.find("<record>"), x.find("</record>") + 9 - x.find("<record>"));
  std::string many = x.substr(0, x.find("<record>"));
  for (std::size_t i = 0; i <= max_records; ++i) many += rec;
  many += "</feedback>";
  CHECK(parse_dmarc_report(many).error().code == "reports.too_big");
}

TEST_CASE("reports: a TLS report's JSON as others write it") {
  const std::string head = R"({"organization-name": "o", "report-id": "r", "date-range": {"start-datetime":
    "2026-01-01T00:00:00Z", "end-datetime": "2026-01-02T00:00:00Z"}, )";
  // Duplicate member names: the first counts (RFC 8259 §4 leaves them to the reader).
  auto r = parse_tls_report(head + R"("policies": [{"policy": {"policy-domain": "A.test", "policy-domain": "b.test",
    "policy-type": 3}, "summary": {"total-successful-session-count": 5, "total-failure-session-count": "2"}}]})");
  REQUIRE(r);
  REQUIRE(r->policies.size() == 1);
  CHECK(r->policies[0].domain == "a.test");
  CHECK(r->policies[0].type.empty());  // a member of the wrong type reads as absent
  CHECK(r->policies[0].success == 5);
  CHECK(r->policies[0].failure == 0);
  CHECK(parse_tls_report(head + R"("policies": 1})").error().code == "reports.syntax");
  CHECK(parse_tls_report(head + R"("policies": [})").error().code == "reports.syntax");
  CHECK(parse_tls_report("[1,]").error().code == "reports.syntax");
  CHECK(parse_tls_report(std::string(100, '[') + std::string(100, ']')).error().code == "reports.too_big");
}

TEST_CASE("reports: the RFC 8460 example report") {
  auto r = parse_tls_report(data("rfc8460-example.json"));
  REQUIRE(r);
  CHECK(r->org == "Company-X");
  CHECK(r->report_id == "5065427c-23d3-47ca-b6e0-946ea0e8c4be");
  CHECK(r->begin == 1459468800);
  CHECK(r->end == 1459468800 + 86399);
  REQUIRE(r->policies.size() == 1);
  CHECK(r->policies[0].domain == "company-y.example");
  CHECK(r->policies[0].type == "sts");
  CHECK(r->policies[0].success == 5326);
  CHECK(r->policies[0].failure == 303);
  REQUIRE(r->policies[0].failures.size() == 3);
  CHECK(r->policies[0].failures[1].result_type == "starttls-not-supported");
  CHECK(r->policies[0].failures[1].receiving_ip == "203.0.113.56");
  CHECK(r->policies[0].failures[1].count == 200);
  CHECK(parse_tls_report("{\"organization-name\": \"x\"}").error().code == "reports.syntax");
  CHECK(parse_tls_report("[]").error().code == "reports.syntax");
}

TEST_CASE("reports: dates") {
  CHECK(parse_rfc3339("2016-04-01T00:00:00Z") == 1459468800);
  CHECK(parse_rfc3339("2016-04-01T02:00:00+02:00") == 1459468800);
  CHECK(parse_rfc3339("2016-04-01T00:00:00.123Z") == 1459468800);
  CHECK(!parse_rfc3339("2016-04-01"));
  CHECK(!parse_rfc3339("2016-13-01T00:00:00Z"));
  CHECK(day_of(1459468800 + 86399) == "2016-04-01");
  CHECK(day_of(1335571200) == "2012-04-28");
  CHECK(rfc3339(1459468800 + 3661) == "2016-04-01T01:01:01Z");
  CHECK(parse_day("2012-04-28") == 1335571200);
}

TEST_CASE("reports: attachments plain, gzip and zip; TLS-RPT gzip") {
  auto xml = data("rfc7489-example.xml");
  for (auto [type, name, bytes] : {std::tuple{"text/xml", "r.xml", xml},
                                   std::tuple{"application/gzip", "r.xml.gz", data("rfc7489-example.xml.gz")},
                                   std::tuple{"application/zip", "r.zip", data("rfc7489-example.zip")}}) {
    auto p = extract_reports(message_with(type, name, bytes));
    REQUIRE(p);
    REQUIRE(p->size() == 1);
    CHECK(p->front().kind == report_kind::dmarc);
    CHECK(p->front().bytes == xml);
  }
  auto json = data("rfc8460-example.json");
  auto t = extract_reports(message_with("application/tlsrpt+gzip", "r.json.gz", gz(json)));
  REQUIRE(t);
  CHECK(t->front().kind == report_kind::tls);
  CHECK(t->front().bytes == json);
  // The whole body as the report, no multipart.
  auto whole = "Subject: r\r\nContent-Type: application/gzip\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
               base64(data("rfc7489-example.xml.gz")) + "\r\n";
  CHECK(extract_reports(whole));
  CHECK(extract_reports("Subject: hi\r\n\r\nhello\r\n").error().code == "reports.none");
}

TEST_CASE("reports: a report past a large message's first MiB, read in pieces") {
  // A big reporter's report: XML that compresses to well over a MiB of base64, after a text
  // part, so that the attachment starts and ends far from where a bounded start would end.
  std::string xml = "<?xml version=\"1.0\"?><feedback><report_metadata><org_name>big</org_name></report_metadata>";
  std::uint32_t x = 12345;
  while (xml.size() < 12u << 20) {
    x = x * 1103515245u + 12345u;  // varied addresses and counts, so that gzip cannot squeeze them away
    xml += "<record><row><source_ip>10." + std::to_string(x >> 24) + "." + std::to_string((x >> 16) & 255) + "." +
           std::to_string((x >> 8) & 255) + "</source_ip><count>" + std::to_string(x % 9973) + "</count></row></record>";
  }
  xml += "</feedback>";
  const auto zipped = gz(xml);
  const auto message = message_with("application/gzip", "big.xml.gz", zipped);
  REQUIRE(base64(zipped).size() > (1u << 20) + (256u << 10));
  // Cut where SMTP cuts (after the header section), then pieces of an odd size.
  const std::size_t head = message.find("\r\n\r\n") + 4;
  for (std::size_t piece : {std::size_t(1) << 16, std::size_t(65537), std::size_t(1) << 20}) {
    std::size_t reads = 0;
    hearth::mail::body_pieces rest = [&](const std::function<void(std::string_view)>& out) {
      ++reads;
      for (std::size_t at = head; at < message.size(); at += piece) out(std::string_view(message).substr(at, piece));
      return true;
    };
    auto p = extract_reports(std::string_view(message).substr(0, head), rest);
    REQUIRE(p);
    REQUIRE(p->size() == 1);
    CHECK(p->front().kind == report_kind::dmarc);
    CHECK(p->front().bytes == xml);
    CHECK(reads == 2);  // the structure, then the report part's octets
  }
  // The bounded start alone (what a copy of a large message holds) loses the report.
  CHECK(extract_reports(message.substr(0, 1u << 20)).error().code == "reports.compression");
  // A body that cannot be read is said so; a message without a report is as before.
  hearth::mail::body_pieces broken = [](const std::function<void(std::string_view)>&) { return false; };
  CHECK(extract_reports(std::string_view(message).substr(0, head), broken).error().code == "reports.unreadable");
  const std::string plain = "Subject: hi\r\n\r\n";
  hearth::mail::body_pieces hello = [](const std::function<void(std::string_view)>& out) {
    out("hello\r\n");
    return true;
  };
  CHECK(extract_reports(plain, hello).error().code == "reports.none");
}

TEST_CASE("reports: bombs and corrupt archives stop at the limit") {
  std::string zeros(max_payload_bytes + 1024, ' ');
  zeros[0] = '<';
  CHECK(extract_reports(message_with("application/gzip", "b.xml.gz", gz(zeros))).error().code == "reports.too_big");
  CHECK(extract_reports(message_with("application/zip", "b.zip", data("bomb.zip"))).error().code == "reports.too_big");
  auto g = gz(data("rfc7489-example.xml"));
  CHECK(gunzip(g.substr(0, g.size() / 2)).error().code == "reports.compression");
  auto z = data("rfc7489-example.zip");
  z[200] ^= 0x55;  // inside the compressed data (after the 30-byte header and the name)
  CHECK(!unzip_first(z));
  CHECK(unzip_first("PK\x03\x04garbage").error().code == "reports.compression");
}

TEST_CASE("reports: ingest into the store, duplicates, summary") {
  temp_db t;
  auto st = open_store(t.db.target);
  REQUIRE(st);
  auto msg = message_with("application/zip", "r.zip", data("rfc7489-example.zip"));
  auto r = ingest(**st, msg, 1335700000);
  REQUIRE(r);
  REQUIRE(r->size() == 1);
  CHECK(!r->front().duplicate);
  CHECK(r->front().domain == "example.com");
  auto again = ingest(**st, msg, 1335700001);
  REQUIRE(again);
  CHECK(again->front().duplicate);
  auto tls = ingest(**st, message_with("application/tlsrpt+json", "r.json", data("rfc8460-example.json")), 1459560000);
  REQUIRE(tls);

  auto rows = (*st)->dmarc_rows({"example.com", 0});
  REQUIRE(rows);
  REQUIRE(rows->size() == 1);
  CHECK((*st)->dmarc_rows({"other.example", 0})->empty());
  CHECK((*st)->dmarc_rows({"", 1335657600})->empty());  // ended before --since
  auto text = format_dmarc(*rows);
  CHECK(text.find("2012-04-28") != std::string::npos);
  CHECK(text.find("72.150.241.94") != std::string::npos);
  CHECK(text.find("total: 2 message(s), 0 failing DMARC") != std::string::npos);
  CHECK(text.find("WARN 72.150.241.94 sent 2 message(s) as example.com failing DKIM") != std::string::npos);

  auto pols = (*st)->tls_policies({"company-y.example", 0});
  REQUIRE(pols);
  REQUIRE(pols->size() == 1);
  REQUIRE(pols->front().failures.size() == 3);
  // The failures come back in the report's order.
  auto parsed = parse_tls_report(data("rfc8460-example.json"));
  REQUIRE(parsed);
  REQUIRE(parsed->policies.front().failures.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(pols->front().failures[i].result_type == parsed->policies.front().failures[i].result_type);
    CHECK(pols->front().failures[i].receiving_ip == parsed->policies.front().failures[i].receiving_ip);
    CHECK(pols->front().failures[i].count == parsed->policies.front().failures[i].count);
  }
  auto tt = format_tls(*pols);
  CHECK(tt.find("5326") != std::string::npos);
  CHECK(tt.find("200 session(s) starttls-not-supported at mx2.mail.company-y.example [203.0.113.56]") != std::string::npos);

  dmarc_evaluation e;
  e.time = 100;
  e.header_from = "a.test";
  REQUIRE((*st)->record_dmarc(e));
  e.time = 200;
  REQUIRE((*st)->record_dmarc(e));
  CHECK((*st)->dmarc_evaluations(150)->size() == 1);
  REQUIRE((*st)->forget_before(150));
  CHECK((*st)->dmarc_evaluations(1000)->size() == 1);
}

TEST_CASE("reports: the store keeps each report's rows in order, and each report once") {
  temp_db t;
  auto st = open_store(t.db.target).value();
  dmarc_report r;
  r.org = "reporter.example";
  r.report_id = "r-1";
  r.domain = "a.test";
  r.begin = 1000;
  r.end = 2000;
  // Not in any sorted order, so that only the report's own order gives this sequence back.
  for (auto ip : {"203.0.113.9", "192.0.2.1", "198.51.100.4", "192.0.2.0"}) {
    dmarc_row w;
    w.source_ip = ip;
    w.count = 1 + w.source_ip.size();
    w.disposition = "none";
    r.rows.push_back(w);
  }
  REQUIRE(st->add_dmarc(r, 3000).value());
  dmarc_report dup = r;
  dup.rows.resize(1);
  CHECK_FALSE(st->add_dmarc(dup, 3001).value());  // the sender's retry: the first copy stays
  dmarc_report other = r;
  other.report_id = "r-0";
  other.begin = 500;  // older: listed first
  other.end = 900;
  other.rows.resize(1);
  REQUIRE(st->add_dmarc(other, 3002).value());

  auto rows = st->dmarc_rows({"a.test", 0}).value();
  REQUIRE(rows.size() == 5);
  CHECK(rows[0].report_id == "r-0");
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(rows[i + 1].report_id == "r-1");
    CHECK(rows[i + 1].source_ip == r.rows[i].source_ip);
    CHECK(rows[i + 1].count == r.rows[i].count);
  }
  CHECK(st->dmarc_rows({"", 1500}).value().size() == 4);  // r-0 ended before 1500
  CHECK(st->dmarc_rows({"b.test", 0}).value().empty());
}

TEST_CASE("reports: rua addresses and the external destination check") {
  CHECK(mailto_addresses("mailto:a@x.test!10m, mailto:b@y.test,https://no.test/, mailto:bad") ==
        std::vector<std::string>{"a@x.test", "b@y.test"});
  CHECK(mailto_addresses("").empty());
  CHECK(report_verification_name("a.test", "reports.example") == "a.test._report._dmarc.reports.example");
  CHECK(verification_agrees({"v=DMARC1"}));
  CHECK(!verification_agrees({"v=spf1 -all"}));
  CHECK(!verification_agrees({}));
  CHECK(tlsrpt_rua({"v=spf1 -all", "v=TLSRPTv1; rua=mailto:tls@c.test,mailto:x@d.test"}) ==
        "mailto:tls@c.test,mailto:x@d.test");
  CHECK(tlsrpt_rua({"v=TLSRPTv1;rua=mailto:a@c.test", "v=TLSRPTv1;rua=mailto:b@c.test"}).empty());  // two records
  CHECK(tlsrpt_rua({}).empty());
}

TEST_CASE("reports: the DMARC report we send reads back with our own parser") {
  std::vector<dmarc_evaluation> evals;
  for (int i = 0; i < 3; ++i) {
    dmarc_evaluation e;
    e.time = 86400 * 10 + 100 + i;
    e.source_ip = i < 2 ? "192.0.2.1" : "192.0.2.9";
    e.header_from = e.policy_domain = "a.test";
    e.envelope_from = "a.test";
    e.p = "quarantine";
    e.rua = "mailto:dmarc@a.test";
    e.disposition = i < 2 ? "none" : "quarantine";
    e.dkim = i < 2 ? "pass" : "fail";
    e.spf = i < 2 ? "pass" : "fail";
    e.dkim_results = i < 2 ? "a.test=pass" : "";
    e.spf_domain = "a.test";
    e.spf_result = i < 2 ? "pass" : "fail";
    evals.push_back(e);
  }
  dmarc_evaluation other = evals[0];
  other.policy_domain = other.header_from = "norua.test";
  other.rua = "";
  evals.push_back(other);
  dmarc_evaluation late = evals[0];
  late.time = 86400 * 11;  // the next day: not in this report
  evals.push_back(late);
  reporter me{"mail.b.test", "postmaster@b.test", "mail.b.test"};
  auto out = dmarc_reports(evals, 86400 * 10, 86400 * 11, me);
  REQUIRE(out.size() == 1);  // norua.test asked for none
  CHECK(out[0].rua == std::vector<std::string>{"dmarc@a.test"});
  CHECK(out[0].filename == "mail.b.test!a.test!864000!950399.xml");
  auto msg = report_message(out[0], me, "dmarc@a.test", "Mon, 11 Jan 1970 00:00:00 +0000", "x@mail.b.test");
  REQUIRE(msg);
  CHECK(msg->find("Subject: Report Domain: a.test Submitter: mail.b.test Report-ID: <") != std::string::npos);
  auto p = extract_reports(*msg);
  REQUIRE(p);
  auto r = parse_dmarc_report(p->front().bytes);
  REQUIRE(r);
  CHECK(r->org == "mail.b.test");
  CHECK(r->domain == "a.test");
  CHECK(r->policy == "quarantine");
  CHECK(r->begin == 864000);
  REQUIRE(r->rows.size() == 2);
  CHECK(r->rows[0].source_ip == "192.0.2.1");
  CHECK(r->rows[0].count == 2);
  CHECK(r->rows[0].dkim_domains == "a.test=pass");
  CHECK(r->rows[1].count == 1);
  CHECK(r->rows[1].disposition == "quarantine");
  CHECK(r->rows[1].spf_domains == "a.test=fail");
}

TEST_CASE("reports: the TLS-RPT report we send reads back with our own parser") {
  std::vector<tls_session> s;
  s.push_back({100, "c.test", "sts", "", "192.0.2.1", "mx.c.test", "192.0.2.7", "mailto:tls@c.test", {}, {}, ""});
  s.push_back({101, "c.test", "sts", "certificate-expired", "192.0.2.1", "mx.c.test", "192.0.2.7", "mailto:tls@c.test", {}, {}, ""});
  s.push_back({102, "c.test", "sts", "certificate-expired", "192.0.2.1", "mx.c.test", "192.0.2.7", "mailto:tls@c.test", {}, {}, ""});
  s.push_back({103, "d.test", "no-policy-found", "", "192.0.2.1", "mx.d.test", "192.0.2.8", "", {}, {}, ""});
  reporter me{"mail.b.test", "postmaster@b.test", "mail.b.test"};
  auto out = tls_reports(s, 0, 86400, me);
  REQUIRE(out.size() == 1);
  auto msg = report_message(out[0], me, "tls@c.test", "Thu, 01 Jan 1970 00:00:00 +0000", "y@mail.b.test");
  REQUIRE(msg);
  CHECK(msg->find("TLS-Report-Domain: c.test\r\n") != std::string::npos);
  CHECK(msg->find("report-type=\"tlsrpt\"") != std::string::npos);
  auto p = extract_reports(*msg);
  REQUIRE(p);
  CHECK(p->front().kind == report_kind::tls);
  auto r = parse_tls_report(p->front().bytes);
  REQUIRE(r);
  CHECK(r->begin == 0);
  CHECK(r->end == 86399);
  REQUIRE(r->policies.size() == 1);
  CHECK(r->policies[0].success == 1);
  CHECK(r->policies[0].failure == 2);
  REQUIRE(r->policies[0].failures.size() == 1);
  CHECK(r->policies[0].failures[0].count == 2);
  CHECK(r->policies[0].failures[0].result_type == "certificate-expired");
}

TEST_CASE("reports: TLS-RPT policies carry their policy-string, mx-host and failure reasons") {
  tls_session ok;
  ok.time = 100;
  ok.policy_domain = "c.test";
  ok.policy_type = "sts";
  ok.policy_string = {"version: STSv1", "mode: enforce", "mx: mx.c.test", "max_age: 86400"};
  ok.mx_host = {"mx.c.test"};
  ok.sending_ip = "192.0.2.1";
  ok.receiving_mx = "mx.c.test";
  ok.receiving_ip = "192.0.2.7";
  ok.rua = "mailto:tls@c.test, https://collector.c.test:8443/v1/tlsrpt";
  tls_session bad = ok;
  bad.time = 101;
  bad.result_type = "validation-failure";
  bad.receiving_mx = "other.c.test";
  bad.receiving_ip = "";
  bad.failure_reason = "MX host other.c.test is not listed in the MTA-STS policy";
  tls_session none = ok;  // earlier the same day, before the domain published its policy
  none.time = 50;
  none.policy_type = "no-policy-found";
  none.policy_string.clear();
  none.mx_host.clear();

  // Through the store, in one batch: the lists come back as they went in.
  temp_db t;
  auto st = open_store(t.db.target);
  REQUIRE(st);
  REQUIRE((*st)->record_tls_sessions({none, ok, bad, bad}));
  auto back = (*st)->tls_sessions(86400);
  REQUIRE(back);
  REQUIRE(back->size() == 4);
  CHECK((*back)[1].policy_string == ok.policy_string);
  CHECK((*back)[1].mx_host == ok.mx_host);
  CHECK((*back)[0].policy_string.empty());
  CHECK((*back)[2].failure_reason == bad.failure_reason);

  reporter me{"mail.b.test", "postmaster@b.test", "mail.b.test"};
  auto out = tls_reports(*back, 0, 86400, me);
  REQUIRE(out.size() == 1);
  CHECK(out[0].rua == std::vector<std::string>{"tls@c.test"});
  CHECK(out[0].https == std::vector<std::string>{"https://collector.c.test:8443/v1/tlsrpt"});
  namespace json = hearth::json;
  auto doc = json::parse(out[0].document, json::limits{.max_bytes = 1u << 20});
  REQUIRE(doc);
  auto str = [](const json::value* v) { return v && v->as_string() ? *v->as_string() : std::string(); };
  auto num = [](const json::value* v) { return v && v->as_number() ? *v->as_number() : -1.0; };
  const json::value* pols = doc->find("policies");
  REQUIRE(pols);
  REQUIRE(pols->as_array());
  REQUIRE(pols->as_array()->size() == 2);
  const json::value* sts = nullptr;
  for (const auto& p : *pols->as_array())
    if (str(p.find("policy")->find("policy-type")) == "sts") sts = &p;
  REQUIRE(sts);
  const json::value* pol = sts->find("policy");
  REQUIRE(pol->find("policy-string"));
  const json::array* lines = pol->find("policy-string")->as_array();
  REQUIRE(lines);
  REQUIRE(lines->size() == 4);
  CHECK(str(&(*lines)[1]) == "mode: enforce");
  REQUIRE(pol->find("mx-host"));
  REQUIRE(pol->find("mx-host")->as_array());
  CHECK(str(&pol->find("mx-host")->as_array()->at(0)) == "mx.c.test");
  CHECK(num(sts->find("summary")->find("total-successful-session-count")) == 1);
  CHECK(num(sts->find("summary")->find("total-failure-session-count")) == 2);
  const json::value* details = sts->find("failure-details");
  REQUIRE(details);
  REQUIRE(details->as_array());
  REQUIRE(details->as_array()->size() == 1);
  const json::value& d = details->as_array()->at(0);
  CHECK(str(d.find("result-type")) == "validation-failure");
  CHECK(str(d.find("receiving-mx-hostname")) == "other.c.test");
  CHECK(num(d.find("failed-session-count")) == 2);
  CHECK(str(d.find("failure-reason-code")) == bad.failure_reason);
  // Our own parser reads it as a receiver would.
  auto r = parse_tls_report(out[0].document);
  REQUIRE(r);
  CHECK(r->policies.size() == 2);

  // A domain that asks only for https: gets a report with no mail to send.
  for (auto& s : *back) s.rua = "https://collector.c.test/tlsrpt";
  auto only = tls_reports(*back, 0, 86400, me);
  REQUIRE(only.size() == 1);
  CHECK(only[0].rua.empty());
  CHECK(only[0].https.size() == 1);
}

TEST_CASE("reports: https rua URIs") {
  CHECK(https_uris("mailto:a@x.test, https://r.x.test/a?b=c ,HTTPS://R.test,http://plain.test/, https://sp ace.test/") ==
        std::vector<std::string>{"https://r.x.test/a?b=c", "HTTPS://R.test"});
  auto t = parse_https_uri("https://Collector.Example.NET:8443/v1/tlsrpt?k=1");
  REQUIRE(t);
  CHECK(t->host == "collector.example.net");
  CHECK(t->port == 8443);
  CHECK(t->target == "/v1/tlsrpt?k=1");
  auto d = parse_https_uri("https://r.example");
  REQUIRE(d);
  CHECK(d->port == 443);
  CHECK(d->target == "/");
  CHECK(parse_https_uri("https://r.example?x=1")->target == "/?x=1");
  for (const char* bad : {"http://r.example/", "https://", "https://user:pw@r.example/", "https://r.example:0/",
                          "https://r.example:70000/", "https://r.example:/", "https://192.0.2.1/", "https://[::1]/",
                          "https://r..example/", "https://r.example/#frag", "https://r.example/a b",
                          "https://r_x.example/"})
    CHECK_FALSE(parse_https_uri(bad));
  CHECK_FALSE(parse_https_uri("https://r.example/" + std::string(3000, 'a')));
}

TEST_CASE("reports: each sending IP's verdict over the period") {
  auto row = [](std::string ip, std::uint64_t n, std::string dkim, std::string spf, std::int64_t begin) {
    stored_dmarc_row r;
    r.source_ip = std::move(ip);
    r.count = n;
    r.dkim = std::move(dkim);
    r.spf = std::move(spf);
    r.domain = "a.test";
    r.org = "google.test";
    r.begin = begin;
    r.end = begin + 86399;
    return r;
  };
  const std::int64_t day = 1767225600;
  std::vector<stored_dmarc_row> rows{row("192.0.2.1", 40, "pass", "pass", day), row("192.0.2.1", 5, "pass", "fail", day + 86400),
                                     row("198.51.100.7", 12, "fail", "pass", day),
                                     row("203.0.113.9", 3, "fail", "fail", day),
                                     row("203.0.113.9", 2, "fail", "fail", day + 86400),
                                     row("192.0.2.99", 4, "fail", "fail", day), row("192.0.2.99", 6, "pass", "pass", day)};
  auto groups = group_dmarc(rows);
  CHECK(groups.size() == 6);
  auto s = dmarc_sources(groups);
  REQUIRE(s.size() == 4);
  auto find = [&](std::string ip) { return *std::find_if(s.begin(), s.end(), [&](auto& x) { return x.source_ip == ip; }); };
  CHECK(find("192.0.2.1").verdict == "ok");
  CHECK(find("192.0.2.1").messages == 45);
  CHECK(find("198.51.100.7").verdict == "forgotten");
  CHECK(find("203.0.113.9").verdict == "spoofing");
  CHECK(find("203.0.113.9").dmarc_fail == 5);
  // Passing SPF for some of its mail: a source of ours whose DKIM is missing now and then.
  CHECK(find("192.0.2.99").verdict == "forgotten");
}
