#include "golden/gemm.hpp"

#include <stdexcept>
#include <string>

namespace qtsim::golden {

namespace {
// Dot products of 4 A rows with 4 B rows (16 accumulators): each loaded B byte is used four times and
// the inner loop is a contiguous widening multiply-add that GCC vectorises.
template <class TA>
inline void dot4x4(const TA* a, int64_t lda, const int8_t* b, int64_t ldb, int64_t k, int32_t acc[4][4]) {
  const TA *a0 = a, *a1 = a + lda, *a2 = a + 2 * lda, *a3 = a + 3 * lda;
  for (int j = 0; j < 4; ++j) {
    const int8_t* bj = b + j * ldb;
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int64_t p = 0; p < k; ++p) {
      const int32_t w = bj[p];
      s0 += a0[p] * w;
      s1 += a1[p] * w;
      s2 += a2[p] * w;
      s3 += a3[p] * w;
    }
    acc[0][j] = s0, acc[1][j] = s1, acc[2][j] = s2, acc[3][j] = s3;
  }
}

template <class TA>
inline int32_t dot1(const TA* a, const int8_t* b, int64_t k) {
  int32_t s = 0;
  for (int64_t p = 0; p < k; ++p) s += a[p] * static_cast<int32_t>(b[p]);
  return s;
}

template <class TA>
void gemm_kernel(const TA* a, const int8_t* b, const int32_t* bias, int64_t m, int64_t k, int64_t n, int32_t* c) {
  const int64_t m4 = m - m % 4, n4 = n - n % 4;
  int32_t acc[4][4];
  for (int64_t i = 0; i < m4; i += 4)
    for (int64_t j = 0; j < n4; j += 4) {
      dot4x4(a + i * k, k, b + j * k, k, k, acc);
      for (int r = 0; r < 4; ++r)
        for (int q = 0; q < 4; ++q) c[(i + r) * n + j + q] = acc[r][q] + (bias ? bias[j + q] : 0);
    }
  // Edges: the rows and columns the 4x4 blocks did not cover.
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = (i < m4 ? n4 : 0); j < n; ++j) c[i * n + j] = dot1(a + i * k, b + j * k, k) + (bias ? bias[j] : 0);
}
}  // namespace

void gemm_s8(const int8_t* a, const int8_t* b, const int32_t* bias, int64_t m, int64_t k, int64_t n, int32_t* c) {
  gemm_kernel(a, b, bias, m, k, n, c);
}

void gemm_u16s8(const uint16_t* a, const int8_t* b, const int32_t* bias, int64_t m, int64_t k, int64_t n, int32_t* c) {
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

// One [M,K] x [N,K]^T product into c, dispatching on A's element type.
void gemm_typed(const ITensor& a, int64_t a_off, const std::vector<int8_t>& b8, int64_t b_off, const int32_t* bias,
                int64_t m, int64_t k, int64_t n, IntType a_type, int32_t* c) {
  if (a_type.is_signed) {
    const std::vector<int8_t> a8 = narrow<int8_t>(a.data.data() + a_off, m * k, a_type, "gemm A");
    gemm_s8(a8.data(), b8.data() + b_off, bias, m, k, n, c);
  } else {
    const std::vector<uint16_t> a16 = narrow<uint16_t>(a.data.data() + a_off, m * k, a_type, "gemm A");
    gemm_u16s8(a16.data(), b8.data() + b_off, bias, m, k, n, c);
  }
}
}  // namespace

ITensor gemm(const ITensor& a, const ITensor& b, const std::vector<int64_t>& bias, IntType a_type, IntType b_type) {
  check_types(a_type, b_type);
  if (b.shape.size() != 2) throw std::invalid_argument("gemm weight must be [N, K], got " + shape_str(b.shape));
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
