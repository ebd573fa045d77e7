#include "mail/mailauth/arc.hpp"

#include <array>
#include <charconv>
#include <optional>
#include <vector>

#include "core/crypto/crypto.hpp"
#include "core/util/strings.hpp"
#include "mail/mailauth/authres.hpp"
#include "mail/mailauth/canon.hpp"
#include "mail/mailauth/dkim_core.hpp"
#include "mail/mailauth/tags.hpp"

namespace hearth::mail::mailauth {
namespace {

enum part { aar = 0, ams = 1, seal = 2 };
constexpr std::array<std::string_view, 3> part_names = {"ARC-Authentication-Results", "ARC-Message-Signature",
                                                        "ARC-Seal"};
constexpr std::size_t max_arc_fields = 3 * max_arc_instances;
// h= of an ARC-Message-Signature: far more than any signer lists (ours: ~30), few enough that
// picking them from a 1000-field header stays cheap for 50 sets.
constexpr std::size_t max_signed_fields = 256;

std::optional<int> to_instance(std::string_view v) {
  v = util::trim(v);
  int n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < 1 || n > max_arc_instances) return std::nullopt;
  return n;
}

// ARC-Authentication-Results: i=N; authserv-id; results (RFC 8617 §4.1.1): the instance is the
// first tag, before the A-R payload that is no tag list.
std::optional<int> aar_instance(std::string_view value) {
  auto semi = value.find(';');
  if (semi == std::string_view::npos) return std::nullopt;
  std::string spec = strip_fws(value.substr(0, semi));
  if (!spec.starts_with("i=")) return std::nullopt;
  return to_instance(std::string_view(spec).substr(2));
}

struct arc_set {
  std::array<std::size_t, 3> idx{};  // field index in the header, per part
  std::array<bool, 3> have{};
  std::map<std::string, std::string> ams_tags, seal_tags;
};

struct chain {
  std::vector<arc_set> sets;  // sets[i - 1] is instance i
  std::string error;          // structure broken (§5.2 step 3): the chain fails
};

chain collect(const header_section& h) {
  chain c;
  std::map<int, arc_set> by;
  std::size_t seen = 0;
  for (std::size_t i = 0; i < h.fields.size(); ++i) {
    const auto& f = h.fields[i];
    if (!f.valid) continue;
    const auto name = util::trim(f.name);
    int kind = -1;
    for (int k = 0; k < 3; ++k)
      if (util::iequals(name, part_names[k])) kind = k;
    if (kind < 0) continue;
    if (++seen > max_arc_fields) {
      c.error = "more ARC fields than 50 sets";
      return c;
    }
    std::optional<int> inst;
    std::map<std::string, std::string> tags;
    if (kind == aar) {
      inst = aar_instance(f.value);
    } else {
      auto t = parse_tags(f.value);
      if (!t) {
        c.error = std::string(part_names[kind]) + " is not a valid tag list";
        return c;
      }
      tags = std::move(*t);
      if (tags.count("i")) inst = to_instance(tags["i"]);
    }
    if (!inst) {
      c.error = std::string(part_names[kind]) + " without a valid i=";
      return c;
    }
    auto& s = by[*inst];
    if (s.have[kind]) {
      c.error = "two " + std::string(part_names[kind]) + " fields with i=" + std::to_string(*inst);
      return c;
    }
    s.have[kind] = true;
    s.idx[kind] = i;
    if (kind == ams) s.ams_tags = std::move(tags);
    if (kind == seal) s.seal_tags = std::move(tags);
  }
  if (by.empty()) return c;
  const int n = by.rbegin()->first;
  if (static_cast<int>(by.size()) != n) {
    c.error = "the ARC sets are not numbered 1.." + std::to_string(n);
    return c;
  }
  for (auto& [i, s] : by) {
    if (!s.have[aar] || !s.have[ams] || !s.have[seal]) {
      c.error = "ARC set " + std::to_string(i) + " is incomplete";
      return c;
    }
    c.sets.push_back(std::move(s));
  }
  return c;
}

std::string tag(const std::map<std::string, std::string>& t, const char* name) {
  auto it = t.find(name);
  return it == t.end() ? std::string() : util::to_lower(strip_fws(it->second));
}

std::string key_name(const std::map<std::string, std::string>& t) {
  return tag(t, "s") + "._domainkey." + tag(t, "d");
}

std::vector<std::string> names_of(std::string_view h_tag) {
  std::vector<std::string> out;
  for (auto part : util::split(h_tag, ':')) {
    std::string s = util::to_lower(strip_fws(part));
    if (!s.empty()) out.push_back(s);
  }
  return out;
}

result<key_record> key_for(const std::map<std::string, std::string>& t,
                           const std::map<std::string, key_answer>& keys) {
  auto it = keys.find(key_name(t));
  if (it == keys.end() || it->second.st == key_answer::none) return fail("arc.no_key", "no key record for " + key_name(t));
  if (it->second.st == key_answer::temporary) return fail("arc.temperror", "key lookup failed for " + key_name(t));
  error last = fail("arc.no_key", "no key record for " + key_name(t));
  for (const auto& txt : it->second.txt) {
    auto r = parse_key_record(txt);
    if (r) return r;
    last = r.error();
  }
  return last;
}

// The ARC-Seal hash input (§5.1.1): every set from 1 to `upto`, each as AAR, AMS, AS,
// relaxed; the AS of `upto` with b= empty and without its CRLF.
std::string seal_input(const header_section& h, const chain& c, std::size_t upto) {
  std::string data;
  for (std::size_t i = 0; i < upto; ++i) {
    const auto& s = c.sets[i];
    data += canon_header(h.fields[s.idx[aar]].raw, true);
    data += canon_header(h.fields[s.idx[ams]].raw, true);
    if (i + 1 < upto) {
      data += canon_header(h.fields[s.idx[seal]].raw, true);
    } else {
      std::string self = canon_header(dkim_core::blank_b(h.fields[s.idx[seal]].raw), true);
      self.resize(self.size() - 2);
      data += self;
    }
  }
  return data;
}

// Body hashes by canonicalization (0 simple, 1 relaxed): a chain of 50 sets must not hash a
// large body 50 times.
using body_hashes = std::array<std::optional<std::string>, 2>;

result<void> check_ams(std::string_view message, const header_section& h, const arc_set& s,
                       const std::map<std::string, key_answer>& keys, body_hashes& cache, const body_pieces& pieces) {
  const auto& t = s.ams_tags;
  for (const char* req : {"a", "b", "bh", "d", "h", "s"})
    if (!t.count(req)) return fail("arc.syntax", std::string("ARC-Message-Signature lacks ") + req + "=");
  const std::string a = tag(t, "a");
  if (a != "rsa-sha256") return fail("arc.syntax", "ARC-Message-Signature a=" + a + " is not rsa-sha256");
  auto names = names_of(t.at("h"));
  if (names.size() > max_signed_fields) return fail("arc.syntax", "ARC-Message-Signature h= is too long");
  for (const auto& n : names)
    if (n == "arc-seal") return fail("arc.syntax", "ARC-Message-Signature signs ARC-Seal");  // §4.1.2
  // c= as in DKIM; ARC implementations default to relaxed (dkimpy, OpenARC).
  std::string c = t.count("c") ? tag(t, "c") : "relaxed/relaxed";
  auto slash = c.find('/');
  std::string hc = c.substr(0, slash), bc = slash == std::string::npos ? "simple" : c.substr(slash + 1);
  if ((hc != "simple" && hc != "relaxed") || (bc != "simple" && bc != "relaxed"))
    return fail("arc.syntax", "unknown c=" + c);
  auto bh = crypto::base64_decode(strip_fws(t.at("bh")));
  auto b = crypto::base64_decode(strip_fws(t.at("b")));
  if (!bh || !b || b->empty()) return fail("arc.syntax", "b= or bh= is not base64");
  auto key = key_for(t, keys);
  if (!key) return key.error();
  auto& hash = cache[bc == "relaxed" ? 1 : 0];
  if (!hash && pieces) {
    body_hasher hasher(bc == "relaxed");
    if (!pieces([&hasher](std::string_view p) { hasher.feed(p); })) return fail("arc.body", "message body unreadable");
    std::uint64_t size = 0;
    hash = hasher.finish(size);
  } else if (!hash) {
    std::string_view body = h.end <= message.size() ? message.substr(h.end) : std::string_view();
    hash = crypto::sha256(canon_body(body, bc == "relaxed"));
  }
  if (*hash != *bh)
    return fail("arc.body_hash", "ARC-Message-Signature body hash did not verify");
  const auto idx = s.idx[ams];
  std::string data = dkim_core::header_input(h, names, h.fields[idx].raw, hc == "relaxed", idx);
  return dkim_core::verify_data(*key, a, data, *b);
}

result<void> check_seal(const header_section& h, const chain& c, std::size_t instance,
                        const std::map<std::string, key_answer>& keys) {
  const auto& t = c.sets[instance - 1].seal_tags;
  if (tag(t, "a") != "rsa-sha256") return fail("arc.syntax", "ARC-Seal a= is not rsa-sha256");
  if (t.count("h")) return fail("arc.syntax", "ARC-Seal has h=");  // §4.1.3
  auto b = crypto::base64_decode(strip_fws(t.count("b") ? t.at("b") : ""));
  if (!b || b->empty()) return fail("arc.syntax", "ARC-Seal b= is not base64");
  auto key = key_for(t, keys);
  if (!key) return key.error();
  return dkim_core::verify_data(*key, "rsa-sha256", seal_input(h, c, instance), *b);
}

arc_verification failed(arc_verification v, std::string why) {
  v.result = "fail";
  v.reason = std::move(why);
  return v;
}

}  // namespace

