#include "mail/queue/store.hpp"

#include <cctype>
#include <cstring>
#include <fstream>
#include <random>

namespace hearth::mail::queue {

std::string domain_of(std::string_view address) {
  auto at = address.rfind('@');
  if (at == std::string_view::npos) return {};
  std::string d(address.substr(at + 1));
  for (auto& c : d) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return d;
}

namespace {

bool valid_node_id(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

}  // namespace

result<std::string> node_id(const std::filesystem::path& data_dir) {
  const auto file = data_dir / "node-id";
  {
    std::ifstream in(file);
    std::string line;
    if (in && std::getline(in, line)) {
      if (valid_node_id(line)) return line;
      return fail("queue.io", file.string() + ": not a node id (letters, digits, '-', '_', '.'; at most 64)");
    }
  }
  // 64 random bits: two data directories never pick the same id by chance.
  std::random_device rd;
  std::uint64_t r = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  static const char* hex = "0123456789abcdef";
  std::string id = "node-";
  for (int i = 0; i < 16; ++i, r >>= 4) id += hex[r & 0xf];
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  // Written to a temp file and renamed: a crash never leaves an empty id behind.
  const auto tmp = data_dir / "node-id.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << id << '\n';
    out.flush();
    if (!out) return fail("queue.io", tmp.string() + ": " + std::strerror(errno));
  }
  std::filesystem::rename(tmp, file, ec);
  if (ec) return fail("queue.io", file.string() + ": " + ec.message());
  return id;
}

result<std::string> store::read_message(std::string_view id) {
  auto r = open_message(id);
  if (!r) return r.error();
  std::string out;
  for (;;) {
    auto piece = (*r)->next();
    if (!piece) return piece.error();
    if (piece->empty()) return out;
    out += *piece;
  }
}

}  // namespace hearth::mail::queue
