#include "core/json/json.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/util/utf8.hpp"

namespace hearth::json {

object& object::set(std::string key, value v) {
  for (auto& [k, old] : members_)
    if (k == key) {
      old = std::move(v);
      return *this;
    }
  members_.emplace_back(std::move(key), std::move(v));
  return *this;
}

const value* object::find(std::string_view key) const {
  for (const auto& [k, v] : members_)
    if (k == key) return &v;
  return nullptr;
}

const array* value::as_array() const {
  auto p = std::get_if<std::shared_ptr<array>>(&v_);
  return p ? p->get() : nullptr;
}

const object* value::as_object() const {
  auto p = std::get_if<std::shared_ptr<object>>(&v_);
  return p ? p->get() : nullptr;
}

const value* value::find(std::string_view key) const {
  auto o = as_object();
  return o ? o->find(key) : nullptr;
}

const std::string* value::find_string(std::string_view key) const {
  auto v = find(key);
  return v ? v->as_string() : nullptr;
}

namespace {

void dump_string(const std::string& s, std::string& out) {
  static const char hex[] = "0123456789abcdef";
  out += '"';
  for (unsigned char c : s) {
    if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f) {
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

void dump_number(double d, std::string& out) {
  if (!std::isfinite(d)) {
    out += "null";  // RFC 8259 §6 has no Infinity/NaN
    return;
  }
  char buf[32];
  if (d == std::floor(d) && std::fabs(d) < 9.007199254740992e15)
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(d));
  else
    std::snprintf(buf, sizeof buf, "%.17g", d);
  out += buf;
}

}  // namespace

void value::dump_to(std::string& out) const {
  switch (v_.index()) {
    case 0: out += "null"; break;
    case 1: out += std::get<bool>(v_) ? "true" : "false"; break;
    case 2: dump_number(std::get<double>(v_), out); break;
    case 3: dump_string(std::get<std::string>(v_), out); break;
    case 4: {
      out += '[';
      bool first = true;
      for (const auto& e : *std::get<4>(v_)) {
        if (!first) out += ',';
        first = false;
        e.dump_to(out);
      }
      out += ']';
      break;
    }
    default: {
      out += '{';
      bool first = true;
      for (const auto& [k, e] : std::get<5>(v_)->members()) {
        if (!first) out += ',';
        first = false;
        dump_string(k, out);
        out += ':';
        e.dump_to(out);
      }
      out += '}';
    }
  }
}

std::string value::dump() const {
  std::string out;
  dump_to(out);
  return out;
}

namespace {

class reader {
 public:
  reader(std::string_view t, const limits& l) : t_(t), lim_(l) {}

  result<value> document() {
    auto v = parse_value(0);
    if (!v) return v;
    skip_ws();
    if (pos_ != t_.size()) return syntax("trailing characters");
    return v;
  }

 private:
  error syntax(const char* what) const {
    return fail("json.syntax", std::string(what) + " at offset " + std::to_string(pos_));
  }

  void skip_ws() {
    while (pos_ < t_.size() && (t_[pos_] == ' ' || t_[pos_] == '\t' || t_[pos_] == '\n' || t_[pos_] == '\r')) ++pos_;
  }