std::set<std::string> arc_key_names(const header_section& h) {
  std::set<std::string> out;
  chain c = collect(h);
  for (const auto& s : c.sets) {
    if (!tag(s.ams_tags, "d").empty()) out.insert(key_name(s.ams_tags));
    if (!tag(s.seal_tags, "d").empty()) out.insert(key_name(s.seal_tags));
  }
  return out;
}

arc_verification verify_arc(std::string_view message, const header_section& h,
                            const std::map<std::string, key_answer>& keys, const body_pieces& body) {
  arc_verification v;
  chain c = collect(h);
  if (!c.error.empty()) return failed(v, c.error);
  if (c.sets.empty()) return v;  // none
  const std::size_t n = c.sets.size();
  v.instances = static_cast<int>(n);
  v.domain = tag(c.sets.back().seal_tags, "d");
  // §5.2 step 2: a chain its last sealer declared failed stays failed.
  if (tag(c.sets.back().seal_tags, "cv") == "fail") return failed(v, "ARC-Seal i=" + std::to_string(n) + " says cv=fail");
  // Step 3: i=1 says cv=none, every later one cv=pass.
  for (std::size_t i = 1; i <= n; ++i) {
    const std::string cv = tag(c.sets[i - 1].seal_tags, "cv");
    if (cv != (i == 1 ? "none" : "pass")) return failed(v, "ARC-Seal i=" + std::to_string(i) + " has cv=" + cv);
  }
  // Step 4: the newest AMS must verify.
  body_hashes cache;
  if (auto r = check_ams(message, h, c.sets[n - 1], keys, cache, body); !r)
    return failed(v, "ARC-Message-Signature i=" + std::to_string(n) + ": " + r.error().message);
  // Step 5: older AMSs may have been broken by later handlers' changes; that is information,
  // not failure.
  for (std::size_t i = n - 1; i >= 1; --i) {
    if (!check_ams(message, h, c.sets[i - 1], keys, cache, body)) {
      v.oldest_pass = static_cast<int>(i + 1);
      break;
    }
  }
  // Step 6: every seal.
  for (std::size_t i = n; i >= 1; --i)
    if (auto r = check_seal(h, c, i, keys); !r)
      return failed(v, "ARC-Seal i=" + std::to_string(i) + ": " + r.error().message);
  v.result = "pass";
  return v;
}

