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

TEST_CASE("correlated tokens are grouped", "[bayes]") {
  CHECK(clue_group("html:font") == "shape");
  CHECK(clue_group("html:font:color") == "shape");
  CHECK(clue_group("ct:text/html") == "shape");
  CHECK(clue_group("cte:quoted-printable") == "shape");
  CHECK(clue_group("hdr:x-mailer") == "shape");
  CHECK(clue_group("skip:x 30") == "skip");
  CHECK(clue_group("to:domain:lists.example.org") == "domain:example.org");
  CHECK(clue_group("received:mx1.example.org") == "domain:example.org");
  CHECK(clue_group("msgid:example.org") == "domain:example.org");
  CHECK(clue_group("reply-to:addr:bob@mail.example.org") == "domain:example.org");
  CHECK(clue_group("url:www.example.co.uk") == "domain:example.co.uk");
  CHECK(clue_group("email:example.org") == "domain:example.org");
  // Words, names and tokens without a host stand alone.
  CHECK(clue_group("viagra").empty());
  CHECK(clue_group("subject:free").empty());
  CHECK(clue_group("from:name:joe").empty());
  CHECK(clue_group("to:none").empty());
  CHECK(clue_group("url:ip").empty());
}

TEST_CASE("a newsletter's HTML shape counts once against its hammy words", "[bayes]") {
  // The shape of every HTML mail, mostly seen in spam, and a few words seen only in ham:
  // counted as independent evidence the shape wins; as one clue, the words do.
  model_options o;
  o.min_spam = o.min_ham = 10;
  counts trained{1000, 2000};
  std::vector<std::string> toks{"html:font", "html:font:color", "html:font:size", "html:table", "html:body",
                                "html:a", "ct:text/html", "cte:quoted-printable", "html:meta", "html:img",
                                "trivia", "screenings", "subject:question"};
  std::vector<counts> c(10, counts{540, 90});
  c.push_back({0, 4});
  c.push_back({0, 3});
  c.push_back({1, 30});
  auto grouped = classify(toks, c, trained, o);
  CHECK(grouped.verdict != bayes_class::spam);
  std::size_t shape = 0;
  for (const auto& cl : grouped.clues) shape += clue_group(cl.token) == "shape";
  CHECK(shape == 1);
  CHECK(grouped.clues.size() == 4);
  o.max_per_group = 0;
  auto independent = classify(toks, c, trained, o);
  CHECK(independent.verdict == bayes_class::spam);
  CHECK(independent.clues.size() == toks.size());
  CHECK(independent.score > grouped.score);
}

TEST_CASE("one domain in several fields is one clue; the strongest is kept", "[bayes]") {
  model_options o;
  o.min_spam = o.min_ham = 10;
  counts trained{100, 100};
  auto r = classify({"to:domain:example.org", "received:mx.example.org", "msgid:example.org", "url:example.net"},
                    {counts{40, 2}, counts{60, 1}, counts{30, 3}, counts{50, 1}}, trained, o);
  REQUIRE(r.clues.size() == 2);
  CHECK(r.clues[0].token == "received:mx.example.org");
  CHECK(r.clues[1].token == "url:example.net");
  o.max_per_group = 2;
  auto two = classify({"to:domain:example.org", "received:mx.example.org", "msgid:example.org"},
                      {counts{40, 2}, counts{60, 1}, counts{30, 3}}, trained, o);
  CHECK(two.clues.size() == 2);
}
