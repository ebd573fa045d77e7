// Force-included into every unit-test translation unit (cmake/hearth.cmake):
// lets Catch2 print a hearth::result<T> in a failed CHECK/REQUIRE. Without it Catch2 picks
// Boost's operator<< for result, which needs T to be printable and fails to compile.
#pragma once
#include <catch2/catch.hpp>

#include "core/util/result.hpp"

namespace Catch {
template <class T>
struct StringMaker<boost::system::result<T, hearth::error>> {
  static std::string convert(const boost::system::result<T, hearth::error>& r) {
    return r.has_value() ? std::string("result(value)")
                         : "result(error " + r.error().code + ": " + r.error().message + ")";
  }
};
}  // namespace Catch
