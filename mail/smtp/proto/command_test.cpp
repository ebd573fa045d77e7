#include "mail/smtp/proto/command.hpp"
#include "mail/smtp/proto/reply.hpp"

#include <catch2/catch.hpp>

using namespace hearth::mail::smtp;

namespace {
std::string err(std::string_view line) {
  auto r = parse_command(line);
  return r ? std::string("ok") : r.error().code;
}
}  // namespace

TEST_CASE("EHLO and HELO take a domain or an address literal") {
  auto r = parse_command("EHLO client.example.org");
  REQUIRE(r);
  CHECK(r->kind == verb::ehlo);
  CHECK(r->domain == "client.example.org");
  r = parse_command("helo [192.0.2.1]");
  REQUIRE(r);
  CHECK(r->kind == verb::helo);
  CHECK(r->domain == "[192.0.2.1]");
  CHECK(parse_command("EHLO [IPv6:2001:db8::1]"));
  CHECK(err("EHLO") == "501 5.5.4");
  CHECK(err("EHLO bad..domain") == "501 5.5.4");
  CHECK(err("EHLO -bad.example") == "501 5.5.4");
  CHECK(err("EHLO a b") == "501 5.5.4");
  CHECK(err("EHLO [1.2.3.4") == "501 5.5.4");
}

TEST_CASE("MAIL FROM paths and parameters") {
  auto r = parse_command("MAIL FROM:<alice@example.org> SIZE=1000 BODY=8BITMIME RET=hdrs ENVID=QQ314159 AUTH=<>");
  REQUIRE(r);
  CHECK(r->kind == verb::mail);
  CHECK(r->mailbox.local == "alice");
  CHECK(r->mailbox.domain == "example.org");
  CHECK(r->mail.size == 1000u);
  CHECK(r->mail.body == body_type::eight_bit_mime);
  CHECK(r->mail.ret == "HDRS");
  CHECK(r->mail.envid == "QQ314159");
  CHECK(r->mail.auth == "<>");
  r = parse_command("mail from:<>");
  REQUIRE(r);
  CHECK(r->mailbox.is_null);
  CHECK(r->mailbox.address().empty());
  r = parse_command("MAIL FROM: <a@b.example> BODY=7bit SMTPUTF8");
  REQUIRE(r);
  CHECK(r->mail.body == body_type::seven_bit);
  CHECK(r->mail.smtputf8);
  CHECK(parse_command("MAIL FROM:<a@b> BODY=BINARYMIME")->mail.body == body_type::binary_mime);
  CHECK(err("MAIL FROM:alice@example.org") == "501 5.5.2");
  CHECK(err("MAIL TO:<a@b>") == "501 5.5.4");
  CHECK(err("MAIL FROM:<a@b> SIZE=x") == "501 5.5.4");
  CHECK(err("MAIL FROM:<a@b> SIZE=123456789012345678901") == "501 5.5.4");
  CHECK(err("MAIL FROM:<a@b> BODY=9BIT") == "501 5.5.4");
  CHECK(err("MAIL FROM:<a@b> SMTPUTF8=yes") == "501 5.5.4");
  CHECK(parse_command("MAIL FROM:<a@b> REQUIRETLS")->mail.requiretls);  // RFC 8689 §4.1
  CHECK_FALSE(parse_command("MAIL FROM:<a@b>")->mail.requiretls);
  CHECK(err("MAIL FROM:<a@b> REQUIRETLS=yes") == "501 5.5.4");
  CHECK(err("MAIL FROM:<a@b> RET=ALL") == "501 5.5.4");
  CHECK(err("MAIL FROM:<a@b> FOO=bar") == "555 5.5.4");
  CHECK(err("MAIL FROM:<a@b> =x") == "555 5.5.4");
  CHECK(err("MAIL FROM:<a@b>junk") == "501 5.5.2");
}

TEST_CASE("RCPT TO paths and DSN parameters") {
  auto r = parse_command("RCPT TO:<bob@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.org");
  REQUIRE(r);
  CHECK(r->kind == verb::rcpt);
  CHECK(r->mailbox.address() == "bob@example.org");
  CHECK(r->rcpt.notify == "SUCCESS,FAILURE");
  CHECK(r->rcpt.orcpt == "rfc822;bob@example.org");
  CHECK(parse_command("RCPT TO:<b@c> NOTIFY=never")->rcpt.notify == "NEVER");
  r = parse_command("RCPT TO:<Postmaster>");
  REQUIRE(r);
  CHECK(r->mailbox.local == "Postmaster");
  CHECK(r->mailbox.domain.empty());
  CHECK(err("RCPT TO:<>") == "501 5.5.2");  // null path only as a reverse-path
  CHECK(err("RCPT TO:<b@c> NOTIFY=SOMETIMES") == "501 5.5.4");
  CHECK(err("RCPT TO:<b@c> ORCPT=nosemicolon") == "501 5.5.4");
  CHECK(err("RCPT TO:<b@c> SIZE=1") == "555 5.5.4");
  CHECK(err("RCPT FROM:<b@c>") == "501 5.5.4");
}

