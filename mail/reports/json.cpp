#include "mail/reports/json.hpp"

#include <cctype>
#include <charconv>
#include <cmath>

#include "core/util/utf8.hpp"

namespace hearth::mail::reports {
namespace {

// Recursive descent; the recursion is bounded by json_max_depth.
class reader {
 public:
  explicit reader(std::string_view t) : t_(t) {}

  result<json> document() {
    json v;
    if (auto r = value(v, 0); !r) return r.error();
    ws();
    if (i_ != t_.size()) return bad("trailing data");
    return v;
  }

 private:
  error bad(std::string_view what) const {
    return fail("json.syntax", std::string(what) + " at offset " + std::to_string(i_));
  }

  void ws() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r')) ++i_;
  }

  bool literal(std::string_view word) {
    if (t_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }

  result<void> value(json& v, int depth) {
    if (depth > json_max_depth) return fail("json.depth", "nested deeper than " + std::to_string(json_max_depth));
    ws();
    if (i_ >= t_.size()) return bad("value expected");
    char c = t_[i_];
    if (c == '{') return object(v, depth);
    if (c == '[') return array(v, depth);
    if (c == '"') {
      v.type = json::kind::string;
      return string(v.s);
    }
    if (literal("true")) {
      v.type = json::kind::boolean;
      v.b = true;
      return {};
    }
    if (literal("false")) {
      v.type = json::kind::boolean;
      return {};
    }
    if (literal("null")) return {};
    return number(v);
  }

  result<void> object(json& v, int depth) {
    v.type = json::kind::object;
    ++i_;
    ws();
    if (i_ < t_.size() && t_[i_] == '}') {
      ++i_;
      return {};
    }
    for (;;) {
      ws();
      if (i_ >= t_.size() || t_[i_] != '"') return bad("member name expected");
      std::string key;
      if (auto r = string(key); !r) return r;
      ws();
      if (i_ >= t_.size() || t_[i_] != ':') return bad("':' expected");
      ++i_;
      json m;
      if (auto r = value(m, depth + 1); !r) return r;
      v.keys.push_back(std::move(key));
      v.items.push_back(std::move(m));
      ws();
      if (i_ < t_.size() && t_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < t_.size() && t_[i_] == '}') {
        ++i_;
        return {};
      }
      return bad("',' or '}' expected");
    }
  }

  result<void> array(json& v, int depth) {
    v.type = json::kind::array;
    ++i_;
    ws();
    if (i_ < t_.size() && t_[i_] == ']') {
      ++i_;
      return {};
    }
    for (;;) {
      json e;
      if (auto r = value(e, depth + 1); !r) return r;
      v.items.push_back(std::move(e));
      ws();
      if (i_ < t_.size() && t_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < t_.size() && t_[i_] == ']') {
        ++i_;
        return {};
      }
      return bad("',' or ']' expected");
    }
  }

  result<unsigned> hex4() {
    if (i_ + 4 > t_.size()) return bad("short \\u escape");
    unsigned v = 0;
    auto r = std::from_chars(t_.data() + i_, t_.data() + i_ + 4, v, 16);
    if (r.ec != std::errc{} || r.ptr != t_.data() + i_ + 4) return bad("bad \\u escape");
    i_ += 4;
    return v;
  }

  result<void> string(std::string& out) {
    ++i_;  // the opening quote
    while (i_ < t_.size()) {
      char c = t_[i_++];
      if (c == '"') return {};
      if (static_cast<unsigned char>(c) < 0x20) return bad("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= t_.size()) break;
      char e = t_[i_++];
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
          if (!cp) return cp.error();
          unsigned v = *cp;
          // RFC 8259 §7: characters outside the BMP come as a surrogate pair.
          if (v >= 0xD800 && v < 0xDC00 && t_.substr(i_, 2) == "\\u") {
            i_ += 2;
            auto lo = hex4();
            if (!lo) return lo.error();
            if (*lo >= 0xDC00 && *lo < 0xE000) v = 0x10000 + ((v - 0xD800) << 10) + (*lo - 0xDC00);
            else v = 0xFFFD;
          } else if (v >= 0xD800 && v < 0xE000) {
            v = 0xFFFD;
          }
          util::append_utf8(out, v);
          break;
        }
        default: return bad("bad escape");
      }
    }
    return bad("unterminated string");
  }

  result<void> number(json& v) {
    std::size_t start = i_;
    if (i_ < t_.size() && t_[i_] == '-') ++i_;
    while (i_ < t_.size() && (std::isdigit(static_cast<unsigned char>(t_[i_])) || t_[i_] == '.' || t_[i_] == 'e' ||
                              t_[i_] == 'E' || t_[i_] == '+' || t_[i_] == '-'))
      ++i_;
    if (i_ == start) return bad("value expected");
    double d = 0;
    auto r = std::from_chars(t_.data() + start, t_.data() + i_, d);
    if (r.ec != std::errc{} || r.ptr != t_.data() + i_ || !std::isfinite(d)) return bad("bad number");
    v.type = json::kind::number;
    v.n = d;
    return {};
  }

  std::string_view t_;
  std::size_t i_ = 0;
};

}  // namespace

const json* json::get(std::string_view key) const {
  if (type != kind::object) return nullptr;
  for (std::size_t i = 0; i < keys.size() && i < items.size(); ++i)
    if (keys[i] == key) return &items[i];
  return nullptr;
}

std::string json::str(std::string_view key, std::string_view def) const {
  auto* v = get(key);
  return v && v->type == kind::string ? v->s : std::string(def);
}

double json::num(std::string_view key, double def) const {
  auto* v = get(key);
  return v && v->type == kind::number ? v->n : def;
}

result<json> parse_json(std::string_view text) { return reader(text).document(); }

}  // namespace hearth::mail::reports
