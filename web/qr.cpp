#include "web/qr.hpp"

#include <array>
#include <cstdint>
#include <cstdlib>

#include "core/crypto/crypto.hpp"

namespace hearth::web::qr {
namespace {

constexpr int max_version = 20;
// ISO/IEC 18004 table 9, level M, versions 1..20: error correction codewords per block and
// number of blocks.
constexpr std::array<int, max_version + 1> ecc_per_block = {0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26,
                                                            30, 22, 22, 24, 24, 28, 28, 26, 26, 26};
constexpr std::array<int, max_version + 1> num_blocks = {0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16};

// Modules left for data and error correction once the function patterns are placed.
int raw_modules(int v) {
  int r = (16 * v + 128) * v + 64;
  if (v >= 2) {
    int n = v / 7 + 2;
    r -= (25 * n - 10) * n - 55;
    if (v >= 7) r -= 36;
  }
  return r;
}

int data_codewords(int v) { return raw_modules(v) / 8 - ecc_per_block[v] * num_blocks[v]; }

std::vector<int> alignment_positions(int v) {
  if (v == 1) return {};
  int n = v / 7 + 2;
  int step = (v * 4 + n * 2 + 1) / (n * 2 - 2) * 2;
  std::vector<int> out(n);
  out[0] = 6;
  for (int i = n - 1, pos = v * 4 + 10; i >= 1; --i, pos -= step) out[i] = pos;
  return out;
}

std::uint8_t gf_mul(std::uint8_t x, std::uint8_t y) {
  int z = 0;
  for (int i = 7; i >= 0; --i) {
    z = (z << 1) ^ ((z >> 7) * 0x11d);
    z ^= ((y >> i) & 1) * x;
  }
  return static_cast<std::uint8_t>(z);
}

// The Reed-Solomon generator polynomial of `degree` (coefficients, highest first, leading 1 dropped).
std::vector<std::uint8_t> rs_generator(int degree) {
  std::vector<std::uint8_t> g(degree, 0);
  g[degree - 1] = 1;
  std::uint8_t root = 1;
  for (int i = 0; i < degree; ++i) {
    for (int j = 0; j < degree; ++j) {
      g[j] = gf_mul(g[j], root);
      if (j + 1 < degree) g[j] ^= g[j + 1];
    }
    root = gf_mul(root, 2);
  }
  return g;
}

std::vector<std::uint8_t> rs_remainder(const std::vector<std::uint8_t>& data, const std::vector<std::uint8_t>& gen) {
  std::vector<std::uint8_t> r(gen.size(), 0);
  for (std::uint8_t b : data) {
    std::uint8_t factor = b ^ r[0];
    r.erase(r.begin());
    r.push_back(0);
    for (std::size_t i = 0; i < r.size(); ++i) r[i] ^= gf_mul(gen[i], factor);
  }
  return r;
}

class builder {
 public:
  explicit builder(int v) : v_(v), size_(17 + 4 * v), dark_(size_ * size_), function_(size_ * size_) {}

  code build(const std::vector<std::uint8_t>& codewords) {
    draw_function_patterns();
    place(codewords);
    apply_mask();
    draw_format();
    return code{size_, std::move(dark_)};
  }

 private:
  void set(int x, int y, bool d) {
    dark_[y * size_ + x] = d;
    function_[y * size_ + x] = true;
  }

  void draw_function_patterns() {
    for (int i = 0; i < size_; ++i) {
      set(6, i, i % 2 == 0);
      set(i, 6, i % 2 == 0);
    }
    for (auto [cx, cy] : {std::pair{3, 3}, std::pair{size_ - 4, 3}, std::pair{3, size_ - 4}})
      for (int dy = -4; dy <= 4; ++dy)
        for (int dx = -4; dx <= 4; ++dx) {
          int x = cx + dx, y = cy + dy;
          if (x < 0 || y < 0 || x >= size_ || y >= size_) continue;
          int dist = std::max(std::abs(dx), std::abs(dy));
          set(x, y, dist != 2 && dist != 4);
        }
    auto pos = alignment_positions(v_);
    const int n = static_cast<int>(pos.size());
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) {
        if ((i == 0 && j == 0) || (i == 0 && j == n - 1) || (i == n - 1 && j == 0)) continue;  // the finders
        for (int dy = -2; dy <= 2; ++dy)
          for (int dx = -2; dx <= 2; ++dx) set(pos[i] + dx, pos[j] + dy, std::max(std::abs(dx), std::abs(dy)) != 1);
      }
    draw_format();  // reserves the format areas; drawn again after masking
    if (v_ >= 7) {
      int rem = v_;
      for (int i = 0; i < 12; ++i) rem = (rem << 1) ^ ((rem >> 11) * 0x1f25);
      long bits = (static_cast<long>(v_) << 12) | rem;
      for (int i = 0; i < 18; ++i) {
        bool b = (bits >> i) & 1;
        int a = size_ - 11 + i % 3, c = i / 3;
        set(a, c, b);
        set(c, a, b);
      }
    }
  }

