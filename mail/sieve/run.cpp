#include "mail/sieve/run.hpp"
#include "mail/sieve/internal.hpp"
namespace hearth::mail::sieve {
outcome run(const program&, std::string_view, const environment&, const limits&) {
  outcome o;
  o.actions.push_back(action_keep{{}, true});
  return o;
}
std::string describe(const action&) { return "keep"; }
}  // namespace hearth::mail::sieve
