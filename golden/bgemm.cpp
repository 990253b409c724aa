#include "golden/bgemm.hpp"

#include <stdexcept>
#include <string>

namespace qtsim::golden {

BitMatrix pack_signs(const ITensor& pm1) {
  BitMatrix m;
  m.k = pm1.last();
  m.rows = pm1.rows();
  const int64_t wpr = m.words_per_row();
  m.words.assign(static_cast<size_t>(m.rows * wpr), 0);
  for (int64_t r = 0; r < m.rows; ++r)
    for (int64_t j = 0; j < m.k; ++j) {
      const int64_t v = pm1[r * m.k + j];
      if (v != 1 && v != -1)
        throw std::invalid_argument("binary operand must be +-1, got " + std::to_string(v) + " at row " +
                                    std::to_string(r) + ", column " + std::to_string(j));
      if (v == 1) m.words[static_cast<size_t>(r * wpr + j / 64)] |= uint64_t{1} << (j % 64);
    }
  return m;
}

ITensor bgemm(const BitMatrix& a, const BitMatrix& b) {
  if (a.k != b.k) throw std::invalid_argument("bgemm K mismatch: " + std::to_string(a.k) + " vs " + std::to_string(b.k));
  const int64_t wpr = a.words_per_row();
  const int tail = static_cast<int>(a.k % 64);
  const uint64_t last_mask = tail ? (uint64_t{1} << tail) - 1 : ~uint64_t{0};
  ITensor out({a.rows, b.rows});
  for (int64_t i = 0; i < a.rows; ++i)
    for (int64_t j = 0; j < b.rows; ++j) {
      int64_t agree = 0;
      for (int64_t w = 0; w < wpr; ++w) {
        uint64_t x = ~(a.words[static_cast<size_t>(i * wpr + w)] ^ b.words[static_cast<size_t>(j * wpr + w)]);
        if (w == wpr - 1) x &= last_mask;
        agree += __builtin_popcountll(x);
      }
      out[i * b.rows + j] = 2 * agree - a.k;
    }
  return out;
}

}  // namespace qtsim::golden
