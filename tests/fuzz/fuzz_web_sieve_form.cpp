// The web console's Sieve form (web/sieve_form.hpp): any bytes as the API's JSON or as a stored
// script give a form or an error; a form read back from its own script is the same form.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "web/sieve_form.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hearth::web;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)sieve_form::from_script(in);
  auto f = sieve_form::from_json(in);
  if (!f) return 0;
  auto back = sieve_form::from_script(sieve_form::to_script(*f));
  if (!back || sieve_form::to_json(*back) != sieve_form::to_json(*f)) std::abort();
  return 0;
}
