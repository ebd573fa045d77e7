#include "mail/smtp/proto/session.hpp"
#include "mail/smtp/proto/test_driver.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

using namespace hearth::mail::smtp;
using hearth::mail::smtp::testing::driver;
using codes = std::vector<int>;

namespace {
capabilities mx() {
  capabilities c;
  c.hostname = "mx.example.org";
  c.starttls = true;
  c.auth_mechanisms = {"PLAIN", "LOGIN"};
  return c;
}
capabilities submission() {
  capabilities c = mx();
  c.auth_required = true;
  return c;
}
}  // namespace

TEST_CASE("a full transaction, line by line") {
  driver d(mx());
  CHECK(d.codes() == codes{220});
  d.send("EHLO client.example\r\n");
  CHECK(d.codes() == codes{250});
  d.send("MAIL FROM:<a@client.example>\r\n");
  CHECK(d.codes() == codes{250});
  d.send("RCPT TO:<bob@example.org>\r\n");
  CHECK(d.codes() == codes{250});
  d.send("RCPT TO:<unknown@example.org>\r\n");
  CHECK(d.codes() == codes{550});
  d.send("DATA\r\n");
  CHECK(d.codes() == codes{354});
  d.send("Subject: hi\r\n\r\n..dot\r\n.\r\n");
  CHECK(d.codes() == codes{250});
  REQUIRE(d.messages.size() == 1);
  CHECK(d.messages[0] == "Subject: hi\r\n\r\n.dot\r\n");
  d.send("QUIT\r\n");
  CHECK(d.codes() == codes{221});
  CHECK(d.closed);
}

TEST_CASE("pipelined input in one slice (RFC 2920)") {
  driver d(mx());
  d.codes();
  d.send("EHLO c\r\nMAIL FROM:<a@c>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nDATA\r\n");
  CHECK(d.codes() == codes{250, 250, 250, 250, 354});
  d.send("x\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<b@example.org>\r\nDATA\r\ny\r\n.\r\nQUIT\r\n");
  CHECK(d.codes() == codes{250, 250, 250, 354, 250, 221});
  CHECK(d.messages.size() == 2);
  CHECK(d.e.transaction().recipients.empty());
}

TEST_CASE("EHLO advertises by TLS state; STARTTLS resets the session") {
  driver d(mx());
  d.codes();
  d.send("EHLO c\r\n");
  std::string ehlo = d.take();
  CHECK(ehlo.find("250 STARTTLS\r\n") != std::string::npos);  // last line before TLS
  CHECK(ehlo.find("AUTH") == std::string::npos);  // not before TLS
  CHECK(ehlo.find("250-SIZE 52428800\r\n") != std::string::npos);
  for (const char* cap : {"PIPELINING", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "CHUNKING", "DSN"})
    CHECK(ehlo.find(cap) != std::string::npos);
  CHECK(ehlo.find("REQUIRETLS") == std::string::npos);  // RFC 8689 §4.1: only over TLS
  d.send("MAIL FROM:<a@c> REQUIRETLS\r\n");
  CHECK(d.codes() == codes{530});
  d.send("AUTH PLAIN good\r\n");
  CHECK(d.codes() == codes{538});
  d.send("STARTTLS\r\nMAIL FROM:<injected@c>\r\n");  // plaintext behind STARTTLS is dropped
  CHECK(d.codes() == codes{220});
  REQUIRE(d.tls_pending);
  d.start_tls();
  CHECK(d.e.tls_active());
  d.send("MAIL FROM:<a@c>\r\n");
  CHECK(d.codes() == codes{503});  // EHLO forgotten (RFC 3207 §4.2)
  d.send("EHLO c\r\n");
  ehlo = d.take();
  CHECK(ehlo.find("STARTTLS") == std::string::npos);
  CHECK(ehlo.find("250-REQUIRETLS\r\n") != std::string::npos);
  CHECK(ehlo.find("250 AUTH PLAIN LOGIN\r\n") != std::string::npos);
  d.send("STARTTLS\r\n");
  CHECK(d.codes() == codes{503});
}

