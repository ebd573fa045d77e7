#include <catch2/catch.hpp>

#include "mail/sieve/run.hpp"

#include <string>

using namespace hearth::mail::sieve;

namespace {
const char* msg =
    "Return-Path: <alice@example.org>\r\n"
    "From: Alice <alice@example.org>\r\n"
    "To: Bob <bob+lists@home.test>, carol@example.net\r\n"
    "Subject: [acme-users] [fwd] version 1.0 is out\r\n"
    "Date: Sun, 06 Dec 2026 14:30:00 +0100\r\n"
    "Message-ID: <m1@example.org>\r\n"
    "X-Spam-Score: 7\r\n"
    "\r\n"
    "Hello Bob,\r\nthe new release is here.\r\n";

std::shared_ptr<const program> ok(std::string_view src) {
  auto r = compile(src);
  if (!r) FAIL(r.error().line << ":" << r.error().column << ": " << r.error().message);
  return *r;
}

diagnostic bad(std::string_view src) {
  auto r = compile(src);
  REQUIRE_FALSE(r);
  return r.error();
}

std::vector<std::string> lines(const outcome& o) {
  std::vector<std::string> r;
  if (o.error) r.push_back("error: " + o.error->message);
  for (auto& a : o.actions) r.push_back(describe(a));
  return r;
}

environment env() {
  environment e;
  e.envelope_from = "alice@example.org";
  e.envelope_to = "bob+lists@home.test";
  e.user_addresses = {"bob@home.test"};
  return e;
}

std::vector<std::string> run_script(std::string_view src, const environment& e = env(), std::string_view m = msg) {
  return lines(run(*ok(src), m, e));
}
}  // namespace

TEST_CASE("grammar: comments, multi-line strings, numbers, lists", "[sieve][parse]") {
  ok("# comment\r\n/* block\r\ncomment */ keep;");
  ok("require [\"fileinto\", \"reject\"];\nif size :over 100K { reject text:\n..dotted\nline\n.\n; }");
  ok("if anyof (true, not false, allof (true, true)) { keep; } elsif false { stop; } else { discard; }");
  auto d = bad("if true {\n  keep\n}");
  CHECK(d.line == 3);
  CHECK(d.column == 1);
  d = bad("keep;\n  frobnicate;");
  CHECK(d.line == 2);
  CHECK(d.column == 3);
  CHECK(d.message == "unknown command 'frobnicate'");
  d = bad("if true { keep; ");
  CHECK(d.message.find("missing '}'") != std::string::npos);
  d = bad("keep; \"unterminated");
  CHECK(d.line == 1);
  CHECK(d.column == 7);
  bad("if size :over 99999999999999999999 { keep; }");
  bad("/* open comment");
}

TEST_CASE("require is checked", "[sieve][validate]") {
  auto d = bad("fileinto \"x\";");
  CHECK(d.message.find("requires the extension \"fileinto\"") != std::string::npos);
  d = bad("require \"fileinto\";\nfileinto :copy \"x\";");
  CHECK(d.line == 2);
  CHECK(d.column == 10);
  d = bad("require \"nosuch\";");
  CHECK(d.message == "unsupported extension 'nosuch'");
  d = bad("keep;\nrequire \"fileinto\";");
  CHECK(d.line == 2);
  bad("require \"relational\"; if header :count \"gt\" \"to\" \"1\" { keep; } else { if header :value \"xx\" \"to\" \"1\" { keep; } }");
  bad("if header :is :contains \"to\" \"x\" { keep; }");
  bad("if header :is :is \"to\" \"x\" { keep; }");
  bad("if size 10 { keep; }");
  bad("else { keep; }");
  bad("require \"regex\"; if header :regex \"subject\" \"([a-\" { keep; }");
  bad("if header :comparator \"i;ascii-numeric\" \"x\" \"1\" { keep; }");
  ok("require \"comparator-i;ascii-numeric\"; if header :comparator \"i;ascii-numeric\" \"x\" \"1\" { keep; }");
  bad("redirect \"not an address\";");
  ok("redirect \"<a@b.example>\";");
  bad("if address \"subject\" \"x\" { keep; }");
  bad("if allof true { keep; }");
  bad("if not (true) { keep; }");
  bad("if (true) { keep; }");
  bad("require \"comparator-i;ascii-numeric\"; if header :contains :comparator \"i;ascii-numeric\" \"x\" \"1\" { keep; }");
  bad("require \"enotify\"; notify \"sms:123\";");
  bad("require \"variables\"; set \"1abc\" \"x\";");
}

