// `hearth import ics|vcf FILE --user EMAIL` (issue 5): calendar and contact exports into CalDAV/CardDAV.
#include "app/commands.hpp"
#include "app/common.hpp"

namespace hearth::app {

int cmd_import(const globals&, const args&) { return fail_with(1, "import is not built yet"); }

}  // namespace hearth::app