TEST_CASE("submission: TLS, then AUTH, then MAIL") {
  driver d(submission());
  d.codes();
  d.send("EHLO c\r\nMAIL FROM:<a@example.org>\r\n");
  CHECK(d.codes() == codes{250, 530});
  d.send("STARTTLS\r\n");
  d.start_tls();
  d.send("EHLO c\r\nMAIL FROM:<a@example.org>\r\n");
  CHECK(d.codes() == codes{220, 250, 530});
  d.send("AUTH CRAM-MD5\r\n");
  CHECK(d.codes() == codes{504});
  d.send("AUTH PLAIN bad\r\n");
  CHECK(d.codes() == codes{535});
  d.send("AUTH LOGIN\r\n*\r\n");
  CHECK(d.codes() == codes{334, 501});
  d.send("AUTH LOGIN\r\n");
  CHECK(d.take() == "334 \r\n");
  d.send("good\r\n");
  CHECK(d.codes() == codes{235});
  CHECK(d.e.authenticated());
  d.send("AUTH PLAIN good\r\n");
  CHECK(d.codes() == codes{503});
  d.send("MAIL FROM:<spoof@example.org>\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<x@remote.example>\r\n");
  CHECK(d.codes() == codes{553, 250, 250});
}

TEST_CASE("bad sequences get 503 5.5.1") {
  driver d(mx());
  d.codes();
  d.send("MAIL FROM:<a@c>\r\n");
  CHECK(d.take() == "503 5.5.1 Send EHLO/HELO first\r\n");
  d.send("RCPT TO:<b@example.org>\r\nDATA\r\n");
  CHECK(d.codes() == codes{503, 503});
  d.send("HELO c\r\nMAIL FROM:<a@c>\r\nMAIL FROM:<a@c>\r\nDATA\r\n");
  CHECK(d.codes() == codes{250, 250, 503, 554});
  d.send("RSET\r\nRCPT TO:<b@example.org>\r\n");
  CHECK(d.codes() == codes{250, 503});
  // A second EHLO ends the transaction.
  d.send("MAIL FROM:<a@c>\r\nEHLO c\r\nRCPT TO:<b@example.org>\r\n");
  CHECK(d.codes() == codes{250, 250, 503});
  // ESMTP parameters after HELO are refused.
  d.send("HELO c\r\nMAIL FROM:<a@c> SIZE=10\r\n");
  CHECK(d.codes() == codes{250, 555});
}

TEST_CASE("unknown commands, NOOP, VRFY, HELP, and the error limit") {
  capabilities c = mx();
  c.max_errors = 3;
  driver d(c);
  d.codes();
  d.send("NOOP\r\nVRFY bob\r\nHELP\r\n");
  CHECK(d.codes() == codes{250, 252, 214});
  d.send("FOO\r\n");
  CHECK(d.take() == "500 5.5.1 Command unrecognized\r\n");
  d.send("BAR\r\nBAZ\r\nNOOP\r\n");
  CHECK(d.codes() == codes{500, 421});
  CHECK(d.closed);
}

TEST_CASE("SIZE at MAIL, SMTPUTF8, BINARYMIME") {
  capabilities c = mx();
  c.max_message_size = 1000;
  driver d(c);
  d.codes();
  d.send("EHLO c\r\nMAIL FROM:<a@c> SIZE=1001\r\nMAIL FROM:<a@c> SIZE=1000\r\n");
  CHECK(d.take().find("552 5.3.4") != std::string::npos);
  d.send("RSET\r\nMAIL FROM:<j\xC3\xBC@c>\r\nMAIL FROM:<j\xC3\xBC@c> SMTPUTF8\r\n");
  CHECK(d.codes() == codes{250, 553, 250});
  d.send("RSET\r\nMAIL FROM:<a@c>\r\nRCPT TO:<j\xC3\xBC@example.org>\r\n");
  CHECK(d.codes() == codes{250, 250, 553});
  d.send("RSET\r\nMAIL FROM:<a@c> BODY=BINARYMIME\r\n");
  CHECK(d.codes() == codes{250, 504});
}

