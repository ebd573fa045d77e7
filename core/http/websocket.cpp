#include "core/http/websocket.hpp"

#include "core/crypto/crypto.hpp"
#include "core/http/router.hpp"
#include "core/util/strings.hpp"
#include "core/util/utf8.hpp"

namespace hearth::http::ws {

std::string accept_key(std::string_view client_key) {
  // RFC 6455 §1.3: the GUID every server appends.
  return crypto::base64_encode(crypto::sha1(std::string(client_key) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"));
}

namespace {
bool has_token(std::string_view header, std::string_view token) {
  for (auto part : util::split(header, ','))
    if (util::iequals(util::trim(part), token)) return true;
  return false;
}
}  // namespace

std::string check_upgrade(const request& req) {
  if (req.method != "GET") return "not a GET";
  if (!has_token(req.header("upgrade"), "websocket")) return "no Upgrade: websocket";
  if (!has_token(req.header("connection"), "upgrade")) return "no Connection: upgrade";
  if (util::trim(req.header("sec-websocket-version")) != "13") return "Sec-WebSocket-Version is not 13";
  // §4.2.1 item 5: the key is 16 random bytes in base64.
  auto key = crypto::base64_decode(util::trim(req.header("sec-websocket-key")));
  if (!key || key->size() != 16) return "bad Sec-WebSocket-Key";
  return {};
}

bool offers_protocol(std::string_view header, std::string_view protocol) {
  // §11.3.4: protocol names are compared as sent (case-sensitive).
  for (auto part : util::split(header, ','))
    if (util::trim(part) == protocol) return true;
  return false;
}

std::string switching_protocols(std::string_view client_key, std::string_view protocol) {
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Accept: " +
         accept_key(util::trim(client_key)) + "\r\nSec-WebSocket-Protocol: " + std::string(protocol) + "\r\n\r\n";
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size())
    if (!util::next_utf8(s, i)) return false;
  return true;
}

bool decoder::fail(std::vector<event>& out, std::uint16_t code, std::string why) {
  event e;
  e.kind = event::fail;
  e.code = code;
  e.data = std::move(why);
  out.push_back(std::move(e));
  done_ = true;
  buf_.clear();
  message_.clear();
  return false;
}

bool decoder::feed(std::string_view bytes, std::vector<event>& out) {
  if (done_) return false;
  buf_.append(bytes);
  std::size_t pos = 0;
  for (;;) {
    // RFC 6455 §5.2 base framing.
    const std::string_view b(buf_.data() + pos, buf_.size() - pos);
    if (b.size() < 2) break;
    const auto b0 = static_cast<unsigned char>(b[0]);
    const auto b1 = static_cast<unsigned char>(b[1]);
    const bool fin = b0 & 0x80;
    // §5.2: RSV1-3 must be 0 unless an extension says otherwise; we negotiate none.
    if (b0 & 0x70) return fail(out, protocol_error, "reserved bits set");
    const auto op = static_cast<opcode>(b0 & 0x0F);
    const bool control = (b0 & 0x08) != 0;
    if (op != opcode::continuation && op != opcode::text && op != opcode::binary && op != opcode::close &&
        op != opcode::ping && op != opcode::pong)
      return fail(out, protocol_error, "reserved opcode");
    // §5.1: a server MUST close the connection on an unmasked client frame.
    if (!(b1 & 0x80)) return fail(out, protocol_error, "unmasked frame");
    std::uint64_t len = b1 & 0x7F;
    std::size_t head = 2;
    if (len == 126) {
      if (b.size() < 4) break;
      len = (std::uint64_t(static_cast<unsigned char>(b[2])) << 8) | static_cast<unsigned char>(b[3]);
      head = 4;
      if (len < 126) return fail(out, protocol_error, "non-minimal length");
    } else if (len == 127) {
      if (b.size() < 10) break;
      len = 0;
      for (int k = 0; k < 8; ++k) len = (len << 8) | static_cast<unsigned char>(b[2 + k]);
      head = 10;
      // §5.2: the most significant bit MUST be 0.
      if (len >> 63) return fail(out, protocol_error, "length with the high bit set");
      if (len <= 0xFFFF) return fail(out, protocol_error, "non-minimal length");
    }
    // §5.5: control frames carry at most 125 bytes and are never fragmented.
    if (control && (len > 125 || !fin)) return fail(out, protocol_error, "bad control frame");
    if (!control) {
      if (op == opcode::continuation && !in_message_) return fail(out, protocol_error, "continuation without a message");
      if (op != opcode::continuation && in_message_) return fail(out, protocol_error, "new message inside a fragmented one");
      if (op == opcode::binary && text_only_) return fail(out, unsupported_data, "binary message");
      // §7.4.1 1009: refused on the header, before any of the payload is held.
      if (len > max_message_ || message_.size() + len > max_message_) return fail(out, too_big, "message too big");
    }
    const std::size_t total = head + 4 + static_cast<std::size_t>(len);
    if (b.size() < total) break;
    const char* mask = b.data() + head;
    std::string payload(b.substr(head + 4, static_cast<std::size_t>(len)));
    for (std::size_t k = 0; k < payload.size(); ++k) payload[k] = static_cast<char>(payload[k] ^ mask[k % 4]);
    pos += total;

    if (control) {
      event e;
      if (op == opcode::ping) {
        e.kind = event::ping;
        e.data = std::move(payload);
      } else if (op == opcode::pong) {
        e.kind = event::pong;
        e.data = std::move(payload);
      } else {
        // §5.5.1: empty, or a 2-byte code and a UTF-8 reason.
        e.kind = event::close;
        if (payload.size() == 1) return fail(out, protocol_error, "close frame of one byte");
        if (payload.empty()) {
          e.code = no_status;
        } else {
          e.code = static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                              static_cast<unsigned char>(payload[1]));
          // §7.4: codes an endpoint may send; 1004-1006 and 1015 are never on the wire.
          const bool ok = (e.code >= 1000 && e.code <= 1003) || (e.code >= 1007 && e.code <= 1011) ||
                          (e.code >= 3000 && e.code <= 4999);
          if (!ok) return fail(out, protocol_error, "invalid close code");
          e.data = payload.substr(2);
          if (!valid_utf8(e.data)) return fail(out, invalid_payload, "close reason not UTF-8");
        }
        out.push_back(std::move(e));
        done_ = true;
        buf_.clear();
        message_.clear();
        return false;
      }
      out.push_back(std::move(e));
      continue;
    }
    if (op != opcode::continuation) {
      in_message_ = true;
      message_text_ = op == opcode::text;
    }
    message_ += payload;
    if (fin) {
      in_message_ = false;
      // §8.1: text must be UTF-8; checked on the whole message (a character may span fragments).
      if (message_text_ && !valid_utf8(message_)) return fail(out, invalid_payload, "text not UTF-8");
      event e;
      e.kind = event::message;
      e.text = message_text_;
      e.data.swap(message_);
      out.push_back(std::move(e));
    }
  }
  buf_.erase(0, pos);
  if (buf_.empty()) std::string().swap(buf_);  // an idle connection keeps no buffer
  return true;
}

std::string encode(opcode op, std::string_view payload) {
  std::string f;
  f.reserve(payload.size() + 10);
  f.push_back(static_cast<char>(0x80 | static_cast<unsigned char>(op)));
  const std::uint64_t n = payload.size();
  if (n < 126) {
    f.push_back(static_cast<char>(n));
  } else if (n <= 0xFFFF) {
    f.push_back(static_cast<char>(126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n & 0xFF));
  } else {
    f.push_back(static_cast<char>(127));
    for (int k = 7; k >= 0; --k) f.push_back(static_cast<char>((n >> (8 * k)) & 0xFF));
  }
  f.append(payload);
  return f;
}

std::string encode_close(std::uint16_t code, std::string_view reason) {
  std::string p;
  p.push_back(static_cast<char>(code >> 8));
  p.push_back(static_cast<char>(code & 0xFF));
  reason = reason.substr(0, 123);
  // Do not cut a UTF-8 character in two.
  while (!reason.empty() && !valid_utf8(reason)) reason.remove_suffix(1);
  p.append(reason);
  return encode(opcode::close, p);
}

}  // namespace hearth::http::ws
