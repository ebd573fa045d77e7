#include "mail/mailauth/canon.hpp"

#include "core/util/strings.hpp"

#include <openssl/evp.h>

namespace hearth::mail::mailauth {
namespace {
bool is_wsp(char c) { return c == ' ' || c == '\t'; }
}  // namespace

std::string canon_header(std::string_view raw, bool relaxed) {
  // Strip the final line ending; it is written back as CRLF.
  std::string_view f = raw;
  if (f.ends_with("\r\n")) f.remove_suffix(2);
  else if (f.ends_with("\n")) f.remove_suffix(1);
  if (!relaxed) return std::string(f) + "\r\n";
  auto colon = f.find(':');
  std::string_view name = colon == std::string_view::npos ? f : f.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view() : f.substr(colon + 1);
  while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
  std::string out = util::to_lower(name);
  out += ':';
  bool pending_space = false;
  bool started = false;
  for (char c : value) {
    if (c == '\r' || c == '\n') continue;  // unfold
    if (is_wsp(c)) {
      pending_space = true;
      continue;
    }
    if (pending_space && started) out += ' ';
    pending_space = false;
    started = true;
    out += c;
  }
  out += "\r\n";
  return out;
}

namespace {

// One body line without its line end, canonicalized.
std::string canon_line(std::string_view line, bool relaxed) {
  if (line.ends_with('\r')) line.remove_suffix(1);
  std::string l;
  if (relaxed) {
    bool space = false;
    for (char c : line) {
      if (is_wsp(c)) {
        space = true;
        continue;
      }
      if (space) l += ' ';
      space = false;
      l += c;
    }
    // WSP at the line end is dropped (space pending at the end is never written).
  } else {
    l.assign(line);
  }
  return l;
}

}  // namespace

std::string canon_body(std::string_view body, bool relaxed) {
  std::string out;
  out.reserve(body.size() + 2);
  std::size_t pending_empty = 0;  // empty lines seen but not yet written (may be trailing)
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t nl = body.find('\n', pos);
    std::string_view line;
    if (nl == std::string_view::npos) {
      line = body.substr(pos);
      pos = body.size();
    } else {
      line = body.substr(pos, nl - pos);
      pos = nl + 1;
    }
    const std::string l = canon_line(line, relaxed);
    if (l.empty()) {
      ++pending_empty;
      continue;
    }
    for (; pending_empty > 0; --pending_empty) out += "\r\n";
    out += l;
    out += "\r\n";
  }
  if (!relaxed && out.empty()) out = "\r\n";
  return out;
}

body_hasher::body_hasher(bool relaxed, std::optional<std::uint64_t> length) : relaxed_(relaxed), cap_(length) {
  auto* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  sha_ = ctx;
}

body_hasher::~body_hasher() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(sha_)); }

void body_hasher::emit(std::string_view s) {
  size_ += s.size();
  out_ += s;
  if (out_.size() >= 64 * 1024) {
    // Hash only what l= covers; the size still counts everything.
    std::string_view h = out_;
    if (cap_ && hashed_ + h.size() > *cap_) h = h.substr(0, *cap_ > hashed_ ? *cap_ - hashed_ : 0);
    EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(sha_), h.data(), h.size());
    hashed_ += h.size();
    out_.clear();
  }
}

void body_hasher::line(std::string_view raw) {
  const std::string l = canon_line(raw, relaxed_);
  if (l.empty()) {
    ++pending_empty_;
    return;
  }
  for (; pending_empty_ > 0; --pending_empty_) emit("\r\n");
  emit(l);
  emit("\r\n");
}

void body_hasher::feed(std::string_view piece) {
  std::size_t pos = 0;
  while (pos < piece.size()) {
    const std::size_t nl = piece.find('\n', pos);
    if (nl == std::string_view::npos) {
      carry_.append(piece.substr(pos));
      return;
    }
    if (carry_.empty()) {
      line(piece.substr(pos, nl - pos));
    } else {
      carry_.append(piece.substr(pos, nl - pos));
      line(carry_);
      carry_.clear();
    }
    pos = nl + 1;
  }
}

std::string body_hasher::finish(std::uint64_t& size) {
  if (!carry_.empty()) {
    line(carry_);
    carry_.clear();
  }
  if (!relaxed_ && size_ == 0) emit("\r\n");
  std::string_view h = out_;
  if (cap_ && hashed_ + h.size() > *cap_) h = h.substr(0, *cap_ > hashed_ ? *cap_ - hashed_ : 0);
  auto* ctx = static_cast<EVP_MD_CTX*>(sha_);
  EVP_DigestUpdate(ctx, h.data(), h.size());
  out_.clear();
  size = size_;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx, md, &n);
  return std::string(reinterpret_cast<const char*>(md), n);
}

}  // namespace hearth::mail::mailauth