TEST_CASE("paths: quoted local parts, source routes, literals, UTF-8, limits") {
  auto r = parse_command(R"(RCPT TO:<"john \"q\" doe"@example.org>)");
  REQUIRE(r);
  CHECK(r->mailbox.local == R"(john "q" doe)");
  CHECK(r->mailbox.address() == R"("john \"q\" doe"@example.org)");
  r = parse_command("RCPT TO:<@relay1.example,@relay2.example:user@example.org>");
  REQUIRE(r);
  CHECK(r->mailbox.address() == "user@example.org");
  r = parse_command("RCPT TO:<user@[192.0.2.7]>");
  REQUIRE(r);
  CHECK(r->mailbox.domain == "[192.0.2.7]");
  r = parse_command("RCPT TO:<j\xC3\xBCrgen@b\xC3\xBC" "cher.example>");
  REQUIRE(r);
  CHECK(r->mailbox.utf8);
  CHECK(err("RCPT TO:<j\xC3rgen@example.org>") == "553 5.6.7");  // truncated UTF-8
  CHECK(err("RCPT TO:<a..b@example.org>") == "501 5.5.2");
  CHECK(err("RCPT TO:<.a@example.org>") == "501 5.5.2");
  CHECK(err("RCPT TO:<\"unterminated@example.org>") == "501 5.5.2");
  CHECK(err("RCPT TO:<a@>") == "501 5.5.2");
  CHECK(err("RCPT TO:<a@b") == "501 5.5.2");
  CHECK(err("RCPT TO:<@relay:>") == "501 5.5.2");
  CHECK(err("RCPT TO:<" + std::string(65, 'a') + "@example.org>") == "553 5.1.3");
  CHECK(err("RCPT TO:<" + std::string(64, 'a') + "@example.org>") == "ok");
  std::string long_domain;
  for (int i = 0; i < 50; ++i) long_domain += "abcd.";
  long_domain += "example";  // 257 octets
  CHECK(err("RCPT TO:<a@" + long_domain + ">") == "553 5.1.3");
  // 64 + 1 + 189 + 2 = 256 fits; one more octet does not (RFC 5321 §4.5.3.1.3).
  std::string d189 = std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(61, 'c');
  CHECK(err("RCPT TO:<" + std::string(64, 'x') + "@" + d189 + ">") == "ok");
  CHECK(err("RCPT TO:<" + std::string(64, 'x') + "@" + d189 + "c>") == "553 5.1.3");
}

TEST_CASE("commands without arguments, BDAT, AUTH, unknown") {
  CHECK(parse_command("DATA")->kind == verb::data);
  CHECK(parse_command("rset")->kind == verb::rset);
  CHECK(parse_command("QUIT")->kind == verb::quit);
  CHECK(parse_command("StartTLS")->kind == verb::starttls);
  CHECK(parse_command("NOOP")->kind == verb::noop);
  CHECK(parse_command("NOOP anything")->kind == verb::noop);
  CHECK(parse_command("HELP")->kind == verb::help);
  CHECK(parse_command("VRFY bob")->kind == verb::vrfy);
  CHECK(err("VRFY") == "501 5.5.4");
  CHECK(err("DATA now") == "501 5.5.4");
  CHECK(err("QUIT please") == "501 5.5.4");
  CHECK(err("STARTTLS x") == "501 5.5.4");
  auto r = parse_command("BDAT 1000 LAST");
  REQUIRE(r);
  CHECK(r->kind == verb::bdat);
  CHECK(r->chunk_size == 1000u);
  CHECK(r->last);
  r = parse_command("BDAT 0");
  REQUIRE(r);
  CHECK_FALSE(r->last);
  CHECK(err("BDAT") == "501 5.5.4");
  CHECK(err("BDAT -1") == "501 5.5.4");
  CHECK(err("BDAT 10 FIRST") == "501 5.5.4");
  CHECK(err("BDAT 10 LAST x") == "501 5.5.4");
  r = parse_command("AUTH plain AGFsaWNlAHNlY3JldA==");
  REQUIRE(r);
  CHECK(r->mechanism == "PLAIN");
  CHECK(r->initial_response == std::string("AGFsaWNlAHNlY3JldA=="));
  r = parse_command("AUTH SCRAM-SHA-256");
  REQUIRE(r);
  CHECK_FALSE(r->initial_response);
  CHECK(err("AUTH") == "501 5.5.4");
  CHECK(err("AUTH PL@IN") == "501 5.5.4");
  CHECK(err("EXPN staff") == "500 5.5.1");
  CHECK(err("") == "500 5.5.1");
  CHECK(err("\x01\xff") == "500 5.5.1");
}

TEST_CASE("valid_utf8") {
  CHECK(valid_utf8("plain"));
  CHECK(valid_utf8("\xC3\xBC\xE2\x82\xAC\xF0\x9F\x98\x80"));
  CHECK_FALSE(valid_utf8("\xC0\xAF"));          // overlong
  CHECK_FALSE(valid_utf8("\xED\xA0\x80"));      // surrogate
  CHECK_FALSE(valid_utf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  CHECK_FALSE(valid_utf8("\xE2\x82"));          // truncated
}

TEST_CASE("reply wire format") {
  CHECK(make_reply(250, "2.1.0", "Ok").wire() == "250 2.1.0 Ok\r\n");
  reply r;
  r.code = 250;
  r.lines = {"mx.example", "SIZE 10"};
  CHECK(r.wire() == "250-mx.example\r\n250 SIZE 10\r\n");
  CHECK(make_reply(550, "5.1.1", "a\r\n250 b").wire() == "550 5.1.1 a  250 b\r\n");
}
