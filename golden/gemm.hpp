// Integer GEMMs. Weight matrices use PyTorch's Linear layout: B is N x K (one row per output channel),
// so C[m][n] = sum_k A[m][k] * B[n][k] (+ bias[n]).
#pragma once
#include <cstdint>
#include <vector>

#include "golden/int_type.hpp"
#include "golden/tensor.hpp"

namespace qtsim::golden {

// int8 x int8 -> int32, optional int32 bias: the golden's one fast kernel (int16 vpmaddwd blocks, gemm.cpp).
// Sums are exact in int32 for K * 128 * 128 + |bias| < 2^31 (K up to 131071 with zero bias).
void gemm_s8(const int8_t* a, const int8_t* b, const int32_t* bias, int64_t m, int64_t k, int64_t n, int32_t* c);
// The same kernel with a 16-bit A (Shiftmax probabilities below 2^15 against int8 v):
// exact in int32 for K * 32767 * 128 < 2^31 (K up to 512).
void gemm_i16s8(const int16_t* a, const int8_t* b, const int32_t* bias, int64_t m, int64_t k, int64_t n, int32_t* c);

// The same contract as an obviously correct triple loop in int64: the oracle of the fast kernel.
void gemm_ref(const int64_t* a, const int64_t* b, const int64_t* bias, int64_t m, int64_t k, int64_t n, int64_t* c);

// 4-bit values (int4 two's complement, or uint4 codes), two per byte: element 2i in the low nibble,
// 2i+1 in the high nibble (an odd count leaves the last high nibble zero).
std::vector<uint8_t> pack_nibbles(const std::vector<int64_t>& v, IntType type);
std::vector<int64_t> unpack_nibbles(const std::vector<uint8_t>& packed, int64_t count, IntType type);
inline int64_t nibble_value(unsigned nib, IntType type) {
  nib &= 0xF;
  return static_cast<int64_t>(nib) - ((type.is_signed && (nib & 0x8)) ? 16 : 0);
}

// Tensor-level forms used by the executor. a: [..., K] rows, b: [N, K].
// A: signed up to 8 bits or unsigned up to 16 bits; B: signed up to 8 bits. Values are range-checked.
ITensor gemm(const ITensor& a, const ITensor& b, const std::vector<int64_t>& bias, IntType a_type, IntType b_type);
// Batched A[h] @ B[h]^T (attention): a [H, M, K], b [H, N, K] -> [H, M, N].
ITensor bmm_nt(const ITensor& a, const ITensor& b, IntType a_type, IntType b_type);

}  // namespace qtsim::golden