result<std::string> arc_seal(std::string_view message, const signing_key& key, std::string_view our_id,
                             std::int64_t now, const body_pieces& pieces) {
  if (key.algorithm != "rsa-sha256") return fail("dkim.key", "ARC signs with rsa-sha256 keys only");
  header_section h = parse_header(message);
  chain c = collect(h);
  const std::size_t n = c.sets.size();
  // A chain too broken to number cannot be continued (§5.1.2: no set after a failed chain).
  if (!c.error.empty()) return fail("arc.chain_failed", "the ARC chain is malformed: " + c.error);
  if (n >= static_cast<std::size_t>(max_arc_instances)) return fail("arc.limit", "the ARC chain already has 50 sets");
  if (n && tag(c.sets.back().seal_tags, "cv") == "fail")
    return fail("arc.chain_failed", "the ARC chain was declared failed by an earlier handler");

  // Our Authentication-Results (the topmost with our authserv-id): its results and arc=.
  std::string results;
  for (const auto& f : h.fields) {
    if (!f.valid || !util::iequals(util::trim(f.name), "Authentication-Results")) continue;
    if (authserv_id(f.value) != util::to_lower(our_id)) continue;
    results = std::string(util::trim(f.value));
    break;
  }
  std::string cv = "none";
  if (n) {
    // The chain's state is what we found on the way in (filter.cpp's arc= result).
    std::size_t at = 0;
    while ((at = results.find("arc=", at)) != std::string::npos) {
      if (at > 0 && std::string_view(" \t\r\n;").find(results[at - 1]) != std::string_view::npos) break;
      at += 4;
    }
    if (at == std::string::npos) return fail("arc.unverified", "an ARC chain is present but was not verified");
    cv = results.compare(at + 4, 4, "pass") == 0 ? "pass" : "fail";
  }
  if (results.empty()) results = std::string(our_id) + "; none";
  const std::size_t inst = n + 1;
  const std::string i = "i=" + std::to_string(inst);

  std::string aar_field = "ARC-Authentication-Results: " + i + "; " + results + "\r\n";

  // AMS: a DKIM signature under another name (§4.1.2), over the fields DKIM signs plus any
  // DKIM-Signature, never the ARC fields or Authentication-Results.
  auto body_hash = dkim_core::relaxed_body_hash(message, h, pieces);
  if (!body_hash) return body_hash.error();
  const std::string bh = std::move(*body_hash);
  std::vector<std::string> names;
  std::vector<std::string> wanted = signed_headers;
  wanted.push_back("dkim-signature");
  for (const auto& want : wanted) {
    std::size_t count = 0;
    for (const auto& f : h.fields)
      if (f.valid && util::iequals(util::trim(f.name), want)) ++count;
    if (want == "from" && count == 0) count = 1;  // From is always in h= (RFC 6376 §5.4)
    for (std::size_t k = 0; k < count; ++k) names.push_back(want);
  }
  std::string hlist;
  std::size_t line = 3;
  for (std::size_t k = 0; k < names.size(); ++k) {
    if (k) {
      hlist += ':';
      ++line;
    }
    if (line + names[k].size() > 72) {
      hlist += "\r\n\t ";
      line = 2;
    }
    hlist += names[k];
    line += names[k].size();
  }
  auto fold_b = [](std::string field, const std::string& sig) {
    const std::string b = crypto::base64_encode(sig);
    for (std::size_t k = 0; k < b.size(); k += 70) {
      if (k) field += "\r\n\t ";
      field += b.substr(k, 70);
    }
    return field + "\r\n";
  };
  std::string ams_field = "ARC-Message-Signature: " + i + "; a=rsa-sha256; c=relaxed/relaxed; d=" + key.domain +
                          "; s=" + key.selector + ";\r\n\tt=" + std::to_string(now) + "; h=" + hlist +
                          ";\r\n\tbh=" + bh + ";\r\n\tb=";
  auto ams_sig = dkim_core::sign_data(key.private_pem, key.algorithm,
                                      dkim_core::header_input(h, names, ams_field + "\r\n", true, h.fields.size()));
  if (!ams_sig) return ams_sig.error();
  ams_field = fold_b(std::move(ams_field), *ams_sig);

  // AS over the earlier sets and ours (§5.1.1).
  std::string seal_field = "ARC-Seal: " + i + "; a=rsa-sha256; t=" + std::to_string(now) + "; cv=" + cv +
                           ";\r\n\td=" + key.domain + "; s=" + key.selector + ";\r\n\tb=";
  std::string data;
  if (inst > 1) {
    for (const auto& s : c.sets)
      for (int k : {aar, ams, seal}) data += canon_header(h.fields[s.idx[k]].raw, true);
  }
  data += canon_header(aar_field, true);
  data += canon_header(ams_field, true);
  std::string self = canon_header(seal_field + "\r\n", true);
  self.resize(self.size() - 2);
  data += self;
  auto seal_sig = dkim_core::sign_data(key.private_pem, key.algorithm, data);
  if (!seal_sig) return seal_sig.error();
  seal_field = fold_b(std::move(seal_field), *seal_sig);
  return seal_field + ams_field + aar_field;
}

}  // namespace hearth::mail::mailauth
