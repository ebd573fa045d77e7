#include "mail/mailauth/dkim.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <charconv>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "core/crypto/crypto.hpp"
#include "core/util/strings.hpp"
#include "mail/mailauth/canon.hpp"
#include "mail/mailauth/dkim_core.hpp"
#include "mail/mailauth/tags.hpp"

namespace hearth::mail::mailauth {
namespace {

struct pkey_free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct md_ctx_free {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, md_ctx_free>;

std::optional<std::int64_t> to_int(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

std::vector<std::string> split_list(std::string_view v, char sep) {
  std::vector<std::string> out;
  for (auto part : util::split(v, sep)) {
    std::string s = strip_fws(part);
    if (!s.empty()) out.push_back(util::to_lower(s));
  }
  return out;
}

bool within_domain(std::string_view sub, std::string_view dom) {
  return util::iequals(sub, dom) ||
         (sub.size() > dom.size() && sub[sub.size() - dom.size() - 1] == '.' &&
          util::iequals(sub.substr(sub.size() - dom.size()), dom));
}

// OpenSSL 3's decoders take 1-2 ms per PEM or DER key, more than the signature itself, so
// parsed keys are kept (by their text) in a small process-wide cache. An EVP_PKEY may be used
// by several threads at once for signing and verifying (each with its own EVP_MD_CTX).
class key_cache {
 public:
  template <class Load>
  std::shared_ptr<EVP_PKEY> get(const std::string& text, Load load) {
    {
      std::lock_guard lock(mu_);
      auto it = keys_.find(text);
      if (it != keys_.end()) return it->second;
    }
    pkey_ptr k = load();
    if (!k) return nullptr;
    std::shared_ptr<EVP_PKEY> shared(k.release(), EVP_PKEY_free);
    std::lock_guard lock(mu_);
    if (keys_.size() >= max_entries) keys_.clear();  // bounded; refilled on demand
    keys_.emplace(text, shared);
    return shared;
  }

 private:
  static constexpr std::size_t max_entries = 256;
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<EVP_PKEY>> keys_;
};
key_cache private_keys, public_keys;

std::shared_ptr<EVP_PKEY> load_private(const std::string& pem) {
  return private_keys.get(pem, [&] {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    if (!bio) return pkey_ptr();
    pkey_ptr k(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
    BIO_free(bio);
    return k;
  });
}

pkey_ptr parse_public(const key_record& r) {
  if (r.k == "ed25519") {
    if (r.p.size() != 32) return nullptr;
    return pkey_ptr(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                                reinterpret_cast<const unsigned char*>(r.p.data()), 32));
  }
  const auto* d = reinterpret_cast<const unsigned char*>(r.p.data());
  pkey_ptr k(d2i_PUBKEY(nullptr, &d, static_cast<long>(r.p.size())));
  if (!k) {  // some publish the bare RSAPublicKey (PKCS#1)
    d = reinterpret_cast<const unsigned char*>(r.p.data());
    k.reset(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &d, static_cast<long>(r.p.size())));
  }
  if (k && EVP_PKEY_get_base_id(k.get()) != EVP_PKEY_RSA) return nullptr;
  return k;
}

std::shared_ptr<EVP_PKEY> load_public(const key_record& r) {
  return public_keys.get(r.k + ":" + r.p, [&] { return parse_public(r); });
}

// rsa-sha256: RSASSA-PKCS1-v1_5 over SHA-256 of the data. ed25519-sha256 (RFC 8463 §3): pure
// Ed25519 over the SHA-256 digest of the data.
std::optional<std::string> do_sign(EVP_PKEY* k, bool ed, std::string_view data) {
  md_ctx_ptr ctx(EVP_MD_CTX_new());
  if (!ctx) return std::nullopt;
  std::string input = ed ? crypto::sha256(data) : std::string(data);
  if (EVP_DigestSignInit(ctx.get(), nullptr, ed ? nullptr : EVP_sha256(), nullptr, k) != 1) return std::nullopt;
  std::size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()) != 1) return std::nullopt;
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in, input.size()) != 1)
    return std::nullopt;
  sig.resize(len);
  return sig;
}

bool do_verify(EVP_PKEY* k, bool ed, std::string_view data, const std::string& sig) {
  md_ctx_ptr ctx(EVP_MD_CTX_new());
  if (!ctx) return false;
  std::string input = ed ? crypto::sha256(data) : std::string(data);
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, ed ? nullptr : EVP_sha256(), nullptr, k) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
}