  // Level M is 00, mask 0 (ISO/IEC 18004 §7.9); BCH(15,5) and the fixed XOR pattern.
  void draw_format() {
    const int data = (0 << 3) | mask_;
    int rem = data;
    for (int i = 0; i < 10; ++i) rem = (rem << 1) ^ ((rem >> 9) * 0x537);
    const int bits = ((data << 10) | rem) ^ 0x5412;
    auto bit = [&](int i) { return ((bits >> i) & 1) != 0; };
    for (int i = 0; i <= 5; ++i) set(8, i, bit(i));
    set(8, 7, bit(6));
    set(8, 8, bit(7));
    set(7, 8, bit(8));
    for (int i = 9; i < 15; ++i) set(14 - i, 8, bit(i));
    for (int i = 0; i < 8; ++i) set(size_ - 1 - i, 8, bit(i));
    for (int i = 8; i < 15; ++i) set(8, size_ - 15 + i, bit(i));
    set(8, size_ - 8, true);  // the dark module
  }

  void place(const std::vector<std::uint8_t>& cw) {
    std::size_t i = 0;
    const std::size_t total = cw.size() * 8;
    for (int right = size_ - 1; right >= 1; right -= 2) {
      if (right == 6) right = 5;  // skip the vertical timing pattern
      for (int vert = 0; vert < size_; ++vert)
        for (int j = 0; j < 2; ++j) {
          int x = right - j;
          bool upward = ((right + 1) & 2) == 0;
          int y = upward ? size_ - 1 - vert : vert;
          if (function_[y * size_ + x] || i >= total) continue;
          dark_[y * size_ + x] = ((cw[i >> 3] >> (7 - (i & 7))) & 1) != 0;
          ++i;
        }
    }
  }

  // One fixed mask rather than the penalty search: any mask decodes, and a checkerboard keeps
  // long runs rare enough for phone cameras (the test reads every code back with zbarimg).
  void apply_mask() {
    for (int y = 0; y < size_; ++y)
      for (int x = 0; x < size_; ++x)
        if (!function_[y * size_ + x] && (x + y) % 2 == 0) dark_[y * size_ + x] = !dark_[y * size_ + x];
  }

  int v_;
  int size_;
  int mask_ = 0;
  std::vector<bool> dark_;
  std::vector<bool> function_;
};

}  // namespace

std::optional<code> encode(std::string_view text) {
  int v = 1;
  for (; v <= max_version; ++v) {
    int count_bits = v <= 9 ? 8 : 16;
    if (4 + count_bits + static_cast<int>(text.size()) * 8 <= data_codewords(v) * 8) break;
  }
  if (v > max_version) return std::nullopt;
  const int capacity = data_codewords(v);
  // Byte mode (0100), the length, the octets, a terminator, then the pad codewords.
  std::vector<bool> bits;
  auto put = [&](std::uint32_t val, int n) {
    for (int i = n - 1; i >= 0; --i) bits.push_back(((val >> i) & 1) != 0);
  };
  put(4, 4);
  put(static_cast<std::uint32_t>(text.size()), v <= 9 ? 8 : 16);
  for (unsigned char c : text) put(c, 8);
  for (int i = 0; i < 4 && static_cast<int>(bits.size()) < capacity * 8; ++i) bits.push_back(false);
  while (bits.size() % 8) bits.push_back(false);
  std::vector<std::uint8_t> data;
  for (std::size_t i = 0; i < bits.size(); i += 8) {
    std::uint8_t b = 0;
    for (int k = 0; k < 8; ++k) b = static_cast<std::uint8_t>((b << 1) | bits[i + k]);
    data.push_back(b);
  }
  for (std::uint8_t pad = 0xec; static_cast<int>(data.size()) < capacity; pad ^= 0xec ^ 0x11) data.push_back(pad);

  // Split into blocks (the short ones first), add each block's error correction, interleave.
  const int blocks = num_blocks[v], ecc = ecc_per_block[v];
  const int raw = raw_modules(v) / 8;
  const int short_blocks = blocks - raw % blocks;
  const int short_len = raw / blocks;  // data + ecc of a short block
  auto gen = rs_generator(ecc);
  std::vector<std::vector<std::uint8_t>> parts;
  for (int i = 0, k = 0; i < blocks; ++i) {
    int len = short_len - ecc + (i < short_blocks ? 0 : 1);
    std::vector<std::uint8_t> d(data.begin() + k, data.begin() + k + len);
    k += len;
    auto e = rs_remainder(d, gen);
    if (i < short_blocks) d.push_back(0);  // a hole, skipped when interleaving
    d.insert(d.end(), e.begin(), e.end());
    parts.push_back(std::move(d));
  }
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < parts[0].size(); ++i)
    for (int j = 0; j < blocks; ++j)
      if (static_cast<int>(i) != short_len - ecc || j >= short_blocks) out.push_back(parts[j][i]);
  return builder(v).build(out);
}

std::string svg(const code& c) {
  const int n = c.size + 8;
  std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + std::to_string(n) + " " + std::to_string(n) +
                    "\" shape-rendering=\"crispEdges\"><rect width=\"" + std::to_string(n) + "\" height=\"" +
                    std::to_string(n) + "\" fill=\"#fff\"/><path fill=\"#000\" d=\"";
  for (int y = 0; y < c.size; ++y)
    for (int x = 0; x < c.size; ++x)
      if (c.at(x, y)) out += "M" + std::to_string(x + 4) + " " + std::to_string(y + 4) + "h1v1h-1z";
  out += "\"/></svg>";
  return out;
}

std::string svg_data_uri(const code& c) { return "data:image/svg+xml;base64," + crypto::base64_encode(svg(c)); }

}  // namespace hearth::web::qr
