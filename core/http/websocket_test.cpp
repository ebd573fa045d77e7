// RFC 6455: handshake, masking, fragmentation, control frames, close codes, size limit.
#include "core/http/websocket.hpp"

#include <catch2/catch.hpp>

#include "core/http/router.hpp"

using namespace hearth::http;
using namespace hearth::http::ws;

namespace {

// A client frame: masked with `key`, FIN as given; `len_form` forces a length encoding
// (0 = minimal, 126 or 127).
std::string client_frame(std::uint8_t op, std::string_view payload, bool fin = true, int len_form = 0,
                         bool masked = true, std::uint8_t rsv = 0) {
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | rsv | op));
  const std::uint8_t m = masked ? 0x80 : 0;
  std::uint64_t n = payload.size();
  if (len_form == 0 && n < 126) {
    f.push_back(static_cast<char>(m | n));
  } else if ((len_form == 0 && n <= 0xFFFF) || len_form == 126) {
    f.push_back(static_cast<char>(m | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n & 0xFF));
  } else {
    f.push_back(static_cast<char>(m | 127));
    for (int k = 7; k >= 0; --k) f.push_back(static_cast<char>((n >> (8 * k)) & 0xFF));
  }
  const char key[4] = {0x37, static_cast<char>(0xfa), 0x21, 0x3d};
  if (masked) f.append(key, 4);
  for (std::size_t i = 0; i < payload.size(); ++i) f.push_back(masked ? static_cast<char>(payload[i] ^ key[i % 4]) : payload[i]);
  return f;
}

std::vector<event> run(decoder& d, std::string_view bytes) {
  std::vector<event> ev;
  d.feed(bytes, ev);
  return ev;
}

}  // namespace

TEST_CASE("websocket: the handshake's accept key (RFC 6455 §1.3 example)") {
  CHECK(accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  request r;
  r.method = "GET";
  r.headers = {{"upgrade", "websocket"}, {"connection", "keep-alive, Upgrade"}, {"sec-websocket-version", "13"},
               {"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="}};
  CHECK(check_upgrade(r).empty());
  r.headers["sec-websocket-version"] = "8";
  CHECK_FALSE(check_upgrade(r).empty());
  r.headers["sec-websocket-version"] = "13";
  r.headers["sec-websocket-key"] = "c2hvcnQ=";
  CHECK_FALSE(check_upgrade(r).empty());
  r.headers["sec-websocket-key"] = "dGhlIHNhbXBsZSBub25jZQ==";
  r.method = "POST";
  CHECK_FALSE(check_upgrade(r).empty());
  CHECK(offers_protocol("chat, xmpp", "xmpp"));
  CHECK_FALSE(offers_protocol("XMPP", "xmpp"));
  CHECK_FALSE(offers_protocol("", "xmpp"));
  auto resp = switching_protocols("dGhlIHNhbXBsZSBub25jZQ==", "xmpp");
  CHECK(resp.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);
  CHECK(resp.find("Sec-WebSocket-Protocol: xmpp\r\n") != std::string::npos);
}

TEST_CASE("websocket: masked text, split anywhere, and fragments") {
  decoder d;
  std::string bytes = client_frame(1, "<open/>") + client_frame(1, "<iq", false) + client_frame(9, "hi") +
                      client_frame(0, "/>", true);
  std::vector<event> ev;
  for (char c : bytes) d.feed(std::string_view(&c, 1), ev);
  REQUIRE(ev.size() == 3);
  CHECK(ev[0].kind == event::message);
  CHECK(ev[0].text);
  CHECK(ev[0].data == "<open/>");
  CHECK(ev[1].kind == event::ping);  // a control frame between fragments
  CHECK(ev[1].data == "hi");
  CHECK(ev[2].kind == event::message);
  CHECK(ev[2].data == "<iq/>");
  CHECK(d.buffered() == 0);
}

TEST_CASE("websocket: 16- and 64-bit lengths") {
  decoder d(1 << 20);
  std::string big(70000, 'x');
  auto ev = run(d, client_frame(1, std::string(300, 'a')) + client_frame(2, big));
  REQUIRE(ev.size() == 2);
  CHECK(ev[0].data.size() == 300);
  CHECK_FALSE(ev[1].text);
  CHECK(ev[1].data == big);
}

TEST_CASE("websocket: protocol errors fail with 1002") {
  auto code_of = [](std::string bytes) {
    decoder d;
    auto ev = run(d, bytes);
    REQUIRE_FALSE(ev.empty());
    CHECK(ev.back().kind == event::fail);
    CHECK(d.done());
    return ev.back().code;
  };
  CHECK(code_of(client_frame(1, "x", true, 0, false)) == protocol_error);           // unmasked
  CHECK(code_of(client_frame(1, "x", true, 0, true, 0x40)) == protocol_error);      // RSV1
  CHECK(code_of(client_frame(3, "x")) == protocol_error);                           // reserved opcode
  CHECK(code_of(client_frame(11, "x")) == protocol_error);                          // reserved control opcode
  CHECK(code_of(client_frame(9, "x", false)) == protocol_error);                    // fragmented ping
  CHECK(code_of(client_frame(9, std::string(126, 'p'))) == protocol_error);         // ping over 125
  CHECK(code_of(client_frame(0, "x")) == protocol_error);                           // stray continuation
  CHECK(code_of(client_frame(1, "a", false) + client_frame(1, "b")) == protocol_error);  // new message mid-way
  CHECK(code_of(client_frame(1, "short", true, 126)) == protocol_error);            // non-minimal length
  CHECK(code_of(client_frame(1, "short", true, 127)) == protocol_error);
  CHECK(code_of(client_frame(8, std::string("\x03", 1))) == protocol_error);        // 1-byte close
  CHECK(code_of(client_frame(8, std::string("\x03\xed", 2))) == protocol_error);    // close code 1005
  CHECK(code_of(client_frame(8, std::string("\x03\xf7", 2))) == protocol_error);    // 1015
  CHECK(code_of(client_frame(8, std::string("\x01\x00", 2))) == protocol_error);    // 256
}

TEST_CASE("websocket: text that is not UTF-8 fails with 1007") {
  decoder d;
  auto ev = run(d, client_frame(1, "caf\xc3"));
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].code == invalid_payload);
  // A character split across two fragments is fine.
  decoder d2;
  auto ok = run(d2, client_frame(1, "caf\xc3", false) + client_frame(0, "\xa9"));
  REQUIRE(ok.size() == 1);
  CHECK(ok[0].data == "caf\xc3\xa9");
  CHECK_FALSE(valid_utf8("\xc0\xaf"));          // overlong
  CHECK_FALSE(valid_utf8("\xed\xa0\x80"));      // surrogate
  CHECK_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  CHECK(valid_utf8("\xf0\x9f\x94\xa5"));
}

