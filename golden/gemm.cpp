#include "golden/gemm.hpp"

#include <algorithm>

#include <stdexcept>

#if defined(__AVX2__)
#include <immintrin.h>
#endif
#include <string>

namespace qtsim::golden {

namespace {

// The golden's one fast kernel. Operands are widened to int16 and laid out with K padded to a multiple of
// 16 (zeros), M to a multiple of 2 and N of 4; every 2x4 block of C is eight 256-bit accumulators fed by
// vpmaddwd (16 exact int16 x int16 products per instruction, summed in pairs into int32), reduced at the end.
// Tested against gemm_ref (the int64 triple loop) on odd shapes and extremes.
constexpr int64_t kBlockM = 2, kBlockN = 4, kStepK = 16;

int64_t round_up(int64_t v, int64_t to) { return (v + to - 1) / to * to; }

template <class T>
std::vector<int16_t> pad_rows(const T* src, int64_t rows, int64_t k, int64_t rows_p, int64_t kp) {
  std::vector<int16_t> out(static_cast<size_t>(rows_p * kp), 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t p = 0; p < k; ++p) out[static_cast<size_t>(r * kp + p)] = static_cast<int16_t>(src[r * k + p]);
  return out;
}

#if defined(__AVX2__)
inline int32_t hsum(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}
#endif

// out[2][4] = A rows i, i+1 . B rows j..j+3 over kp (padded) columns. Kept out of line: inlined into the
// block loops, GCC 12 runs out of registers and spills the A vectors in the hot loop.
__attribute__((noinline)) void block_2x4(const int16_t* a, const int16_t* b, int64_t kp, int32_t out[kBlockM][kBlockN]) {
#if defined(__AVX2__)
  // Written out by row: with arrays of __m256i GCC 12 bounces the A vectors through the stack.
  auto load = [](const int16_t* x) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x)); };
  auto mac = [](__m256i acc, __m256i x, __m256i y) { return _mm256_add_epi32(acc, _mm256_madd_epi16(x, y)); };
  __m256i c00 = _mm256_setzero_si256(), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
  for (int64_t p = 0; p < kp; p += kStepK) {
    const __m256i a0 = load(a + p), a1 = load(a + kp + p);
    const __m256i b0 = load(b + p), b1 = load(b + kp + p), b2 = load(b + 2 * kp + p), b3 = load(b + 3 * kp + p);
    c00 = mac(c00, a0, b0), c01 = mac(c01, a0, b1), c02 = mac(c02, a0, b2), c03 = mac(c03, a0, b3);
    c10 = mac(c10, a1, b0), c11 = mac(c11, a1, b1), c12 = mac(c12, a1, b2), c13 = mac(c13, a1, b3);
  }
  out[0][0] = hsum(c00), out[0][1] = hsum(c01), out[0][2] = hsum(c02), out[0][3] = hsum(c03);
  out[1][0] = hsum(c10), out[1][1] = hsum(c11), out[1][2] = hsum(c12), out[1][3] = hsum(c13);
#else
  for (int r = 0; r < kBlockM; ++r)
    for (int q = 0; q < kBlockN; ++q) {
      int32_t s = 0;
      for (int64_t p = 0; p < kp; ++p) s += a[r * kp + p] * static_cast<int32_t>(b[q * kp + p]);
      out[r][q] = s;
    }
#endif
}

template <class TA>
void gemm_kernel(const TA* a, const int8_t* b, const int32_t* bias, int64_t m, int64_t k, int64_t n, int32_t* c) {
  const int64_t kp = round_up(k, kStepK), mp = round_up(m, kBlockM), np = round_up(n, kBlockN);
  const std::vector<int16_t> a16 = pad_rows(a, m, k, mp, kp), b16 = pad_rows(b, n, k, np, kp);
  int32_t blk[kBlockM][kBlockN];
  for (int64_t i = 0; i < mp; i += kBlockM)
    for (int64_t j = 0; j < np; j += kBlockN) {
      block_2x4(&a16[static_cast<size_t>(i * kp)], &b16[static_cast<size_t>(j * kp)], kp, blk);
      for (int64_t r = 0; r < kBlockM && i + r < m; ++r)
        for (int64_t q = 0; q < kBlockN && j + q < n; ++q) c[(i + r) * n + j + q] = blk[r][q] + (bias ? bias[j + q] : 0);
    }
}
}  // namespace

void gemm_s8(const int8_t* a, const int8_t* b, const int32_t* bias, int64_t m, int64_t k, int64_t n, int32_t* c) {
  gemm_kernel(a, b, bias, m, k, n, c);
}

void gemm_i16s8(const int16_t* a, const int8_t* b, const int32_t* bias, int64_t m, int64_t k, int64_t n, int32_t* c) {
  gemm_kernel(a, b, bias, m, k, n, c);
}

void gemm_ref(const int64_t* a, const int64_t* b, const int64_t* bias, int64_t m, int64_t k, int64_t n, int64_t* c) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      int64_t s = bias ? bias[j] : 0;
      for (int64_t p = 0; p < k; ++p) s += a[i * k + p] * b[j * k + p];
      c[i * n + j] = s;
    }
}

std::vector<uint8_t> pack_nibbles(const std::vector<int64_t>& v, IntType type) {
  if (type.bits != 4) throw std::invalid_argument("pack_nibbles needs a 4-bit type, got " + type.name());
  std::vector<uint8_t> out((v.size() + 1) / 2, 0);
  for (size_t i = 0; i < v.size(); ++i) {
    if (!type.holds(v[i]))
      throw std::invalid_argument(type.name() + " value out of range: " + std::to_string(v[i]));
    const auto nib = static_cast<uint8_t>(v[i] & 0xF);
    out[i / 2] |= static_cast<uint8_t>(i % 2 ? nib << 4 : nib);
  }
  return out;
}