TEST_CASE("10 000 RCPTs: 452 beyond the limit, no growth") {
  driver d(mx());
  d.codes();
  d.send("EHLO c\r\nMAIL FROM:<a@c>\r\n");
  d.codes();
  std::string many;
  for (int i = 0; i < 10000; ++i) many += "RCPT TO:<user" + std::to_string(i) + "@example.org>\r\n";
  d.send(many);
  const auto got = d.codes();
  REQUIRE(got.size() == 10000);
  CHECK(std::count(got.begin(), got.end(), 250) == 100);
  CHECK(std::count(got.begin(), got.end(), 452) == 9900);
  CHECK(got[99] == 250);
  CHECK(got[100] == 452);
  CHECK(d.rcpt_events == 100);  // the policy is never asked beyond the limit
  CHECK(d.e.transaction().recipients.size() == 100);
  CHECK_FALSE(d.closed);
}

TEST_CASE("DATA content refusals leave the session usable") {
  capabilities c = mx();
  c.max_message_size = 100;
  driver d(c);
  d.codes();
  const std::string start = "MAIL FROM:<a@c>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n";
  d.send("EHLO c\r\n" + start + std::string(300, 'x') + "\r\n.\r\n");
  CHECK(d.codes() == codes{250, 250, 250, 354, 552});
  d.send(start + "bare\nlf\r\n.\r\n");
  CHECK(d.take().find("554 5.6.0 Bare LF") != std::string::npos);
  d.send(start + std::string("nul\0\r\n.\r\n", 9));
  CHECK(d.codes() == codes{250, 250, 354, 554});
  capabilities big = mx();
  driver d2(big);
  d2.codes();
  d2.send("EHLO c\r\n" + start + std::string(100000, 'y') + "\r\n.\r\n");
  CHECK(d2.take().find("554 5.6.0 Line longer") != std::string::npos);
  CHECK(d.messages.empty());
  CHECK(d2.messages.empty());
  d.send(start + "fine\r\n.\r\n");
  CHECK(d.codes() == codes{250, 250, 354, 250});
  CHECK(d.messages.size() == 1);
}

TEST_CASE("DATA split at every byte boundary through the engine") {
  const std::string script = "EHLO c\r\nMAIL FROM:<a@c>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"
                             "a\r\n..b\r\n.\r\nQUIT\r\n";
  for (std::size_t cut = 0; cut <= script.size(); ++cut) {
    driver d(mx());
    d.codes();
    d.send(script.substr(0, cut));
    d.send(script.substr(cut));
    CHECK(d.codes() == codes{250, 250, 250, 354, 250, 221});
    REQUIRE(d.messages.size() == 1);
    CHECK(d.messages[0] == "a\r\n.b\r\n");
  }
}

TEST_CASE("over-long command lines are refused and skipped") {
  driver d(mx());
  d.codes();
  d.send(std::string(100000, 'A'));
  d.send(std::string(100000, 'A') + "\r\nNOOP\r\n");
  CHECK(d.codes() == codes{500, 250});
}