TEST_CASE("limits", "[sieve][limits]") {
  limits lim;
  lim.max_script_bytes = 10;
  CHECK_FALSE(compile("keep; keep; keep;", lim));
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += "if true {";
  deep += "keep;";
  for (int i = 0; i < 10000; ++i) deep += "}";
  auto d = bad(deep);
  CHECK(d.message.find("nested too deeply") != std::string::npos);
  // A 1 MiB script is accepted; one byte more is refused at line 1.
  std::string mib(1024 * 1024, ' ');
  mib.replace(0, 5, "keep;");
  CHECK(compile(mib));
  mib += ' ';
  d = bad(mib);
  CHECK(d.message.find("too large") != std::string::npos);
  std::string big = "require \"fileinto\";\n";
  for (int i = 0; i < 40; ++i) big += "fileinto \"f" + std::to_string(i) + "\";\n";
  auto out = run(*ok(big), msg, env());
  REQUIRE(out.error);
  CHECK(out.error->message.find("too many actions") != std::string::npos);
  CHECK(lines(out) == std::vector<std::string>{"error: " + out.error->message, "keep (implicit)"});
  auto r = run_script("redirect \"a@x.org\"; redirect \"b@x.org\"; redirect \"c@x.org\"; redirect \"d@x.org\"; redirect \"e@x.org\";");
  CHECK(r[0].find("too many redirects") != std::string::npos);
}

TEST_CASE("core actions and implicit keep", "[sieve][run]") {
  CHECK(run_script("") == std::vector<std::string>{"keep (implicit)"});
  CHECK(run_script("discard;") == std::vector<std::string>{"discard"});
  CHECK(run_script("require \"fileinto\"; fileinto \"Lists\"; fileinto \"Lists\";") ==
        std::vector<std::string>{"fileinto \"Lists\""});
  CHECK(run_script("require [\"fileinto\", \"copy\", \"mailbox\"]; fileinto :copy :create \"A\";") ==
        std::vector<std::string>{"fileinto :copy :create \"A\"", "keep (implicit)"});
  CHECK(run_script("if header :contains \"subject\" \"VERSION\" { discard; stop; } keep;") ==
        std::vector<std::string>{"discard"});
  CHECK(run_script("require \"copy\"; if address :domain :is \"from\" \"example.org\" { redirect :copy \"x@y.org\"; }") ==
        std::vector<std::string>{"redirect :copy \"x@y.org\"", "keep (implicit)"});
  CHECK(run_script("require \"reject\"; reject \"go away\";") == std::vector<std::string>{"reject \"go away\""});
  auto r = run_script("require [\"reject\", \"fileinto\"]; fileinto \"x\"; reject \"no\";");
  CHECK(r[0].find("error: reject cannot be combined") == 0);
  CHECK(run_script("if exists [\"from\", \"x-spam-score\"] { discard; }") == std::vector<std::string>{"discard"});
  CHECK(run_script("if exists [\"from\", \"x-none\"] { discard; }") == std::vector<std::string>{"keep (implicit)"});
  CHECK(run_script("if size :under 1K { discard; }") == std::vector<std::string>{"discard"});
}

TEST_CASE("address parts, envelope, subaddress", "[sieve][run]") {
  CHECK(run_script("require \"subaddress\"; if address :detail \"to\" \"lists\" { discard; }") ==
        std::vector<std::string>{"discard"});
  CHECK(run_script("require \"subaddress\"; if address :user \"to\" \"bob\" { discard; }") ==
        std::vector<std::string>{"discard"});
  CHECK(run_script("require \"envelope\"; if envelope :localpart \"from\" \"alice\" { discard; }") ==
        std::vector<std::string>{"discard"});
  auto e = env();
  e.envelope_from.clear();
  CHECK(run_script("require \"envelope\"; if envelope :is \"from\" \"\" { discard; }", e) ==
        std::vector<std::string>{"discard"});
}

