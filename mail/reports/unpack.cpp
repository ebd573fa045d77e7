#include "mail/reports/unpack.hpp"

#include <zlib.h>

#include <algorithm>
#include <optional>

#include "core/backup/zip.hpp"
#include "mail/message/encoding.hpp"
#include "mail/message/mime.hpp"
#include "mail/message/mime_stream.hpp"

namespace hearth::mail::reports {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool report_type(const body_part& p) {
  const auto& t = p.type;
  std::string mt = t.type + "/" + t.subtype;
  static constexpr std::string_view types[] = {
      "application/gzip",         "application/x-gzip",       "application/zip",
      "application/x-zip-compressed", "application/x-zip",     "text/xml",
      "application/xml",          "application/tlsrpt+json",  "application/tlsrpt+gzip",
      "application/json"};
  if (std::find(std::begin(types), std::end(types), mt) != std::end(types)) return true;
  std::string name = lower(p.disposition.params.get("filename", t.params.get("name")));
  for (std::string_view ext : {".xml", ".gz", ".zip", ".json", ".xml.gz", ".json.gz"})
    if (ends_with(name, ext)) return true;
  return false;
}

void leaves(const body_part& p, std::vector<const body_part*>& out) {
  if (p.type.is_multipart()) {
    for (const auto& c : p.children) leaves(c, out);
  } else if (!p.type.is_message()) {
    out.push_back(&p);
  }
}

std::string_view trim_start(std::string_view s) {
  if (s.starts_with("\xEF\xBB\xBF")) s.remove_prefix(3);  // a UTF-8 byte order mark
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  return s;
}

}  // namespace

result<std::string> gunzip(std::string_view data, std::size_t limit) {
  z_stream z{};
  // windowBits 15 + 32: gzip or zlib header, detected.
  if (inflateInit2(&z, 15 + 32) != Z_OK) return fail("reports.compression", "zlib init failed");
  std::string out;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  char buf[65536];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    std::size_t got = sizeof buf - z.avail_out;
    if (out.size() + got > limit) {
      inflateEnd(&z);
      return fail("reports.too_big", "uncompressed report larger than " + std::to_string(limit) + " bytes");
    }
    out.append(buf, got);
    if (rc == Z_OK && got == 0 && z.avail_in == 0) break;  // truncated input
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) return fail("reports.compression", "corrupt or truncated gzip data");
  return out;
}

result<std::string> gzip(std::string_view data) {
  z_stream z{};
  // windowBits 15 + 16: the gzip wrapper (RFC 1952), which report readers expect.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return fail("reports.compression", "zlib init failed");
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return fail("reports.compression", "gzip failed");
  return out;
}

result<std::string> unzip_first(std::string_view a, std::size_t limit) {
  auto bad = [](const error& e) { return fail("reports.compression", "zip: " + e.message); };
  auto tail = a.substr(a.size() > zip::max_tail ? a.size() - zip::max_tail : 0);
  auto d = zip::find_directory(tail, a.size());
  if (!d) return bad(d.error());
  if (d->zip64_record_offset) {
    if (*d->zip64_record_offset > a.size()) return fail("reports.compression", "zip: truncated");
    d = zip::read_zip64_record(a.substr(*d->zip64_record_offset, 56), *d);
    if (!d) return bad(d.error());
  }
  if (d->offset > a.size() || d->size > a.size() - d->offset) return fail("reports.compression", "zip: truncated");
  auto entries = zip::parse_directory(a.substr(d->offset, d->size), *d);
  if (!entries) return bad(entries.error());
  const zip::entry* pick = nullptr;
  for (const auto& e : *entries) {
    if (e.is_directory()) continue;
    auto n = lower(e.name);
    if (ends_with(n, ".xml") || ends_with(n, ".json")) {
      pick = &e;
      break;
    }
    if (!pick) pick = &e;
  }
  if (!pick) return fail("reports.none", "empty zip archive");
  if (pick->size > limit) return fail("reports.too_big", "zip entry larger than " + std::to_string(limit) + " bytes");
  if (pick->local_offset > a.size()) return fail("reports.compression", "zip: truncated");
  auto off = zip::data_offset(a.substr(pick->local_offset, 30), *pick);
  if (!off) return bad(off.error());
  if (*off > a.size() || pick->compressed_size > a.size() - *off) return fail("reports.compression", "zip: truncated");
  std::string out;
  bool too_big = false;
  auto x = zip::extractor::start(*pick, [&](std::string_view piece) -> result<void> {
    // The directory's size may lie: the bytes written are what counts.
    if (out.size() + piece.size() > limit) {
      too_big = true;
      return fail("reports.too_big", "zip entry larger than the limit");
    }
    out.append(piece);
    return {};
  });
  if (!x) return bad(x.error());
  auto data = a.substr(*off, pick->compressed_size);
  for (std::size_t i = 0; i < data.size(); i += 65536) {
    auto r = x->feed(data.substr(i, 65536));
    if (!r) return too_big ? fail("reports.too_big", "zip entry larger than the limit") : bad(r.error());
  }
  if (auto r = x->finish(); !r) return bad(r.error());
  return out;
}

