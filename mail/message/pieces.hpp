// A message body read in pieces instead of held as one string (a large message kept on disk):
// calls `piece` with the body's octets in order; false when the body could not be read. The
// one type the SMTP session hands to DKIM/ARC, the antivirus and the submission signing.
#pragma once
#include <functional>
#include <string_view>

namespace hearth::mail {

using body_pieces = std::function<bool(const std::function<void(std::string_view)>& piece)>;

}  // namespace hearth::mail
