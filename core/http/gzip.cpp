#include "core/http/gzip.hpp"

#include <zlib.h>

#include "core/util/strings.hpp"

namespace hearth::http {

bool accepts_gzip(std::string_view ae) {
  std::size_t i = 0;
  while (i < ae.size()) {
    auto comma = ae.find(',', i);
    std::string_view item = ae.substr(i, comma == std::string_view::npos ? std::string_view::npos : comma - i);
    i = comma == std::string_view::npos ? ae.size() : comma + 1;
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    auto semi = item.find(';');
    std::string_view coding = item.substr(0, semi);
    while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t')) coding.remove_suffix(1);
    if (!util::iequals(coding, "gzip") && !util::iequals(coding, "x-gzip") && coding != "*") continue;
    if (semi == std::string_view::npos) return true;
    auto q = item.substr(semi + 1);
    auto eq = q.find('=');
    if (eq == std::string_view::npos) return true;
    auto v = q.substr(eq + 1);
    // q=0, q=0.0, q=0.00... refuses; anything else accepts.
    bool zero = !v.empty() && v.front() == '0';
    for (char c : v.substr(v.empty() ? 0 : 1))
      if (c != '.' && c != '0' && c != ' ') zero = false;
    if (!zero) return true;
  }
  return false;
}

std::optional<std::string> gzip(std::string_view data) {
  z_stream zs{};
  // windowBits 15 + 16: a gzip wrapper rather than zlib's.
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return std::nullopt;
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

bool maybe_gzip(response& r, std::string_view accept_encoding) {
  if (r.body.size() < 1024 || r.body.size() > (1u << 30) || !accepts_gzip(accept_encoding)) return false;
  std::string type;
  for (auto& [name, value] : r.headers) {
    if (util::iequals(name, "content-encoding")) return false;
    if (util::iequals(name, "content-type")) type = util::to_lower(value);
  }
  bool text = type.starts_with("text/") || type.find("xml") != std::string::npos || type.find("json") != std::string::npos ||
              type.find("calendar") != std::string::npos || type.find("vcard") != std::string::npos;
  if (!text) return false;
  auto z = gzip(r.body);
  if (!z || z->size() >= r.body.size()) return false;
  r.body = std::move(*z);
  r.headers.emplace_back("Content-Encoding", "gzip");
  r.headers.emplace_back("Vary", "Accept-Encoding");
  return true;
}

}  // namespace hearth::http
