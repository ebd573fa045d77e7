// Shared by the IMAP handler tests (commands_test.cpp, commands_ext_test.cpp): a real store in
// a temporary folder, a logged-in session, and a few messages.
#pragma once
#include <catch2/catch.hpp>

#include <filesystem>
#include <random>
#include <string>

#include "core/blob/store.hpp"
#include "mail/imap/proto/parser.hpp"
#include "mail/imap/server/commands.hpp"

namespace hearth::mail::imap::test {

struct fixture {
  std::filesystem::path dir;
  std::unique_ptr<blob::store> blobs;
  std::unique_ptr<mail::store> store;
  server_env env;

  fixture() {
    std::random_device rd;
    dir = std::filesystem::temp_directory_path() / ("hearth_imap_test_" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(dir);
    blobs = std::make_unique<blob::store>(dir / "blobs");
    store = mail::store::open(dir / "hearth.db", *blobs).value();
    env.store = store.get();
    env.blobs = blobs.get();
    env.hostname = "mail.home.test";
  }
  ~fixture() {
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  session_state login() {
    session_state st;
    st.env = &env;
    st.tls = true;
    st.account = "alice@home.test";
    st.ph = phase::authenticated;
    return st;
  }
};

inline std::string run(session_state& st, const std::string& text) {
  auto p = parse_command(text + "\r\n");
  REQUIRE(p.cmd.has_value());
  return execute(st, *p.cmd).out;
}

inline std::string append_cmd(const std::string& tag, const std::string& box, const std::string& msg) {
  return tag + " APPEND " + box + " {" + std::to_string(msg.size()) + "+}\r\n" + msg;
}

inline const std::string simple =
    "From: Alice <alice@home.test>\r\n"
    "To: bob@example.org\r\n"
    "Subject: Hello\r\n"
    "Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n"
    "Message-ID: <m1@home.test>\r\n"
    "\r\n"
    "Hi Bob\r\n";

inline const std::string multipart =
    "From: =?utf-8?q?J=C3=B6rg?= <joerg@example.org>\r\n"
    "To: alice@home.test\r\n"
    "Subject: =?iso-8859-1?q?Gr=FC=DFe?=\r\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0100\r\n"
    "Message-ID: <m2@example.org>\r\n"
    "In-Reply-To: <m1@home.test>\r\n"
    "References: <m1@home.test>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
    "\r\n"
    "--b1\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Sch=F6ne Gr=FC=DFe\r\n"
    "--b1\r\n"
    "Content-Type: application/pdf; name=\"x.pdf\"\r\n"
    "Content-Disposition: attachment; filename*=utf-8''%E2%82%AC.pdf\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "SGVsbG8=\r\n"
    "--b1--\r\n";


}  // namespace hearth::mail::imap::test
