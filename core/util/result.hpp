// Expected failures as values (STYLE.md habit 6).
//
//   hearth::result<T>  is boost::system::result<T, hearth::error>.
//   hearth::error      carries a short machine code ("config.syntax", "directory.exists")
//                      and a sentence for a person.
// Return `hearth::fail("code", "message")` for an error, a T for success.
#pragma once
#include <boost/system/result.hpp>
#include <stdexcept>
#include <string>
#include <utility>

namespace hearth {

struct error {
  // Not an aggregate on purpose: with C++20 parenthesized aggregate init, an aggregate
  // would be "constructible from std::string" and make result<std::string> ambiguous.
  error() = default;
  error(std::string c, std::string m) : code(std::move(c)), message(std::move(m)) {}
  std::string code;     // dotted, stable, for tests and logs: "directory.exists"
  std::string message;  // for a person
};

// Thrown by result<T>::value() on an error; exceptions stop at the session boundary.
class error_exception : public std::runtime_error {
 public:
  explicit error_exception(error e) : std::runtime_error(e.message), error_(std::move(e)) {}
  const hearth::error& err() const noexcept { return error_; }

 private:
  hearth::error error_;
};

[[noreturn]] inline void throw_exception_from_error(const error& e, const boost::source_location&) {
  throw error_exception(e);
}

template <class T>
using result = boost::system::result<T, error>;

inline error fail(std::string code, std::string message) {
  return error{std::move(code), std::move(message)};
}

}  // namespace hearth