TEST_CASE("variables and match variables", "[sieve][variables]") {
  CHECK(run_script("require [\"fileinto\", \"variables\"];\n"
                   "if header :matches \"Subject\" \"[*] *\" { fileinto \"lists.${1}\"; }") ==
        std::vector<std::string>{"fileinto \"lists.acme-users\""});
  CHECK(run_script("require [\"fileinto\", \"variables\", \"regex\"];\n"
                   "if header :regex \"subject\" \"version ([0-9]+)\\\\.([0-9]+)\" { fileinto \"v${1}-${2}\"; }") ==
        std::vector<std::string>{"fileinto \"v1-0\""});
  CHECK(run_script("require [\"fileinto\", \"variables\"];\n"
                   "set :upperfirst :lower \"a\" \"HELLO\"; set :length \"n\" \"${a}\"; fileinto \"${a}${n}${unknown}\";") ==
        std::vector<std::string>{"fileinto \"Hello5\""});
  CHECK(run_script("require [\"variables\"]; set \"x\" \"a\"; if string :is \"${x}\" \"a\" { discard; }") ==
        std::vector<std::string>{"discard"});
  // encoded-character is decoded at compile time.
  CHECK(run_script("require [\"fileinto\", \"encoded-character\"]; fileinto \"${hex:41 42}${unicode:e9}\";") ==
        std::vector<std::string>{"fileinto \"AB\xC3\xA9\""});
}

TEST_CASE("imap4flags", "[sieve][flags]") {
  CHECK(run_script("require \"imap4flags\"; addflag \"\\\\Seen\"; addflag [\"$Junk\", \"\\\\seen\"];") ==
        std::vector<std::string>{"keep (implicit) :flags [\"\\\\Seen\", \"$Junk\"]"});
  CHECK(run_script("require [\"imap4flags\", \"fileinto\"]; setflag \"a b\"; removeflag \"a\";"
                   "fileinto :flags \"\\\\Flagged\" \"F\"; if hasflag \"b\" { keep; }") ==
        std::vector<std::string>{"fileinto :flags [\"\\\\Flagged\"] \"F\"", "keep :flags [\"b\"]"});
  CHECK(run_script("require [\"imap4flags\", \"variables\"]; setflag \"v\" \"x y\"; if hasflag :contains \"v\" \"y\" { discard; }") ==
        std::vector<std::string>{"discard"});
}

TEST_CASE("relational, body, date", "[sieve][tests]") {
  CHECK(run_script("require [\"relational\", \"comparator-i;ascii-numeric\"];"
                   "if header :value \"ge\" :comparator \"i;ascii-numeric\" \"x-spam-score\" \"5\" { discard; }") ==
        std::vector<std::string>{"discard"});
  CHECK(run_script("require [\"relational\", \"comparator-i;ascii-numeric\"];"
                   "if address :count \"eq\" :comparator \"i;ascii-numeric\" \"to\" \"2\" { discard; }") ==
        std::vector<std::string>{"discard"});
  CHECK(run_script("require \"body\"; if body :contains \"release\" { discard; }") == std::vector<std::string>{"discard"});
  CHECK(run_script("require \"body\"; if body :raw :contains \"Bob,\\r\\n\" { discard; }") == std::vector<std::string>{"keep (implicit)"});
  CHECK(run_script("require [\"date\", \"relational\"]; if date :zone \"+0000\" \"date\" \"hour\" \"13\" { discard; }") ==
        std::vector<std::string>{"discard"});
  CHECK(run_script("require [\"date\"]; if date :originalzone \"date\" \"iso8601\" \"2026-12-06T14:30:00+01:00\" { discard; }") ==
        std::vector<std::string>{"discard"});
  auto e = env();
  e.now = std::chrono::system_clock::time_point(std::chrono::seconds(1796565600));  // 2026-12-06 14:00 UTC
  CHECK(run_script("require \"date\"; if currentdate \"weekday\" \"0\" { discard; }", e) == std::vector<std::string>{"discard"});
}

