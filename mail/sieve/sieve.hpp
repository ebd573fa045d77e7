// The Sieve mail filtering language (RFC 5228) and its extensions: compile a script once,
// run the compiled program against each message (run.hpp).
//
// Pure and sans-I/O: a script is text in, a program or one diagnostic out. Nothing here reads
// files, mailboxes or the clock; run.hpp receives those through its environment.
#pragma once
#include <boost/system/result.hpp>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>

namespace hearth::mail::sieve {

// An error in a script, at the exact place it was found (1-based line and column, columns
// counted in bytes), as ManageSieve's CHECKSCRIPT and `hearth sieve check` print it.
struct diagnostic {
  unsigned line = 0;
  unsigned column = 0;
  std::string message;
};

// Bounds on one script and on one run. The defaults are what delivery uses.
struct limits {
  std::size_t max_script_bytes = 1024 * 1024;  // source size accepted by compile()
  unsigned max_nesting = 32;                   // nested blocks and tests (allof/anyof/not)
  unsigned max_actions = 32;                   // actions one run may collect
  unsigned max_redirects = 4;                  // redirects per message (ManageSieve MAXREDIRECTS)
  std::uint64_t max_steps = 200000;            // commands + tests + match comparisons per run
  unsigned max_include_depth = 10;             // nested include (RFC 6609)
  unsigned max_includes = 32;                  // distinct scripts included in one run
  std::size_t max_string_bytes = 64 * 1024;    // one variable value / expanded string
  unsigned max_variables = 256;                // distinct variables per script (RFC 5229 §3)
};

// A compiled script: immutable, shareable between threads (run it concurrently on many
// messages). Opaque; see run.hpp for running it.
class program;

using compile_result = boost::system::result<std::shared_ptr<const program>, diagnostic>;

// Parses and validates `source`: grammar (RFC 5228 §8), `require` (an extension used without
// being required is an error), every command's and test's arguments, regexes, and the limits.
// Returns the program, or the first error with its line and column. Never throws for bad input.
compile_result compile(std::string_view source, const limits& lim = {});

// The extensions this implementation supports, space-separated, for ManageSieve's "SIEVE"
// capability (RFC 5804 §1.7).
std::string_view extensions();

// The enotify methods supported (RFC 5435), for ManageSieve's "NOTIFY" capability.
std::string_view notify_methods();

// "LINE:COLUMN: message", as `hearth sieve check` prints it after the file name.
std::ostream& operator<<(std::ostream& os, const diagnostic& d);

// For boost::system::result<T, diagnostic>::value() on an error.
[[noreturn]] void throw_exception_from_error(const diagnostic& d, const boost::source_location& loc);

}  // namespace hearth::mail::sieve
