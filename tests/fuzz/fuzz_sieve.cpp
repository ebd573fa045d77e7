// libFuzzer target for mail/sieve (links hearth_mail_sieve): compiling any bytes must give a
// program or a diagnostic whose position lies inside the input, never a crash; a program that
// compiles must run on a fixed message (and on the input itself as a message) within the step
// limit, and always end with at least one action.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mail/sieve/run.hpp"

using namespace hearth::mail::sieve;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  limits lim;
  lim.max_steps = 20000;
  auto r = compile(in, lim);
  if (!r) {
    const diagnostic& d = r.error();
    if (d.line == 0 || d.column == 0 || d.message.empty()) std::abort();
    std::size_t lines = 1;
    for (char c : in) lines += c == '\n';
    if (d.line > lines) std::abort();
    return 0;
  }
  static const std::string_view message =
      "From: Alice <alice+x@example.org>\r\nTo: bob@home.test\r\nSubject: =?UTF-8?Q?caf=C3=A9?= [x] y\r\n"
      "Date: Sun, 06 Dec 2026 14:30:00 +0100\r\nMessage-ID: <a@b>\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--\r\n";
  environment env;
  env.envelope_from = "alice@example.org";
  env.envelope_to = "bob@home.test";
  env.user_addresses = {"bob@home.test"};
  env.load_include = [&](std::string_view name, script_location) -> std::optional<std::string> {
    if (name == "self") return std::string(in);
    return std::nullopt;
  };
  for (std::string_view m : {message, in}) {
    auto out = run(**r, m, env, lim);
    if (out.actions.empty() && !out.error) {
      // Everything cancelled the implicit keep: there must be an explicit action... which is
      // in `actions`, so an empty list is a bug.
      std::abort();
    }
    for (auto& a : out.actions) (void)describe(a);
  }
  return 0;
}