namespace {

// One report part's encoded body: decoded, uncompressed by its magic bytes and classified.
// A part that holds no report adds nothing; one that fails notes its error (the first).
void add_payload(std::string_view encoded, const std::string& encoding, std::vector<payload>& out,
                 std::optional<error>& first_error) {
  result<std::string> doc = decode_transfer_encoding(encoded, encoding);
  if (doc->size() >= 2 && static_cast<unsigned char>((*doc)[0]) == 0x1f && static_cast<unsigned char>((*doc)[1]) == 0x8b)
    doc = gunzip(*doc);
  else if (doc->starts_with(std::string_view("PK\x03\x04", 4)))
    doc = unzip_first(*doc);
  if (!doc) {
    if (!first_error) first_error = doc.error();
    return;
  }
  auto body = trim_start(*doc);
  if (body.size() > max_payload_bytes) {
    if (!first_error) first_error = fail("reports.too_big", "report larger than the limit");
    return;
  }
  if (body.starts_with("<")) out.push_back({report_kind::dmarc, std::string(body)});
  else if (body.starts_with("{")) out.push_back({report_kind::tls, std::string(body)});
}

// The leaf parts that may hold a report, at most max_payloads of them.
std::vector<const body_part*> report_parts(const message_structure& s) {
  std::vector<const body_part*> parts, out;
  leaves(s.root, parts);
  for (const auto* p : parts)
    if (report_type(*p) && out.size() < max_payloads) out.push_back(p);
  return out;
}

result<std::vector<payload>> found(std::vector<payload> out, const std::optional<error>& first_error) {
  if (out.empty()) {
    if (first_error) return *first_error;
    return fail("reports.none", "no DMARC or TLS-RPT report in the message");
  }
  return out;
}

}  // namespace

result<std::vector<payload>> extract_reports(std::string_view message) {
  auto s = parse_message(message);
  std::vector<payload> out;
  std::optional<error> first_error;
  for (const auto* p : report_parts(s)) add_payload(message.substr(p->body_begin, p->size()), p->encoding, out, first_error);
  return found(std::move(out), first_error);
}

result<std::vector<payload>> extract_reports(std::string_view head, const body_pieces& rest) {
  structure_builder shape;
  shape.feed(head);
  if (!rest([&shape](std::string_view piece) { shape.feed(piece); }))
    return fail("reports.unreadable", "the message could not be read");
  auto built = shape.finish();
  if (!built) return fail("reports.too_big", "a header section larger than the limit");
  std::optional<error> first_error;
  struct wanted {
    const body_part* part;
    std::string encoded;
  };
  std::vector<wanted> keep;
  std::uint64_t held = 0;  // all kept parts together stay under the bound
  for (const auto* p : report_parts(built->structure)) {
    if (held + p->size() > max_encoded_bytes) {
      if (!first_error) first_error = fail("reports.too_big", "report parts larger than the limit");
      continue;
    }
    held += p->size();
    keep.push_back({p, {}});
  }
  // Second pass: each kept part's octets, wherever the pieces cut them.
  auto take = [&keep](std::uint64_t at, std::string_view piece) {
    for (auto& w : keep) {
      const std::uint64_t b = std::max<std::uint64_t>(w.part->body_begin, at);
      const std::uint64_t e = std::min<std::uint64_t>(w.part->body_end, at + piece.size());
      if (b < e) w.encoded.append(piece.substr(b - at, e - b));
    }
  };
  std::uint64_t at = 0;
  take(at, head);
  at += head.size();
  if (!keep.empty() && !rest([&](std::string_view piece) {
        take(at, piece);
        at += piece.size();
      }))
    return fail("reports.unreadable", "the message could not be read");
  std::vector<payload> out;
  for (auto& w : keep) {
    add_payload(w.encoded, w.part->encoding, out, first_error);
    w.encoded = std::string();
  }
  return found(std::move(out), first_error);
}

}  // namespace hearth::mail::reports