TEST_CASE("websocket: a message over the limit fails with 1009 from its header alone") {
  decoder d(1024);
  // Only the header of a 100 MB frame: refused before any payload.
  std::string head;
  head.push_back(static_cast<char>(0x81));
  head.push_back(static_cast<char>(0x80 | 127));
  std::uint64_t n = 100ull * 1024 * 1024;
  for (int k = 7; k >= 0; --k) head.push_back(static_cast<char>((n >> (8 * k)) & 0xFF));
  auto ev = run(d, head);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].kind == event::fail);
  CHECK(ev[0].code == too_big);
  // Fragments adding up past the limit.
  decoder d2(1024);
  auto ev2 = run(d2, client_frame(1, std::string(600, 'a'), false) + client_frame(0, std::string(600, 'b')));
  REQUIRE(ev2.size() == 1);
  CHECK(ev2[0].code == too_big);
  // Binary refused when only text is wanted.
  decoder d3(1024, true);
  auto ev3 = run(d3, client_frame(2, "x"));
  REQUIRE(ev3.size() == 1);
  CHECK(ev3[0].code == unsupported_data);
}

TEST_CASE("websocket: close frames and nothing after them") {
  decoder d;
  auto ev = run(d, client_frame(8, std::string("\x03\xe8", 2) + "bye") + client_frame(1, "late"));
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].kind == event::close);
  CHECK(ev[0].code == normal);
  CHECK(ev[0].data == "bye");
  std::vector<event> more;
  CHECK_FALSE(d.feed(client_frame(1, "x"), more));
  CHECK(more.empty());
  decoder d2;
  auto ev2 = run(d2, client_frame(8, ""));
  REQUIRE(ev2.size() == 1);
  CHECK(ev2[0].code == no_status);
}

TEST_CASE("websocket: server frames") {
  CHECK(encode(opcode::text, "hi") == std::string("\x81\x02hi", 4));
  auto mid = encode(opcode::text, std::string(200, 'a'));
  CHECK(static_cast<unsigned char>(mid[1]) == 126);
  CHECK(mid.size() == 204);
  auto big = encode(opcode::binary, std::string(70000, 'a'));
  CHECK(static_cast<unsigned char>(big[1]) == 127);
  CHECK(big.size() == 70010);
  auto c = encode_close(too_big, std::string(200, 'r'));
  CHECK(c.size() == 2 + 125);
  CHECK(c.substr(2, 2) == std::string("\x03\xf1", 2));
}