TEST_CASE("BDAT sequences (RFC 3030)") {
  driver d(mx());
  d.codes();
  d.send("EHLO c\r\nMAIL FROM:<a@c>\r\nRCPT TO:<b@example.org>\r\nBDAT 4\r\nab\r\n");
  CHECK(d.take().find("250 2.0.0 4 octets received") != std::string::npos);
  d.send("BDAT 4 LAST\r\n.\r\nxQUIT\r\n");
  CHECK(d.codes() == codes{250, 221});
  REQUIRE(d.messages.size() == 1);
  CHECK(d.messages[0] == "ab\r\n.\r\nx");

  driver e(mx());
  e.codes();
  // Refused BDAT: the chunk is still read, so "RSET" inside it is not a command.
  e.send("EHLO c\r\nBDAT 6\r\nRSET\r\nNOOP\r\n");
  CHECK(e.codes() == codes{250, 503, 250});
  e.send("MAIL FROM:<a@c>\r\nRCPT TO:<b@example.org>\r\nBDAT 0 LAST\r\n");
  CHECK(e.codes() == codes{250, 250, 250});
  CHECK(e.messages.size() == 1);
  e.send("MAIL FROM:<a@c>\r\nRCPT TO:<b@example.org>\r\nBDAT 3\r\na\nbDATA\r\n");
  CHECK(e.codes() == codes{250, 250, 250, 503});
  e.send("BDAT 2 LAST\r\n\r\n");
  CHECK(e.take().find("554 5.6.0 Bare LF") != std::string::npos);
}

TEST_CASE("a message past spill_at comes out in pieces, DATA and BDAT, and the next one starts afresh") {
  capabilities caps = mx();
  caps.spill_at = 64;
  std::string body;
  for (int i = 0; i < 40; ++i) body += ".line " + std::to_string(i) + "\r\n";
  std::string stuffed;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '.' && (i == 0 || body[i - 1] == '\n')) stuffed += '.';
    stuffed += body[i];
  }
  driver d(caps);
  d.codes();
  // Fed in slices of 50 so the engine hands pieces out between reads.
  const std::string script = "EHLO c\r\nMAIL FROM:<a@c>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n" + stuffed + ".\r\n";
  for (std::size_t i = 0; i < script.size(); i += 50) d.send(script.substr(i, 50));
  CHECK(d.codes() == codes{250, 250, 250, 354, 250});
  REQUIRE(d.messages.size() == 1);
  CHECK(d.spilled[0]);
  CHECK(d.spill_pieces > 1);
  CHECK(d.messages[0] == body);

  // A small message after it: not spilled, whole in take_message().
  d.send("MAIL FROM:<a@c>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nsmall\r\n.\r\n");
  REQUIRE(d.messages.size() == 2);
  CHECK_FALSE(d.spilled[1]);
  CHECK(d.messages[1] == "small\r\n");

  // BDAT in chunks of 30: no unstuffing, the first piece marks a new content.
  d.send("MAIL FROM:<a@c>\r\nRCPT TO:<b@example.org>\r\n");
  for (std::size_t at = 0; at < stuffed.size(); at += 30) {
    const std::string piece = stuffed.substr(at, 30);
    const bool last = at + 30 >= stuffed.size();
    d.send("BDAT " + std::to_string(piece.size()) + (last ? " LAST" : "") + "\r\n" + piece);
  }
  REQUIRE(d.messages.size() == 3);
  CHECK(d.spilled[2]);
  CHECK(d.messages[2] == stuffed);
}

TEST_CASE("a spilled message over the size limit is refused, and the next one does not inherit its pieces") {
  capabilities caps = mx();
  caps.spill_at = 16;
  caps.max_message_size = 100;
  driver d(caps);
  d.codes();
  d.send("EHLO c\r\nMAIL FROM:<a@c>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n");
  for (int i = 0; i < 20; ++i) d.send("0123456789\r\n");
  d.send(".\r\n");
  CHECK(d.codes() == codes{250, 250, 250, 354, 552});
  CHECK(d.messages.empty());
  d.send("MAIL FROM:<a@c>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n");
  for (int i = 0; i < 3; ++i) d.send("abcdefghij\r\n");
  d.send(".\r\n");
  REQUIRE(d.messages.size() == 1);
  CHECK(d.spilled[0]);
  CHECK(d.messages[0] == "abcdefghij\r\nabcdefghij\r\nabcdefghij\r\n");
}
