#include "mail/imap/proto/command_table.hpp"

#include <array>

namespace hearth::mail::imap {
namespace {

constexpr std::array table{
#define IMAP_COMMAND(NAME, SYNTAX, HANDLER, STATES, EXPUNGE_OK) \
  command_syntax{NAME, syntax_##SYNTAX, states::STATES, EXPUNGE_OK},
#include "mail/imap/proto/commands.def"
#undef IMAP_COMMAND
};

}  // namespace

std::span<const command_syntax> all_syntax() { return table; }

const command_syntax* find_syntax(std::string_view name) {
  for (const auto& e : table)
    if (e.name == name) return &e;
  return nullptr;
}

}  // namespace hearth::mail::imap
