// COMPRESS=DEFLATE (RFC 4978): the session starts deflate after the tagged OK.
#include "mail/imap/server/commands.hpp"

namespace hearth::mail::imap {

void op_compress(session_state& st, const command& cmd, reply& r) {
  const auto& c = std::get<cmd_compress>(cmd.args);
  if (c.mechanism != "DEFLATE") return r.bad("Unknown compression mechanism");
  if (st.compressed) return r.no("[COMPRESSIONACTIVE] DEFLATE is already active");
  r.act = action::compress;
  r.ok("DEFLATE active");
}

}  // namespace hearth::mail::imap
