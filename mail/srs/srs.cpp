#include "mail/srs/srs.hpp"

#include <initializer_list>

#include "core/crypto/crypto.hpp"
#include "core/util/strings.hpp"

namespace hearth::mail::srs {
namespace {

constexpr std::string_view base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::int64_t day = 24 * 60 * 60;
constexpr std::int64_t slots = 1024;  // two base32 characters: the day number wraps every ~2.8 years
// Fields are separated by '='; after "SRS0"/"SRS1" libsrs2 also accepts '+' and '-' (its
// configurable separator), so addresses from a differently configured postsrsd still parse.
constexpr char sep = '=';

bool is_separator(char c) { return c == '=' || c == '+' || c == '-'; }

// libsrs2 hashes the fields lowercased: some MTAs change the case of addresses on the way.
std::string hash(const options& o, std::initializer_list<std::string_view> fields) {
  std::string data;
  for (auto f : fields) data += util::to_lower(f);
  return crypto::base64_encode(crypto::hmac_sha1(o.secret, data)).substr(0, o.hash_length);
}

bool hash_ok(const options& o, std::string_view given, std::initializer_list<std::string_view> fields) {
  if (given.size() != o.hash_length) return false;
  const std::string want = hash(o, fields);
  // Exact first; then ignoring case, as libsrs2 does for MTAs that lowercase the local part.
  return crypto::constant_time_equal(want, given) ||
         crypto::constant_time_equal(util::to_lower(want), util::to_lower(given));
}

std::string timestamp(std::int64_t now) {
  const std::int64_t t = (now / day) % slots;
  return {base32[(t >> 5) & 31], base32[t & 31]};
}

// libsrs2's srs_timestamp_check: the stamp is a day number modulo 1024, so "now" is moved up
// past it before comparing.
result<void> timestamp_ok(const options& o, std::string_view ts, std::int64_t now) {
  if (ts.size() != 2) return fail("srs.syntax", "the SRS timestamp is not two characters");
  std::int64_t then = 0;
  for (char c : ts) {
    auto p = base32.find(util::to_upper(std::string(1, c))[0]);
    if (p == std::string_view::npos) return fail("srs.syntax", "the SRS timestamp is not base32");
    then = (then << 5) | static_cast<std::int64_t>(p);
  }
  std::int64_t today = (now / day) % slots;
  while (today < then) today += slots;
  if (today > then + o.max_age_days) return fail("srs.expired", "the SRS address has expired");
  return {};
}

struct split_address {
  std::string_view local, domain;
};

std::optional<split_address> split(std::string_view a) {
  auto at = a.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == a.size()) return std::nullopt;
  return split_address{a.substr(0, at), a.substr(at + 1)};
}

// Cuts `s` at the next '=': returns the part before it and leaves the rest in s.
std::optional<std::string_view> next_field(std::string_view& s) {
  auto p = s.find(sep);
  if (p == std::string_view::npos) return std::nullopt;
  auto f = s.substr(0, p);
  s.remove_prefix(p + 1);
  return f;
}

std::string rewrite(const options& o, const split_address& a, std::int64_t now);

}  // namespace

bool looks_like_srs(std::string_view local) {
  return local.size() > 4 && (util::iequals(local.substr(0, 4), "SRS0") || util::iequals(local.substr(0, 4), "SRS1")) &&
         is_separator(local[4]);
}

result<std::string> forward(const options& o, std::string_view sender, std::int64_t now) {
  if (sender.size() > max_address) return fail("srs.syntax", "sender address too long");
  auto s = split(sender);
  if (!s) return fail("srs.syntax", "sender address without local part or domain");
  if (util::iequals(s->domain, o.domain)) return std::string(sender);
  // '=' separates the fields: a domain holding one could not be read back.
  if (s->domain.find(sep) != std::string_view::npos) return fail("srs.syntax", "'=' in the sender's domain");
  auto made = rewrite(o, *s, now);
  if (made.size() > max_address) return fail("srs.syntax", "the rewritten sender would be too long");
  return made;
}

namespace {
std::string rewrite(const options& o, const split_address& a, std::int64_t now) {
  const auto* s = &a;
  const std::string at = "@" + o.domain;
  if (looks_like_srs(s->local)) {
    if (util::iequals(s->local.substr(0, 4), "SRS0")) {
      // Another forwarder's SRS0: keep its part (from its separator on) and name it as the
      // host, so a bounce goes back through it and it can check its own hash.
      std::string_view user = s->local.substr(4);
      return "SRS1" + std::string(1, sep) + hash(o, {s->domain, user}) + sep + std::string(s->domain) + sep +
             std::string(user) + at;
    }
    // SRS1: the first forwarder and its part stay; only the hash is ours.
    std::string_view rest = s->local.substr(5);
    auto old_hash = next_field(rest);
    auto host = next_field(rest);
    if (old_hash && host && !host->empty() && !rest.empty())
      return "SRS1" + std::string(1, sep) + hash(o, {*host, rest}) + sep + std::string(*host) + sep +
             std::string(rest) + at;
    // Not really SRS1: rewrite it as any other sender.
  }
  const std::string ts = timestamp(now);
  return "SRS0" + std::string(1, sep) + hash(o, {ts, s->domain, s->local}) + sep + ts + sep +
         std::string(s->domain) + sep + std::string(s->local) + at;
}
}  // namespace

result<std::optional<std::string>> reverse(const options& o, std::string_view address, std::int64_t now) {
  if (address.size() > max_address) return fail("srs.syntax", "address too long");
  auto a = split(address);
  if (!a || !util::iequals(a->domain, o.domain) || !looks_like_srs(a->local)) return std::optional<std::string>();
  const bool first = util::iequals(a->local.substr(0, 4), "SRS0");
  std::string_view rest = a->local.substr(5);
  auto h = next_field(rest);
  if (!h) return fail("srs.syntax", "malformed SRS address");
  if (first) {
    auto ts = next_field(rest);
    auto domain = ts ? next_field(rest) : std::nullopt;
    if (!domain || domain->empty() || rest.empty()) return fail("srs.syntax", "malformed SRS0 address");
    if (!hash_ok(o, *h, {*ts, *domain, rest})) return fail("srs.hash", "its hash does not match: it was not made here");
    if (auto t = timestamp_ok(o, *ts, now); !t) return t.error();
    return std::optional<std::string>(std::string(rest) + "@" + std::string(*domain));
  }
  auto host = next_field(rest);
  if (!host || host->empty() || rest.empty()) return fail("srs.syntax", "malformed SRS1 address");
  if (!hash_ok(o, *h, {*host, rest})) return fail("srs.hash", "its hash does not match: it was not made here");
  // As libsrs2: the first forwarder's part starts with its own separator ("=HHHH=TT=...").
  return std::optional<std::string>("SRS0" + std::string(rest) + "@" + std::string(*host));
}

}  // namespace hearth::mail::srs
