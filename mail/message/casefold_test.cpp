#include <catch2/catch.hpp>

#include "mail/message/casefold.hpp"

using hearth::mail::fold_code_point;
using hearth::mail::fold_utf8;

TEST_CASE("simple case folding across scripts", "[message][casefold]") {
  CHECK(fold_utf8("Hello WORLD") == "hello world");
  CHECK(fold_utf8("ÀÉÎÕÜ") == "àéîõü");
  CHECK(fold_utf8("ΣΟΦΊΑ σοφία") == "σοφία σοφία");
  CHECK(fold_utf8("ς") == "σ");                       // final sigma
  CHECK(fold_utf8("ПРИВЕТ Мир") == "привет мир");     // Cyrillic
  CHECK(fold_utf8("ԱՐԵՎ") == "արեվ");                 // Armenian
  CHECK(fold_utf8("Straße") == "straße");             // ß has no simple folding
  CHECK(fold_utf8("STRAẞE") == "straße");             // capital sharp s folds to ß
  CHECK(fold_utf8("µ") == "μ");                       // micro sign to Greek mu
  CHECK(fold_utf8("K") == "k");                       // Kelvin sign
  CHECK(fold_code_point(U'\U00010400') == U'\U00010428');  // Deseret
  CHECK(fold_code_point(U'a') == U'a');
  CHECK(fold_code_point(U'\u0101') == U'\u0101');  // already folded (odd member of a stride-2 run)
  CHECK(fold_code_point(U'\u0100') == U'\u0101');
  CHECK(fold_utf8(std::string("a\xff" "B", 3)) == std::string("a\xff" "b", 3));  // invalid octet kept
}
