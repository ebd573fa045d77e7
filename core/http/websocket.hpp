// The WebSocket protocol (RFC 6455), server side, without I/O: the opening handshake's checks
// and answer, a frame decoder that turns the client's bytes into messages and control events,
// and the encoder for the server's frames. The session that owns the socket feeds the decoder
// what it reads and writes what the encoder returns (xmpp/web uses it for RFC 7395).
//
// The decoder enforces what RFC 6455 requires of a client's frames and fails the connection
// with the close code to send: 1002 (protocol error: an unmasked frame, reserved bits or
// opcodes, a fragmented or oversize control frame, a continuation out of place, a non-minimal
// length), 1007 (text that is not UTF-8), 1009 (a message larger than max_message, detected
// from the frame header, before its payload is read), 1003 (binary data, when text_only).
// Memory is bounded by max_message plus one frame header. Pure; not thread-safe.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::http {
struct request;
}

namespace hearth::http::ws {

// RFC 6455 §7.4.1 close codes.
enum close_code : std::uint16_t {
  normal = 1000,
  going_away = 1001,
  protocol_error = 1002,
  unsupported_data = 1003,
  no_status = 1005,  // never sent: "the close frame had no code"
  invalid_payload = 1007,
  policy_violation = 1008,
  too_big = 1009,
  internal_error = 1011,
};

enum class opcode : std::uint8_t { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

// RFC 6455 §4.2.2 step 5.4: base64(SHA-1(key + the protocol's GUID)).
std::string accept_key(std::string_view client_key);

// RFC 6455 §4.2.1: a GET with "Upgrade: websocket", "Connection: upgrade", a 16-byte
// Sec-WebSocket-Key and Sec-WebSocket-Version 13. Returns "" when it is one, else why not.
std::string check_upgrade(const request& req);
// Whether the comma-separated Sec-WebSocket-Protocol header offers `protocol` (RFC 6455 §4.2.1 item 8).
bool offers_protocol(std::string_view header, std::string_view protocol);
// The whole "101 Switching Protocols" answer, `protocol` echoed in Sec-WebSocket-Protocol.
std::string switching_protocols(std::string_view client_key, std::string_view protocol);

struct event {
  enum kind_t {
    message,  // a complete data message (all its fragments): `data`, `text`
    ping,     // answer with a pong carrying `data` (the session does it: encode(pong, data))
    pong,
    close,    // the client's close frame: `code` (no_status when it gave none) and `data` (reason)
    fail,     // the client broke the protocol: send close(`code`) and close the connection
  } kind = fail;
  bool text = false;
  std::uint16_t code = 0;
  std::string data;
};

class decoder {
 public:
  explicit decoder(std::size_t max_message = 256 * 1024, bool text_only = false)
      : max_message_(max_message), text_only_(text_only) {}
  // Parses the bytes and appends the events they complete. After a close or fail event the
  // decoder takes no more input (returns false).
  bool feed(std::string_view bytes, std::vector<event>& out);
  bool done() const { return done_; }
  // Bytes held: a partial frame and a partial message (bounded by max_message + 14).
  std::size_t buffered() const { return buf_.size() + message_.size(); }

 private:
  bool fail(std::vector<event>& out, std::uint16_t code, std::string why);
  std::size_t max_message_;
  bool text_only_;
  std::string buf_;      // bytes of the frame being read
  std::string message_;  // payload of the fragmented message so far
  bool in_message_ = false;
  bool message_text_ = false;
  bool done_ = false;
};

// A server frame (never masked, RFC 6455 §5.1), FIN set.
std::string encode(opcode op, std::string_view payload);
// A close frame with `code` and a reason (cut to fit the 125-byte control frame limit).
std::string encode_close(std::uint16_t code, std::string_view reason = {});

// Whether `s` is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, at most U+10FFFF).
bool valid_utf8(std::string_view s);

}  // namespace hearth::http::ws