std::optional<std::string> b64(std::string_view v) { return crypto::base64_decode(strip_fws(v)); }

}  // namespace

namespace dkim_core {

// The value of the field with the b= tag's value removed (§3.7: "the value of the b= tag
// (including all surrounding whitespace) is deleted"), everything else byte for byte.
std::string blank_b(std::string_view raw) {
  std::string out;
  std::size_t colon = raw.find(':');
  if (colon == std::string_view::npos) return std::string(raw);
  out.append(raw.substr(0, colon + 1));
  std::size_t pos = colon + 1;
  while (pos <= raw.size()) {
    std::size_t semi = raw.find(';', pos);
    std::size_t end = semi == std::string_view::npos ? raw.size() : semi;
    std::string_view spec = raw.substr(pos, end - pos);
    std::size_t eq = spec.find('=');
    bool is_b = false;
    if (eq != std::string_view::npos) {
      std::string name = strip_fws(spec.substr(0, eq));
      is_b = name == "b";
    }
    if (is_b) {
      out.append(spec.substr(0, eq + 1));
      // Keep the field's final line ending, if it was inside this spec.
      if (semi == std::string_view::npos && spec.ends_with("\r\n")) out.append("\r\n");
    } else {
      out.append(spec);
    }
    if (semi == std::string_view::npos) break;
    out += ';';
    pos = semi + 1;
  }
  return out;
}

// The header hash input (§3.7): the h= fields, each picked from the bottom up, then the
// signature field itself with b= empty and without its final CRLF.
std::string header_input(const header_section& h, const std::vector<std::string>& names,
                         std::string_view sig_field_raw, bool relaxed, std::size_t sig_index) {
  std::string data;
  std::map<std::string, std::size_t> used;  // name -> how many taken from the bottom
  for (const auto& name : names) {
    std::size_t skip = used[name]++;
    const header_field* pick = nullptr;
    for (std::size_t i = h.fields.size(); i-- > 0;) {
      const auto& f = h.fields[i];
      if (!f.valid || i == sig_index || !util::iequals(util::trim(f.name), name)) continue;
      if (skip == 0) {
        pick = &f;
        break;
      }
      --skip;
    }
    if (pick) data += canon_header(pick->raw, relaxed);  // a missing field is the null string
  }
  std::string self = canon_header(blank_b(sig_field_raw), relaxed);
  self.resize(self.size() - 2);  // without its CRLF
  data += self;
  return data;
}

result<std::string> sign_data(const std::string& private_pem, std::string_view algorithm, std::string_view data) {
  const bool ed = algorithm == "ed25519-sha256";
  if (!ed && algorithm != "rsa-sha256") return fail("dkim.key", "unknown algorithm " + std::string(algorithm));
  auto k = load_private(private_pem);
  if (!k) return fail("dkim.key", "private key unreadable");
  const int id = EVP_PKEY_get_base_id(k.get());
  if ((ed && id != EVP_PKEY_ED25519) || (!ed && id != EVP_PKEY_RSA))
    return fail("dkim.key", "key does not match " + std::string(algorithm));
  auto sig = do_sign(k.get(), ed, data);
  if (!sig) return fail("dkim.sign", "signing failed");
  return std::move(*sig);
}

result<void> verify_data(const key_record& key, std::string_view algorithm, std::string_view data,
                         const std::string& sig) {
  const bool ed = algorithm == "ed25519-sha256";
  if ((ed && key.k != "ed25519") || (!ed && key.k != "rsa")) return fail("dkim.key", "key type does not match a=");
  auto pub = load_public(key);
  if (!pub) return fail("dkim.key", "public key unreadable");
  if (!ed && EVP_PKEY_get_bits(pub.get()) < 1024) return fail("dkim.key", "RSA key shorter than 1024 bits");
  if (!do_verify(pub.get(), ed, data, sig)) return fail("dkim.bad_signature", "signature did not verify");
  return {};
}

}  // namespace dkim_core

const char* dkim_status_name(dkim_status s) {
  switch (s) {
    case dkim_status::pass: return "pass";
    case dkim_status::fail: return "fail";
    case dkim_status::neutral: return "neutral";
    case dkim_status::temperror: return "temperror";
    case dkim_status::permerror: return "permerror";
    case dkim_status::policy: return "policy";
  }
  return "permerror";
}

