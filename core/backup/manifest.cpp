#include "core/backup/manifest.hpp"

#include <charconv>

#include "core/crypto/crypto.hpp"

namespace hearth::backup {
namespace {

bool is_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool parse_u64(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

error bad(std::size_t line, const std::string& why) {
  return fail("backup.manifest", "manifest line " + std::to_string(line) + ": " + why);
}

// Splits off the next space-separated field; the last field of a "file" line (the path) may
// itself contain spaces, so callers take the rest of the line for it.
std::string_view next_field(std::string_view& rest) {
  auto sp = rest.find(' ');
  auto f = rest.substr(0, sp);
  rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
  return f;
}

}  // namespace

bool valid_snapshot_id(std::string_view id) {
  if (id.empty() || id.size() > 64 || id == "." || id == "..") return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '_' ||
          c == '-'))
      return false;
  return true;
}

bool valid_path(std::string_view path) {
  if (path.empty() || path.size() > 1024 || path.front() == '/') return false;
  for (unsigned char c : path)
    if (c < 0x20 || c == 0x7f) return false;
  while (!path.empty()) {
    auto sl = path.find('/');
    auto part = path.substr(0, sl);
    if (part.empty() || part == "." || part == "..") return false;
    if (sl == std::string_view::npos) break;
    path.remove_prefix(sl + 1);
    if (path.empty()) return false;  // trailing '/'
  }
  return true;
}

std::string format(const manifest& m) {
  std::string out = "hearth-backup 1\nsnapshot " + m.snapshot + "\ncreated " + std::to_string(m.created) + "\n";
  for (const auto& f : m.files) out += "file " + f.sha256 + " " + std::to_string(f.size) + " " + f.path + "\n";
  for (const auto& b : m.blobs) out += "blob " + b.sha256 + " " + std::to_string(b.size) + "\n";
  out += "end " + crypto::hex_encode(crypto::sha256(out)) + "\n";
  return out;
}

result<manifest> parse(std::string_view text) {
  manifest m;
  std::size_t pos = 0, line_no = 0;
  bool ended = false, have_snapshot = false, have_created = false;
  while (pos < text.size()) {
    ++line_no;
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) return bad(line_no, "no end of line (truncated?)");
    if (nl - pos > max_line) return bad(line_no, "line too long");
    std::string_view line = text.substr(pos, nl - pos);
    const std::size_t line_start = pos;
    pos = nl + 1;
    if (ended) return bad(line_no, "text after the end line");
    std::string_view rest = line;
    auto kind = next_field(rest);
    if (line_no == 1) {
      if (line != "hearth-backup 1") return bad(line_no, "not a Hearth backup manifest (version 1)");
      continue;
    }
    if (kind == "snapshot") {
      if (have_snapshot || !valid_snapshot_id(rest)) return bad(line_no, "bad snapshot line");
      m.snapshot = std::string(rest);
      have_snapshot = true;
    } else if (kind == "created") {
      std::uint64_t v = 0;
      if (have_created || !parse_u64(rest, v) || v > (1ull << 62)) return bad(line_no, "bad created line");
      m.created = static_cast<std::int64_t>(v);
      have_created = true;
    } else if (kind == "file" || kind == "blob") {
      if (m.files.size() + m.blobs.size() >= max_entries) return bad(line_no, "too many entries");
      entry e;
      auto sha = next_field(rest);
      if (!is_hex64(sha)) return bad(line_no, "bad checksum");
      e.sha256 = std::string(sha);
      std::string_view size_text = kind == "file" ? next_field(rest) : rest;
      if (!parse_u64(size_text, e.size)) return bad(line_no, "bad size");
      if (kind == "file") {
        if (!valid_path(rest)) return bad(line_no, "bad path");
        e.path = std::string(rest);
        m.files.push_back(std::move(e));
      } else {
        m.blobs.push_back(std::move(e));
      }
    } else if (kind == "end") {
      if (!is_hex64(rest)) return bad(line_no, "bad end line");
      if (crypto::hex_encode(crypto::sha256(text.substr(0, line_start))) != rest)
        return bad(line_no, "checksum of the manifest does not match (edited or damaged)");
      ended = true;
    } else {
      return bad(line_no, "unknown entry");
    }
  }
  if (line_no == 0) return bad(1, "empty manifest");
  if (!ended) return bad(line_no, "no end line (truncated?)");
  if (!have_snapshot || !have_created) return bad(line_no, "snapshot or created line missing");
  return m;
}

}  // namespace hearth::backup
