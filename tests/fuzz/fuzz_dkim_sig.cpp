// libFuzzer target for mail/mailauth: the DKIM-Signature and key record tag parsers (and the
// DMARC record, PSL lookup and Authentication-Results authserv-id that share the area), and
// verification of a message carrying whatever signature the input holds (no key: permerror or
// a key parse from the same bytes) must never crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mail/mailauth/authres.hpp"
#include "mail/mailauth/canon.hpp"
#include "mail/mailauth/dmarc.hpp"
#include "mail/mailauth/dkim.hpp"
#include "mail/mailauth/tags.hpp"

using namespace hearth::mail::mailauth;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto s = parse_signature(in)) {
    if (s->domain.empty() || s->selector.empty() || s->headers.empty()) std::abort();
  }
  (void)parse_key_record(in);
  (void)parse_tags(in);
  // DMARC records share the tag-list syntax; the organizational domain never grows the name.
  (void)parse_dmarc(in);
  static auto psl = public_suffix_list::from_text("com\nco.uk\n*.ck\n!www.ck\n");
  if (psl->organizational_domain(in).size() > in.size()) std::abort();
  (void)authserv_id(in);
  std::string with_ar = "Authentication-Results: " + std::string(in) + "\r\nSubject: x\r\n\r\nb\r\n";
  (void)remove_our_results(with_ar, "mx.example.org");
  (void)canon_header(in, true);
  (void)canon_body(in, true);
  (void)canon_body(in, false);
  std::string msg = "DKIM-Signature: " + std::string(in) + "\r\nFrom: a@b.test\r\n\r\nbody\r\n";
  auto h = hearth::mail::parse_header(msg);
  for (const auto& fs : find_signatures(h)) {
    auto v = verify(msg, h, fs, key_answer{key_answer::ok, {std::string(in)}}, 0);
    if (v.status == dkim_status::pass) std::abort();  // no valid signature can come from noise
  }
  return 0;
}