result<signature> parse_signature(std::string_view value) {
  auto tags = parse_tags(value);
  if (!tags) return fail("dkim.syntax", "DKIM-Signature is not a valid tag list");
  auto& t = *tags;
  for (const char* req : {"v", "a", "b", "bh", "d", "h", "s"})
    if (!t.count(req)) return fail("dkim.missing", std::string("DKIM-Signature lacks ") + req + "=");
  if (t["v"] != "1") return fail("dkim.version", "DKIM-Signature v= is not 1");
  signature s;
  s.algorithm = util::to_lower(t["a"]);
  if (s.algorithm != "rsa-sha256" && s.algorithm != "ed25519-sha256" && s.algorithm != "rsa-sha1")
    return fail("dkim.algorithm", "unknown a=" + t["a"]);
  std::string c = t.count("c") ? util::to_lower(strip_fws(t["c"])) : "simple/simple";
  auto slash = c.find('/');
  std::string hc = c.substr(0, slash), bc = slash == std::string::npos ? "simple" : c.substr(slash + 1);
  if ((hc != "simple" && hc != "relaxed") || (bc != "simple" && bc != "relaxed"))
    return fail("dkim.canon", "unknown c=" + c);
  s.header_relaxed = hc == "relaxed";
  s.body_relaxed = bc == "relaxed";
  s.domain = util::to_lower(strip_fws(t["d"]));
  s.selector = util::to_lower(strip_fws(t["s"]));
  if (s.domain.empty() || s.selector.empty()) return fail("dkim.missing", "empty d= or s=");
  s.headers = split_list(t["h"], ':');
  bool has_from = false;
  for (auto& h : s.headers) has_from |= h == "from";
  if (!has_from) return fail("dkim.domain", "h= does not include From");  // §5.4
  s.b_text = strip_fws(t["b"]);
  auto b = crypto::base64_decode(s.b_text);
  auto bh = b64(t["bh"]);
  if (!b || !bh || b->empty() || bh->empty()) return fail("dkim.base64", "b= or bh= is not base64");
  s.b = std::move(*b);
  s.bh = std::move(*bh);
  s.auid = t.count("i") ? strip_fws(t["i"]) : "@" + s.domain;
  auto at = s.auid.rfind('@');
  if (at == std::string::npos || !within_domain(s.auid.substr(at + 1), s.domain))
    return fail("dkim.domain", "i= is not within d=");
  if (t.count("l")) {
    auto l = to_int(strip_fws(t["l"]));
    if (!l) return fail("dkim.syntax", "bad l=");
    s.length = static_cast<std::uint64_t>(*l);
  }
  if (t.count("t")) s.timestamp = to_int(strip_fws(t["t"]));
  if (t.count("x")) {
    s.expiration = to_int(strip_fws(t["x"]));
    if (!s.expiration) return fail("dkim.syntax", "bad x=");
  }
  if (t.count("q") && util::to_lower(strip_fws(t["q"])).find("dns/txt") == std::string::npos)
    return fail("dkim.syntax", "unknown q=");
  return s;
}

result<key_record> parse_key_record(std::string_view txt) {
  auto tags = parse_tags(txt);
  if (!tags) return fail("dkim.key_syntax", "key record is not a valid tag list");
  auto& t = *tags;
  if (t.count("v") && t["v"] != "DKIM1") return fail("dkim.key_version", "key record v= is not DKIM1");
  if (!t.count("p")) return fail("dkim.key_syntax", "key record lacks p=");
  key_record r;
  if (t.count("k")) r.k = util::to_lower(strip_fws(t["k"]));
  if (r.k != "rsa" && r.k != "ed25519") return fail("dkim.key_type", "unknown k=" + r.k);
  std::string p = strip_fws(t["p"]);
  if (p.empty()) return fail("dkim.key_revoked", "key revoked (empty p=)");
  auto d = crypto::base64_decode(p);
  if (!d) return fail("dkim.key_syntax", "p= is not base64");
  r.p = std::move(*d);
  if (t.count("h")) r.hashes = split_list(t["h"], ':');
  if (t.count("s")) r.services = split_list(t["s"], ':');
  if (t.count("t"))
    for (auto& f : split_list(t["t"], ':')) {
      if (f == "y") r.testing = true;
      if (f == "s") r.strict = true;
    }
  return r;
}

