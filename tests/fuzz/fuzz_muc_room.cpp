// libFuzzer target: arbitrary stanzas into one XEP-0045 room (xmpp/modules/muc). The input is
// split at 0xFF bytes; each piece's first byte picks the sender (three users, one of them the
// owner) and the rest is parsed as a stanza addressed to the room or an occupant. The room must
// never crash, and a stanza it answers must serialize and parse back. The stored configuration
// text parser gets the raw input too.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "xmpp/modules/muc/room.hpp"
#include "xmpp/stream/parser.hpp"

using namespace hearth::xmpp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)muc::room_config::parse(in);
  const jid room_jid = *jid::parse("r@conference.x.test");
  const jid users[] = {*jid::parse("a@x.test/1"), *jid::parse("b@x.test/2"), *jid::parse("c@y.test/3")};
  muc::room r(room_jid, "k", muc::limits{8, 0});
  r.create(users[0]);
  int ids = 0;
  muc::context ctx{1700000000LL * 1000000, [&] { return std::to_string(++ids); }};
  std::size_t start = 0;
  for (std::size_t i = 0; i <= in.size(); ++i) {
    if (i != in.size() && in[i] != '\xff') continue;
    auto piece = in.substr(start, i - start);
    start = i + 1;
    if (piece.size() < 2) continue;
    const jid& from = users[static_cast<unsigned char>(piece[0]) % 3];
    auto st = parse_fragment(piece.substr(1));
    if (!st) continue;
    st->set("from", from.full());
    auto to = jid::parse(st->get("to"));
    if (!to || to->bare() != room_jid.bare()) {
      to = room_jid;
      st->set("to", room_jid.bare());
    }
    muc::outcome res;
    if (st->name == "presence") res = r.on_presence(*st, from, *to, ctx);
    else if (st->name == "message") res = r.on_message(*st, from, *to, ctx);
    else if (st->name == "iq" && to->resource.empty()) {
      if (auto o = r.on_iq(*st, from, ctx)) res = std::move(*o);
    }
    for (const auto& e : res.out)
      if (!parse_fragment(serialize(e))) __builtin_trap();
    if (const element* x = st->child("x", muc::ns_data)) {
      muc::room_config c;
      (void)muc::apply_config_form(c, *x, 100);
    }
  }
  return 0;
}
