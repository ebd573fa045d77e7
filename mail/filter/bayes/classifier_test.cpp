#include <catch2/catch.hpp>
#include <cmath>

#include "mail/filter/bayes/classifier.hpp"
#include "mail/filter/bayes/engine.hpp"

using namespace hearth::mail::filter::bayes;

TEST_CASE("chi-square survival function", "[bayes]") {
  CHECK(chi2_q(0, 4) == Approx(1.0));
  // Q(x, 2) = exp(-x/2)
  CHECK(chi2_q(3.0, 2) == Approx(std::exp(-1.5)));
  // Q(x, 4) = exp(-x/2) (1 + x/2)
  CHECK(chi2_q(5.0, 4) == Approx(std::exp(-2.5) * 3.5));
  // Large arguments do not underflow into nonsense.
  CHECK(chi2_q(5000, 300) >= 0);
  CHECK(chi2_q(5000, 300) < 1e-100);
}

TEST_CASE("spammy tokens score near 1, hammy near 0, mixed near 0.5", "[bayes]") {
  model_options o;
  o.min_spam = o.min_ham = 10;
  counts trained{100, 100};
  std::vector<std::string> toks{"viagra", "cheap", "meeting", "agenda"};
  std::vector<counts> c{{90, 1}, {60, 5}, {1, 80}, {2, 70}};
  auto spam = classify({"viagra", "cheap"}, {c[0], c[1]}, trained, o);
  CHECK(spam.verdict == bayes_class::spam);
  CHECK(spam.score > 0.9);
  REQUIRE(spam.clues.size() == 2);
  CHECK(spam.clues[0].token == "viagra");
  auto ham = classify({"meeting", "agenda"}, {c[2], c[3]}, trained, o);
  CHECK(ham.verdict == bayes_class::ham);
  CHECK(ham.score < 0.1);
  auto mixed = classify(toks, c, trained, o);
  CHECK(mixed.verdict == bayes_class::unsure);
  CHECK(std::fabs(mixed.score - 0.5) < 0.3);
  // Unknown tokens say nothing.
  auto unknown = classify({"zzz"}, {counts{}}, trained, o);
  CHECK(unknown.clues.empty());
  CHECK(unknown.score == 0.5);
}

TEST_CASE("no vote before the minimum of trained messages", "[bayes]") {
  model_options o;  // 200 each
  auto r = classify({"viagra"}, {counts{90, 1}}, counts{150, 400}, o);
  CHECK(r.verdict == bayes_class::untrained);
  CHECK_FALSE(r.clues.empty());
}

TEST_CASE("what user actions teach", "[bayes]") {
  CHECK(lesson_of({"move", "", "\\Junk", {}}) == true);
  CHECK(lesson_of({"copy", "", "\\Junk", {}}) == true);
  CHECK(lesson_of({"append", "", "\\Junk", {}}) == true);
  CHECK(lesson_of({"move", "\\Junk", "", {}}) == false);
  CHECK(lesson_of({"move", "\\Junk", "\\Archive", {}}) == false);
  CHECK_FALSE(lesson_of({"move", "\\Junk", "\\Trash", {}}).has_value());
  CHECK_FALSE(lesson_of({"copy", "\\Junk", "", {}}).has_value());
  CHECK_FALSE(lesson_of({"move", "", "\\Archive", {}}).has_value());
  CHECK(lesson_of({"store", "", "", {"$Junk"}}) == true);
  CHECK(lesson_of({"store", "", "", {"\\Seen", "junk"}}) == true);
  CHECK(lesson_of({"store", "", "", {"$NotJunk"}}) == false);
  CHECK(lesson_of({"store", "", "", {"NonJunk"}}) == false);
  CHECK(lesson_of({"store", "", "", {"NotJunk"}}) == false);
  CHECK_FALSE(lesson_of({"store", "", "", {"\\Seen"}}).has_value());
  CHECK_FALSE(lesson_of({"store", "", "", {"$Junk", "$NotJunk"}}).has_value());
  CHECK(lesson_of({"append", "", "", {"$Junk"}}) == true);
  CHECK(lesson_of({"append", "", "", {"$NotJunk"}}) == false);
  CHECK(lesson_of({"append", "", "\\Junk", {"$NotJunk"}}) == true);
  CHECK_FALSE(lesson_of({"append", "", "\\Sent", {"\\Seen"}}).has_value());
}
