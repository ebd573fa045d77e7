// libFuzzer target: the sharing request bodies (ACL, CS:share, DAV:share-resource,
// CS:invite-reply) and principal hrefs. Every input must give grants or an error, within the
// grant limit; an invite-reply always names the invitation it answers, within its limit.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dav/server/sharing.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  using namespace hearth::dav;
  if (auto g = parse_acl(body, "owner@x.test")) {
    if (g->size() > max_share_grants) __builtin_trap();
    for (auto& e : *g)
      if (e.principal == "owner@x.test" || e.principal.find('@') == std::string::npos) __builtin_trap();
  }
  if (auto g = parse_share(body); g && g->size() > max_share_grants) __builtin_trap();
  if (auto r = parse_invite_reply(body); r && (r->in_reply_to.empty() || r->in_reply_to.size() > max_invite_uid))
    __builtin_trap();
  (void)principal_of(body);
  return 0;
}