std::vector<int64_t> unpack_nibbles(const std::vector<uint8_t>& packed, int64_t count, IntType type) {
  if (static_cast<int64_t>(packed.size()) * 2 < count) throw std::invalid_argument("nibble buffer too short");
  std::vector<int64_t> out(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    const unsigned byte = packed[static_cast<size_t>(i / 2)];
    out[static_cast<size_t>(i)] = nibble_value(i % 2 ? byte >> 4 : byte, type);
  }
  return out;
}

namespace {
template <class T>
std::vector<T> narrow(const int64_t* v, int64_t count, IntType type, const char* what) {
  std::vector<T> out(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    if (!type.holds(v[i]))
      throw std::invalid_argument(std::string(what) + " value " + std::to_string(v[i]) + " at index " +
                                  std::to_string(i) + " does not fit " + type.name());
    out[static_cast<size_t>(i)] = static_cast<T>(v[i]);
  }
  return out;
}

void check_types(IntType a, IntType b) {
  const bool a_ok = (a.is_signed && a.bits >= 1 && a.bits <= 8) || (!a.is_signed && a.bits >= 1 && a.bits <= 16);
  if (!a_ok) throw std::invalid_argument("gemm A type " + a.name() + " unsupported (int1..int8 or uint1..uint16)");
  if (!b.is_signed || b.bits < 1 || b.bits > 8)
    throw std::invalid_argument("gemm B type " + b.name() + " unsupported (int1..int8)");
}

// One [M,K] x [N,K]^T product into c. A's values all fit int16 except a Shiftmax probability of exactly 2^15
// (a row with one dominant logit): such a rare A goes through the int64 triple loop instead.
void gemm_typed(const ITensor& a, int64_t a_off, const std::vector<int8_t>& b8, int64_t b_off, const int32_t* bias,
                int64_t m, int64_t k, int64_t n, IntType a_type, int32_t* c) {
  const int64_t* av = a.data.data() + a_off;
  for (int64_t i = 0; i < m * k; ++i)
    if (!a_type.holds(av[i]))
      throw std::invalid_argument("gemm A value " + std::to_string(av[i]) + " at index " + std::to_string(i) + " does not fit " + a_type.name());
  if (std::all_of(av, av + m * k, [](int64_t v) { return int_type(16).holds(v); })) {
    const std::vector<int16_t> a16 = narrow<int16_t>(av, m * k, int_type(16), "gemm A");
    gemm_i16s8(a16.data(), b8.data() + b_off, bias, m, k, n, c);
    return;
  }
  const std::vector<int64_t> b64(b8.begin() + b_off, b8.begin() + b_off + n * k);
  std::vector<int64_t> bias64(bias ? bias : nullptr, bias ? bias + n : nullptr), c64(static_cast<size_t>(m * n));
  gemm_ref(av, b64.data(), bias ? bias64.data() : nullptr, m, k, n, c64.data());
  for (int64_t i = 0; i < m * n; ++i) c[i] = static_cast<int32_t>(c64[static_cast<size_t>(i)]);
}
}  // namespace

ITensor gemm(const ITensor& a, const ITensor& b, const std::vector<int64_t>& bias, IntType a_type, IntType b_type) {
  check_types(a_type, b_type);
  if (b.shape.size() != 2) throw std::invalid_argument("gemm weight must be [N, K], got " + shape_str(b.shape));
  if (a.shape.empty()) throw std::invalid_argument("gemm input must be [..., K], got shape []");
  const int64_t k = a.last(), n = b.shape[0], m = a.rows();
  if (b.shape[1] != k)
    throw std::invalid_argument("gemm K mismatch: A " + shape_str(a.shape) + ", B " + shape_str(b.shape));
  if (!bias.empty() && static_cast<int64_t>(bias.size()) != n)
    throw std::invalid_argument("gemm bias has " + std::to_string(bias.size()) + " values for N=" + std::to_string(n));
  const std::vector<int32_t> bias32 = narrow<int32_t>(bias.data(), static_cast<int64_t>(bias.size()), int_type(32), "gemm bias");
  const std::vector<int8_t> b8 = narrow<int8_t>(b.data.data(), b.size(), b_type, "gemm B");
  std::vector<int32_t> c(static_cast<size_t>(m * n));
  gemm_typed(a, 0, b8, 0, bias.empty() ? nullptr : bias32.data(), m, k, n, a_type, c.data());
  Shape os = a.shape;
  os.back() = n;
  return ITensor(os, std::vector<int64_t>(c.begin(), c.end()));
}

ITensor bmm_nt(const ITensor& a, const ITensor& b, IntType a_type, IntType b_type) {
  check_types(a_type, b_type);
  if (a.shape.size() != 3 || b.shape.size() != 3 || a.shape[0] != b.shape[0] || a.shape[2] != b.shape[2])
    throw std::invalid_argument("bmm_nt needs [H,M,K] x [H,N,K], got " + shape_str(a.shape) + " x " + shape_str(b.shape));
  const int64_t h = a.shape[0], m = a.shape[1], k = a.shape[2], n = b.shape[1];
  const std::vector<int8_t> b8 = narrow<int8_t>(b.data.data(), b.size(), b_type, "bmm B");
  ITensor out({h, m, n});
  std::vector<int32_t> c(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < h; ++i) {
    gemm_typed(a, i * m * k, b8, i * n * k, nullptr, m, k, n, a_type, c.data());
    for (int64_t j = 0; j < m * n; ++j) out[i * m * n + j] = c[static_cast<size_t>(j)];
  }
  return out;
}

}  // namespace qtsim::golden