std::string found_signature::key_name() const {
  return sig ? sig->selector + "._domainkey." + sig->domain : std::string();
}

std::vector<found_signature> find_signatures(const header_section& h) {
  std::vector<found_signature> out;
  for (std::size_t i = 0; i < h.fields.size(); ++i) {
    const auto& f = h.fields[i];
    if (!f.valid || !util::iequals(util::trim(f.name), "DKIM-Signature")) continue;
    found_signature fs;
    fs.field_index = i;
    if (out.size() >= max_signatures) {
      fs.parse_error = fail("dkim.limit", "too many signatures");
    } else {
      auto s = parse_signature(f.value);
      if (s) fs.sig = std::move(*s);
      else fs.parse_error = s.error();
    }
    out.push_back(std::move(fs));
  }
  return out;
}

verification verify(std::string_view message, const header_section& h, const found_signature& fs,
                    const key_answer& key, std::int64_t now) {
  return verify(message, h, fs, key, now, body_pieces());
}

verification verify(std::string_view message, const header_section& h, const found_signature& fs,
                    const key_answer& key, std::int64_t now, const body_pieces& pieces) {
  verification v;
  if (!fs.sig) {
    v.reason = fs.parse_error.message;
    return v;  // permerror
  }
  const signature& s = *fs.sig;
  v.domain = s.domain;
  v.selector = s.selector;
  v.auid = s.auid;
  v.algorithm = s.algorithm;
  v.b_text = s.b_text;
  auto result_of = [&](dkim_status st, std::string why) {
    v.status = st;
    v.reason = std::move(why);
    return v;
  };
  // RFC 8301 §3.1: rsa-sha1 MUST NOT be used for verifying.
  if (s.algorithm == "rsa-sha1") return result_of(dkim_status::permerror, "rsa-sha1 is not accepted");
  if (s.expiration && *s.expiration < now) return result_of(dkim_status::fail, "signature expired");
  if (key.st == key_answer::temporary) return result_of(dkim_status::temperror, "key lookup failed");
  std::optional<key_record> rec;
  error last = fail("dkim.no_key", "no key record");
  for (const auto& t : key.txt) {
    auto r = parse_key_record(t);
    if (r) {
      rec = std::move(*r);
      break;
    }
    last = r.error();
  }
  if (!rec) return result_of(dkim_status::permerror, last.message);
  v.testing = rec->testing;
  const bool ed = s.algorithm == "ed25519-sha256";
  if ((ed && rec->k != "ed25519") || (!ed && rec->k != "rsa"))
    return result_of(dkim_status::permerror, "key type does not match a=");
  if (!rec->hashes.empty()) {
    bool ok = false;
    for (auto& x : rec->hashes) ok |= x == "sha256";
    if (!ok) return result_of(dkim_status::permerror, "key does not allow sha256");
  }
  if (!rec->services.empty()) {
    bool ok = false;
    for (auto& x : rec->services) ok |= x == "*" || x == "email";
    if (!ok) return result_of(dkim_status::permerror, "key not for email");
  }
  if (rec->strict) {
    auto at = s.auid.rfind('@');
    if (!util::iequals(s.auid.substr(at + 1), s.domain)) return result_of(dkim_status::permerror, "t=s and i= is a subdomain");
  }
  auto pub = load_public(*rec);
  if (!pub) return result_of(dkim_status::permerror, "public key unreadable");
  if (!ed && EVP_PKEY_get_bits(pub.get()) < 1024) return result_of(dkim_status::permerror, "RSA key shorter than 1024 bits");

  // Body hash (§3.7).
  std::string_view body = h.end <= message.size() ? message.substr(h.end) : std::string_view();
  bool beyond_l = false;
  if (pieces) {
    body_hasher hasher(s.body_relaxed, s.length);
    if (!pieces([&hasher](std::string_view p) { hasher.feed(p); }))
      return result_of(dkim_status::temperror, "message body unreadable");
    std::uint64_t size = 0;
    const std::string bh = hasher.finish(size);
    if (s.length && *s.length > size) return result_of(dkim_status::fail, "l= longer than the body");
    beyond_l = s.length && *s.length < size;
    if (bh != s.bh) return result_of(dkim_status::fail, "body hash did not verify");
  } else {
    std::string cb = canon_body(body, s.body_relaxed);
    if (s.length) {
      if (*s.length > cb.size()) return result_of(dkim_status::fail, "l= longer than the body");
      beyond_l = *s.length < cb.size();
      cb.resize(*s.length);
    }
    if (crypto::sha256(cb) != s.bh) return result_of(dkim_status::fail, "body hash did not verify");
  }
  std::string data = dkim_core::header_input(h, s.headers, h.fields[fs.field_index].raw, s.header_relaxed, fs.field_index);
  if (!do_verify(pub.get(), ed, data, s.b)) return result_of(dkim_status::fail, "signature did not verify");
  // Content after l= is unsigned: the signature verified but does not vouch for what a reader
  // sees, so local policy does not count it as a pass (RFC 6376 §8.2).
  if (beyond_l) return result_of(dkim_status::policy, "unsigned content after l=");
  return result_of(dkim_status::pass, "");
}

