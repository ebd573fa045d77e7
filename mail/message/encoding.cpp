#include "mail/message/encoding.hpp"

#include "core/util/strings.hpp"

namespace hearth::mail {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// RFC 2047 §4.2: Q is quoted-printable with '_' for space and no soft line breaks.
std::string decode_q(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '_') {
      out.push_back(' ');
    } else if (c == '=' && i + 2 < in.size() && hex_value(in[i + 1]) >= 0 &&
               hex_value(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// RFC 2047 §2 allows 75 octets; long words from broken encoders are still accepted.
constexpr std::size_t max_encoded_word = 2048;

struct encoded_word {
  std::size_t length = 0;  // octets consumed from the input
  std::string charset;
  std::string bytes;  // decoded octets, still in `charset`
};

// Tries to read one encoded word at the start of `s`:
//   encoded-word = "=?" charset "?" encoding "?" encoded-text "?="   (RFC 2047 §2)
// The 75-octet limit is not enforced (lenient), but no whitespace is allowed inside.
std::optional<encoded_word> read_encoded_word(std::string_view s) {
  // Bounding the search keeps a value full of unterminated "=?" linear, not quadratic.
  s = s.substr(0, max_encoded_word);
  if (s.size() < 8 || s[0] != '=' || s[1] != '?') return std::nullopt;
  std::size_t q1 = s.find('?', 2);
  if (q1 == std::string_view::npos || q1 == 2 || q1 + 2 >= s.size() || s[q1 + 2] != '?')
    return std::nullopt;
  char enc = util::ascii_upper(s[q1 + 1]);
  if (enc != 'B' && enc != 'Q') return std::nullopt;
  std::size_t text_start = q1 + 3;
  std::size_t close = s.find("?=", text_start);
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view charset = s.substr(2, q1 - 2);
  std::string_view text = s.substr(text_start, close - text_start);
  for (char c : charset)
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') return std::nullopt;
  for (char c : text)
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') return std::nullopt;
  encoded_word w;
  w.length = close + 2;
  w.charset = std::string(charset);
  w.bytes = enc == 'B' ? decode_base64(text) : decode_q(text);
  return w;
}

bool is_wsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

decoded_text decode_encoded_words(std::string_view value) {
  decoded_text out;
  out.text.reserve(value.size());
  std::size_t i = 0;
  std::size_t pending_ws_start = std::string_view::npos;  // whitespace after an encoded word
  bool last_was_word = false;
  // Adjacent words in the same charset are joined before conversion, since one multi-octet
  // UTF-8 character may be split across two words.
  std::string run_charset, run_bytes;
  auto flush_run = [&] {
    if (run_charset.empty()) return;
    if (auto u = to_utf8(run_charset, run_bytes)) {
      out.text += *u;
    }
    run_charset.clear();
    run_bytes.clear();
  };
  while (i < value.size()) {
    if (value[i] == '=' && i + 1 < value.size() && value[i + 1] == '?') {
      if (auto w = read_encoded_word(value.substr(i))) {
        if (!known_charset(w->charset)) {
          flush_run();
          if (pending_ws_start != std::string_view::npos)
            out.text.append(value.substr(pending_ws_start, i - pending_ws_start));
          out.unknown_charset = true;
          out.text.append(value.substr(i, w->length));
          last_was_word = false;
        } else {
          // §6.2: whitespace between adjacent encoded words is not displayed.
          if (!run_charset.empty() && !util::iequals(run_charset, w->charset)) flush_run();
          if (run_charset.empty()) run_charset = w->charset;
          run_bytes += w->bytes;
          last_was_word = true;
        }
        pending_ws_start = std::string_view::npos;
        i += w->length;
        continue;
      }
      out.malformed = true;
    }
    if (is_wsp(value[i]) && last_was_word) {
      if (pending_ws_start == std::string_view::npos) pending_ws_start = i;
      ++i;
      continue;
    }
    flush_run();
    if (pending_ws_start != std::string_view::npos) {
      out.text.append(value.substr(pending_ws_start, i - pending_ws_start));
      pending_ws_start = std::string_view::npos;
    }
    last_was_word = false;
    out.text.push_back(value[i]);
    ++i;
  }
  flush_run();
  if (pending_ws_start != std::string_view::npos) out.text.append(value.substr(pending_ws_start));
  return out;
}

std::string decode_base64(std::string_view in, bool* malformed) {
  std::string out;
  out.reserve(in.size() / 4 * 3 + 3);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    int v = b64_value(c);
    if (v < 0) {
      if (malformed && !is_wsp(c)) *malformed = true;
      continue;
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

std::string decode_quoted_printable(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    char c = in[i];
    if (c == ' ' || c == '\t') {
      // Rule 3: trailing whitespace on a line was added in transport and is removed.
      std::size_t j = i;
      while (j < in.size() && (in[j] == ' ' || in[j] == '\t')) ++j;
      bool at_eol = j == in.size() || in[j] == '\n' ||
                    (in[j] == '\r' && j + 1 < in.size() && in[j + 1] == '\n');
      if (!at_eol) out.append(in.substr(i, j - i));
      i = j;
      continue;
    }
    if (c == '=') {
      if (i + 2 < in.size() && hex_value(in[i + 1]) >= 0 && hex_value(in[i + 2]) >= 0) {
        out.push_back(static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2])));
        i += 3;
        continue;
      }
      // Rule 5: "=" at the end of a line (after optional transport whitespace) is a soft
      // line break.
      std::size_t j = i + 1;
      while (j < in.size() && (in[j] == ' ' || in[j] == '\t')) ++j;
      if (j == in.size()) {
        i = j;
        continue;
      }
      if (in[j] == '\n') {
        i = j + 1;
        continue;
      }
      if (in[j] == '\r' && j + 1 < in.size() && in[j + 1] == '\n') {
        i = j + 2;
        continue;
      }
      out.push_back('=');  // invalid escape: keep it, as RFC 2045 §6.7 suggests
      ++i;
      continue;
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

std::string decode_transfer_encoding(std::string_view body, std::string_view encoding) {
  auto e = util::trim(encoding);
  if (util::iequals(e, "base64")) return decode_base64(body);
  if (util::iequals(e, "quoted-printable")) return decode_quoted_printable(body);
  return std::string(body);
}

}  // namespace hearth::mail
