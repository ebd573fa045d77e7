// libFuzzer target for [database] url: the bytes as the url of a config (config::parse's
// check of URLs and libpq keywords) and as a connection string for pg::describe. Neither may
// crash, and neither may show a password: when libpq finds one in the string, describe()'s
// text must not contain it, and a refused url's error never echoes the url.
#include <libpq-fe.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/config/config.hpp"
#include "core/pg/describe.hpp"

namespace {

// A TOML basic string holding any bytes (control characters and non-UTF-8 bytes make the
// TOML invalid: that is a parse error, also fine to feed).
std::string toml_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// The password libpq finds in the string, or "" when there is none or when the fields that
// describe() shows (host, hostaddr, port, dbname) contain the same text.
hearth::result<hearth::config::config> check(const std::string& url) {
  return hearth::config::parse("server.hostname = \"a.test\"\n[database]\nurl = " + toml_string(url) + "\n",
                               "/fuzz/hearth.toml");
}

std::string password_in(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (err) PQfreemem(err);
  std::string pw, shown;
  if (!opts) return pw;
  for (auto* o = opts; o->keyword; ++o) {
    if (!o->val) continue;
    std::string_view k = o->keyword;
    if (k == "password") pw = o->val;
    else if (k == "host" || k == "hostaddr" || k == "port" || k == "dbname") shown += std::string(o->val) + "\n";
  }
  PQconninfoFree(opts);
  return shown.find(pw) == std::string::npos ? pw : std::string();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string url(reinterpret_cast<const char*>(data), size);
  if (url.find('\0') != std::string::npos) return 0;  // not a C string for libpq
  const std::string pw = password_in(url);
  // Short passwords ("a") may occur in any text by chance; a real one is longer.
  const bool look = pw.size() >= 8;
  // Text counts as shown only if it is gone once the password is masked in the input: the
  // password's text may also be part of the host, or of fixed wording, by chance.
  std::string masked = url;
  if (look)
    for (auto at = masked.find(pw); at != std::string::npos; at = masked.find(pw, at + pw.size()))
      masked.replace(at, pw.size(), std::string(pw.size(), 'Q'));
  if (look && hearth::pg::describe(url).find(pw) != std::string::npos &&
      hearth::pg::describe(masked).find(pw) == std::string::npos)
    __builtin_trap();
  auto r = check(url);
  if (!r) {
    if (r.error().message.empty()) __builtin_trap();
    // Our own refusals (TOML syntax errors are toml++'s) have fixed wording that may hold the
    // password's text by chance; what they must not do is echo the input: their length does
    // not grow with it.
    const auto& msg = r.error().message;
    if (auto at = msg.find("database.url:"); at != std::string::npos && msg.size() - at > 300) __builtin_trap();
  }
  return 0;
}