const std::vector<std::string> signed_headers = {
    "from", "reply-to", "subject", "date", "to", "cc", "message-id", "in-reply-to", "references",
    "mime-version", "content-type", "content-transfer-encoding", "content-disposition", "content-language",
    "list-id", "list-unsubscribe", "list-unsubscribe-post", "sender", "resent-date", "resent-from",
    "resent-to", "resent-cc", "resent-message-id", "autocrypt", "openpgp"};

result<std::string> sign(std::string_view message, const signing_key& key, std::int64_t now) {
  return sign(message, key, now, body_pieces());
}

result<std::string> dkim_core::relaxed_body_hash(std::string_view message, const header_section& h,
                                                 const body_pieces& pieces) {
  if (pieces) {
    body_hasher hasher(true);
    if (!pieces([&hasher](std::string_view p) { hasher.feed(p); })) return fail("dkim.sign", "message body unreadable");
    std::uint64_t size = 0;
    return crypto::base64_encode(hasher.finish(size));
  }
  std::string_view body = h.end <= message.size() ? message.substr(h.end) : std::string_view();
  return crypto::base64_encode(crypto::sha256(canon_body(body, true)));
}

result<std::string> sign(std::string_view message, const signing_key& key, std::int64_t now, const body_pieces& pieces) {
  const bool ed = key.algorithm == "ed25519-sha256";
  if (!ed && key.algorithm != "rsa-sha256") return fail("dkim.key", "unknown algorithm " + key.algorithm);
  auto k = load_private(key.private_pem);
  if (!k) return fail("dkim.key", "private key unreadable");
  const int id = EVP_PKEY_get_base_id(k.get());
  if ((ed && id != EVP_PKEY_ED25519) || (!ed && id != EVP_PKEY_RSA)) return fail("dkim.key", "key does not match " + key.algorithm);

  header_section h = parse_header(message);
  auto body_hash = dkim_core::relaxed_body_hash(message, h, pieces);
  if (!body_hash) return body_hash.error();
  const std::string bh = std::move(*body_hash);

  // h=: each recommended field as often as it occurs; From once more (over-signing).
  std::vector<std::string> names;
  for (const auto& n : signed_headers) {
    std::size_t count = 0;
    for (const auto& f : h.fields)
      if (f.valid && util::iequals(util::trim(f.name), n)) ++count;
    if (n == "from") ++count;
    for (std::size_t i = 0; i < count; ++i) names.push_back(n);
  }
  std::string hlist;
  std::size_t line = 3;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) {
      hlist += ':';
      ++line;
    }
    if (line + names[i].size() > 72) {
      hlist += "\r\n\t ";
      line = 2;
    }
    hlist += names[i];
    line += names[i].size();
  }
  std::string field = "DKIM-Signature: v=1; a=" + key.algorithm + "; c=relaxed/relaxed; d=" + key.domain +
                      "; s=" + key.selector + ";\r\n\tt=" + std::to_string(now) + "; h=" + hlist +
                      ";\r\n\tbh=" + bh + ";\r\n\tb=";
  std::string data = dkim_core::header_input(h, names, field + "\r\n", true, h.fields.size());
  auto sig = do_sign(k.get(), ed, data);
  if (!sig) return fail("dkim.sign", "signing failed");
  std::string b = crypto::base64_encode(*sig);
  for (std::size_t i = 0; i < b.size(); i += 70) {
    if (i) field += "\r\n\t ";
    field += b.substr(i, 70);
  }
  field += "\r\n";
  return field;
}

}  // namespace hearth::mail::mailauth
