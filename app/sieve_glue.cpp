#include "app/sieve_glue.hpp"

#include "mail/sieve/sieve.hpp"

namespace hearth::app {

std::string sieve_extensions() { return std::string(mail::sieve::extensions()); }
std::string sieve_notify_methods() { return std::string(mail::sieve::notify_methods()); }
unsigned sieve_max_redirects() { return mail::sieve::limits{}.max_redirects; }

mail::managesieve::check_result sieve_check(std::string_view script) {
  mail::managesieve::check_result out;
  auto p = mail::sieve::compile(script);
  if (!p) {
    out.ok = false;
    out.message = "line " + std::to_string(p.error().line) + ", column " + std::to_string(p.error().column) + ": " +
                  p.error().message;
  }
  return out;
}

mail::sieve_store::quota sieve_quota(const config::config& cfg) {
  return {cfg.managesieve_max_scripts, cfg.managesieve_max_script_size, cfg.managesieve_max_total_size};
}

}  // namespace hearth::app