TEST_CASE("vacation", "[sieve][vacation]") {
  auto r = run_script("require \"vacation\"; vacation :days 3 \"Away\";");
  REQUIRE(r.size() == 2);
  CHECK(r[0] == "vacation to \"alice@example.org\" :subject \"Auto: [acme-users] [fwd] version 1.0 is out\" :seconds 259200 \"Away\"");
  // Not addressed to the user (only bob+lists@ matches the envelope): carol's copy is not answered.
  auto e = env();
  e.envelope_to = "dave@home.test";
  e.user_addresses = {"dave@home.test"};
  CHECK(run_script("require \"vacation\"; vacation \"Away\";", e) == std::vector<std::string>{"keep (implicit)"});
  std::string list = std::string("List-Id: <acme.example.org>\r\n") + msg;
  CHECK(run_script("require \"vacation\"; vacation \"Away\";", env(), list) == std::vector<std::string>{"keep (implicit)"});
}

TEST_CASE("include, global, return", "[sieve][include]") {
  auto e = env();
  e.load_include = [](std::string_view name, script_location where) -> std::optional<std::string> {
    if (name == "spam" && where == script_location::personal)
      return "require [\"include\", \"variables\", \"fileinto\"]; global \"box\"; if true { fileinto \"${box}\"; return; } discard;";
    if (name == "loop") return "require \"include\"; include \"loop\";";
    return std::nullopt;
  };
  CHECK(run_script("require [\"include\", \"variables\"]; global \"box\"; set \"box\" \"Junk\"; include \"spam\"; keep;", e) ==
        std::vector<std::string>{"fileinto \"Junk\"", "keep"});
  auto r = run_script("require \"include\"; include \"loop\";", e);
  CHECK(r[0].find("includes itself") != std::string::npos);
  r = run_script("require \"include\"; include \"missing\";", e);
  CHECK(r[0].find("not found") != std::string::npos);
  CHECK(run_script("require \"include\"; include :optional \"missing\";", e) == std::vector<std::string>{"keep (implicit)"});
}

TEST_CASE("editheader, duplicate, spamtest, enotify, environment, mailbox", "[sieve][ext]") {
  auto o = run(*ok("require [\"editheader\"]; addheader \"X-Filtered\" \"yes\"; deleteheader \"x-spam-score\";"
                   "if header :is \"x-filtered\" \"yes\" { if not exists \"x-spam-score\" { discard; } }"),
               msg, env());
  CHECK(lines(o) == std::vector<std::string>{"discard"});
  REQUIRE(o.edited_message);
  CHECK(o.edited_message->rfind("X-Filtered: yes\r\nReturn-Path:", 0) == 0);
  CHECK(o.edited_message->find("X-Spam-Score") == std::string::npos);

  auto e = env();
  e.duplicate_seen = [](std::string_view key) { return key.find("<m1@example.org>") != std::string_view::npos; };
  auto d = run(*ok("require \"duplicate\"; if duplicate { discard; }"), msg, e);
  CHECK(lines(d) == std::vector<std::string>{"discard"});

  e.spam_score = 8;
  CHECK(run_script("require [\"spamtest\", \"relational\", \"comparator-i;ascii-numeric\"];"
                   "if spamtest :value \"ge\" :comparator \"i;ascii-numeric\" \"6\" { discard; }", e) ==
        std::vector<std::string>{"discard"});
  CHECK(run_script("require [\"enotify\"]; notify :importance \"1\" \"xmpp:bob@home.test\";") ==
        std::vector<std::string>{"notify \"xmpp:bob@home.test\" :importance 1 :message \"Alice <alice@example.org>: [acme-users] [fwd] version 1.0 is out\"",
                                 "keep (implicit)"});
  CHECK(run_script("require \"environment\"; if environment \"location\" \"MDA\" { discard; }") == std::vector<std::string>{"discard"});
  e.mailbox_exists = [](std::string_view m) { return m == "Archive"; };
  CHECK(run_script("require [\"mailbox\"]; if mailboxexists \"Archive\" { discard; }", e) == std::vector<std::string>{"discard"});
  CHECK(run_script("require [\"mailbox\"]; if mailboxexists [\"Archive\", \"Nope\"] { discard; }", e) ==
        std::vector<std::string>{"keep (implicit)"});
}

TEST_CASE("step limit stops a runaway script", "[sieve][limits]") {
  limits lim;
  lim.max_steps = 50;
  std::string src;
  for (int i = 0; i < 100; ++i) src += "if true { }\n";
  auto p = compile(src, lim);
  REQUIRE(p);
  auto o = run(**p, msg, env(), lim);
  REQUIRE(o.error);
  CHECK(o.error->message.find("step limit") != std::string::npos);
}