  bool literal(std::string_view word) {
    if (t_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  result<value> parse_value(std::size_t depth) {
    skip_ws();
    if (pos_ >= t_.size()) return syntax("unexpected end");
    char c = t_[pos_];
    if (c == '{' || c == '[') {
      if (depth >= lim_.max_depth) return fail("json.too_deep", "nested deeper than " + std::to_string(lim_.max_depth));
      return c == '{' ? parse_object(depth + 1) : parse_array(depth + 1);
    }
    if (c == '"') {
      auto s = parse_string();
      if (!s) return s.error();
      return value(std::move(*s));
    }
    if (literal("true")) return value(true);
    if (literal("false")) return value(false);
    if (literal("null")) return value();
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number();
    return syntax("unexpected character");
  }

  result<void> count_item() {
    if (++items_ > lim_.max_items) return fail("json.too_large", "more than " + std::to_string(lim_.max_items) + " items");
    return {};
  }

  result<value> parse_object(std::size_t depth) {
    ++pos_;
    object o;
    skip_ws();
    if (pos_ < t_.size() && t_[pos_] == '}') {
      ++pos_;
      return value(std::move(o));
    }
    for (;;) {
      if (auto r = count_item(); !r) return r.error();
      skip_ws();
      if (pos_ >= t_.size() || t_[pos_] != '"') return syntax("expected a member name");
      auto key = parse_string();
      if (!key) return key.error();
      if (!lim_.duplicate_keys && o.find(*key)) return syntax("duplicate member name");
      skip_ws();
      if (pos_ >= t_.size() || t_[pos_] != ':') return syntax("expected ':'");
      ++pos_;
      auto v = parse_value(depth);
      if (!v) return v;
      if (lim_.duplicate_keys)
        o.add(std::move(*key), std::move(*v));
      else
        o.set(std::move(*key), std::move(*v));
      skip_ws();
      if (pos_ < t_.size() && t_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < t_.size() && t_[pos_] == '}') {
        ++pos_;
        return value(std::move(o));
      }
      return syntax("expected ',' or '}'");
    }
  }

  result<value> parse_array(std::size_t depth) {
    ++pos_;
    array a;
    skip_ws();
    if (pos_ < t_.size() && t_[pos_] == ']') {
      ++pos_;
      return value(std::move(a));
    }
    for (;;) {
      if (auto r = count_item(); !r) return r.error();
      auto v = parse_value(depth);
      if (!v) return v;
      a.push_back(std::move(*v));
      skip_ws();
      if (pos_ < t_.size() && t_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < t_.size() && t_[pos_] == ']') {
        ++pos_;
        return value(std::move(a));
      }
      return syntax("expected ',' or ']'");
    }
  }

  // RFC 8259 §6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
  result<value> parse_number() {
    std::size_t start = pos_;
    auto digits = [&] {
      std::size_t n = 0;
      while (pos_ < t_.size() && t_[pos_] >= '0' && t_[pos_] <= '9') ++pos_, ++n;
      return n;
    };
    if (t_[pos_] == '-') ++pos_;
    if (pos_ < t_.size() && t_[pos_] == '0') ++pos_;
    else if (digits() == 0) return syntax("bad number");
    if (pos_ < t_.size() && t_[pos_] == '.') {
      ++pos_;
      if (digits() == 0) return syntax("bad number");
    }
    if (pos_ < t_.size() && (t_[pos_] == 'e' || t_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < t_.size() && (t_[pos_] == '+' || t_[pos_] == '-')) ++pos_;
      if (digits() == 0) return syntax("bad number");
    }
    if (pos_ - start > 64) return syntax("number too long");
    std::string text(t_.substr(start, pos_ - start));
    double d = std::strtod(text.c_str(), nullptr);
    if (!std::isfinite(d)) return syntax("number out of range");
    return value(d);
  }

  std::optional<std::uint32_t> hex4() {
    if (t_.size() - pos_ < 4) return std::nullopt;
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = t_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= c - '0';
      else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
      else return std::nullopt;
    }
    return v;
  }

  // Length of a valid UTF-8 sequence starting at pos_, or 0 (overlongs, surrogates, > U+10FFFF).
  std::size_t utf8_len() const {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(t_[pos_ + k]); };
    unsigned char c = b(0);
    std::size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (len == 0 || c > 0xf4 || pos_ + len > t_.size()) return 0;
    for (std::size_t k = 1; k < len; ++k)
      if ((b(k) & 0xc0) != 0x80) return 0;
    if (len == 3 && c == 0xe0 && b(1) < 0xa0) return 0;
    if (len == 3 && c == 0xed && b(1) >= 0xa0) return 0;
    if (len == 4 && c == 0xf0 && b(1) < 0x90) return 0;
    if (len == 4 && c == 0xf4 && b(1) >= 0x90) return 0;
    return len;
  }

  result<std::string> parse_string() {
    ++pos_;  // '"'
    std::string out;
    for (;;) {
      if (out.size() > lim_.max_string) return fail("json.too_large", "a string is longer than " + std::to_string(lim_.max_string));
      if (pos_ >= t_.size()) return syntax("unterminated string");
      auto c = static_cast<unsigned char>(t_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) return syntax("control character in string");
      if (c == '\\') {
        ++pos_;
        if (pos_ >= t_.size()) return syntax("unterminated string");
        char e = t_[pos_++];
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            auto cp = hex4();
            if (!cp) return syntax("bad \\u escape");
            if (*cp >= 0xdc00 && *cp <= 0xdfff) return syntax("lone low surrogate");
            if (*cp >= 0xd800 && *cp <= 0xdbff) {
              if (t_.substr(pos_, 2) != "\\u") return syntax("lone high surrogate");
              pos_ += 2;
              auto lo = hex4();
              if (!lo || *lo < 0xdc00 || *lo > 0xdfff) return syntax("bad surrogate pair");
              *cp = 0x10000 + ((*cp - 0xd800) << 10) + (*lo - 0xdc00);
            }
            util::append_utf8(out, *cp);
            break;
          }
          default: return syntax("bad escape");
        }
        continue;
      }
      if (c < 0x80) {
        out += static_cast<char>(c);
        ++pos_;
        continue;
      }
      std::size_t len = utf8_len();
      if (len == 0) return syntax("invalid UTF-8");
      out.append(t_.substr(pos_, len));
      pos_ += len;
    }
  }

  std::string_view t_;
  const limits& lim_;
  std::size_t pos_ = 0;
  std::size_t items_ = 0;
};

}  // namespace

result<value> parse(std::string_view text, const limits& lim) {
  if (text.size() > lim.max_bytes) return fail("json.too_large", "the document is over " + std::to_string(lim.max_bytes) + " octets");
  return reader(text, lim).document();
}

}  // namespace hearth::json
