#include <cctype>
#include <charconv>
#include <cstdlib>

#include "core/sql/sql.hpp"

namespace hearth::sql {

// ---- rows ---------------------------------------------------------------------------------

const rows::cell& rows::at(int row, int col) const {
  static const cell null_cell;
  if (row < 0 || col < 0 || col >= columns_ || row >= size()) return null_cell;
  return cells_[static_cast<std::size_t>(row) * columns_ + col];
}

std::int64_t rows::int64(int row, int col) const {
  const cell& c = at(row, col);
  if (auto* i = std::get_if<std::int64_t>(&c)) return *i;
  if (auto* d = std::get_if<double>(&c)) return static_cast<std::int64_t>(*d);
  if (auto* s = std::get_if<std::string>(&c)) {
    std::int64_t v = 0;
    std::from_chars(s->data(), s->data() + s->size(), v);
    return v;
  }
  return 0;
}

double rows::real(int row, int col) const {
  const cell& c = at(row, col);
  if (auto* d = std::get_if<double>(&c)) return *d;
  if (auto* i = std::get_if<std::int64_t>(&c)) return static_cast<double>(*i);
  if (auto* s = std::get_if<std::string>(&c)) return std::strtod(s->c_str(), nullptr);
  return 0;
}

std::string rows::text(int row, int col) const {
  const cell& c = at(row, col);
  if (auto* s = std::get_if<std::string>(&c)) return *s;
  if (auto* i = std::get_if<std::int64_t>(&c)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&c)) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *d);
    return std::string(buf, end);
  }
  if (auto* b = std::get_if<std::vector<std::uint8_t>>(&c)) return std::string(b->begin(), b->end());
  return {};
}

std::vector<std::uint8_t> rows::bytes(int row, int col) const {
  const cell& c = at(row, col);
  if (auto* b = std::get_if<std::vector<std::uint8_t>>(&c)) return *b;
  if (auto* s = std::get_if<std::string>(&c)) return std::vector<std::uint8_t>(s->begin(), s->end());
  return {};
}

// ---- transaction --------------------------------------------------------------------------

result<transaction> transaction::begin(connection& c, durability d) {
  if (auto r = c.begin(d); !r) return r.error();
  return transaction(&c);
}

result<void> transaction::commit() {
  if (!conn_) return fail("db.error", "commit of a finished transaction");
  connection* c = conn_;
  conn_ = nullptr;
  return c->commit();
}

// ---- dialect ------------------------------------------------------------------------------

namespace {

struct token {
  enum kind_t { word, quoted, other } kind;
  std::string_view text;
};

std::vector<token> tokenize(std::string_view s) {
  std::vector<token> out;
  std::size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '\'' || c == '"') {
      std::size_t j = i + 1;
      while (j < s.size()) {
        if (s[j] == c) {
          if (j + 1 < s.size() && s[j + 1] == c) {  // doubled quote inside
            j += 2;
            continue;
          }
          break;
        }
        ++j;
      }
      j = std::min(j + 1, s.size());
      out.push_back({token::quoted, s.substr(i, j - i)});
      i = j;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      out.push_back({token::word, s.substr(i, j - i)});
      i = j;
    } else {
      out.push_back({token::other, s.substr(i, 1)});
      ++i;
    }
  }
  return out;
}

bool word_is(const token& t, std::string_view w) {
  if (t.kind != token::word || t.text.size() != w.size()) return false;
  for (std::size_t i = 0; i < w.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(t.text[i])) != w[i]) return false;
  return true;
}

// The index of the next word token after `i`, skipping whitespace only; npos otherwise.
std::size_t next_word(const std::vector<token>& t, std::size_t i) {
  for (std::size_t j = i + 1; j < t.size(); ++j) {
    if (t[j].kind == token::word) return j;
    if (t[j].kind == token::other && std::isspace(static_cast<unsigned char>(t[j].text[0]))) continue;
    break;
  }
  return std::string_view::npos;
}

// Whether the token before `i`, skipping whitespace, is a name (a word or a quoted name): a type
// follows its column's name, so a column or index key named like a type ("blob", "text") is left
// alone.
bool after_name(const std::vector<token>& t, std::size_t i) {
  while (i-- > 0) {
    if (t[i].kind == token::other && std::isspace(static_cast<unsigned char>(t[i].text[0]))) continue;
    return t[i].kind != token::other;
  }
  return false;
}

}  // namespace

std::string postgres_ddl(std::string_view sqlite_ddl) {
  auto t = tokenize(sqlite_ddl);
  std::string out;
  out.reserve(sqlite_ddl.size() + 64);
  for (std::size_t i = 0; i < t.size(); ++i) {
    const bool is_type = word_is(t[i], "INTEGER") || word_is(t[i], "TEXT") || word_is(t[i], "BLOB") || word_is(t[i], "REAL");
    if (t[i].kind != token::word || (is_type && !after_name(t, i))) {
      out += t[i].text;
      continue;
    }
    if (word_is(t[i], "INTEGER")) {
      auto p = next_word(t, i);
      auto k = p == std::string_view::npos ? p : next_word(t, p);
      if (k != std::string_view::npos && word_is(t[p], "PRIMARY") && word_is(t[k], "KEY")) {
        out += "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY";
        i = k;
        if (auto a = next_word(t, i); a != std::string_view::npos && word_is(t[a], "AUTOINCREMENT")) i = a;
        continue;
      }
      out += "BIGINT";
    } else if (word_is(t[i], "TEXT")) {
      // SQLite compares and sorts text bytewise (BINARY); the "C" collation does the same, so
      // listings come out in the same order on both engines whatever the server's locale.
      out += "TEXT COLLATE \"C\"";
    } else if (word_is(t[i], "BLOB")) {
      out += "BYTEA";
    } else if (word_is(t[i], "REAL")) {
      out += "DOUBLE PRECISION";
    } else if (word_is(t[i], "WITHOUT")) {
      auto p = next_word(t, i);
      if (p != std::string_view::npos && word_is(t[p], "ROWID")) {
        i = p;
        continue;
      }
      out += t[i].text;
    } else {
      out += t[i].text;
    }
  }
  return out;
}

std::string postgres_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  for (const auto& tk : tokenize(sql)) {
    if (tk.kind == token::other && tk.text == "?") out += '$';
    else out += tk.text;
  }
  return out;
}

bool is_postgres_target(std::string_view target) {
  return target.starts_with("postgres://") || target.starts_with("postgresql://") ||
         target.find("host=") != std::string_view::npos || target.find("dbname=") != std::string_view::npos;
}

}  // namespace hearth::sql
