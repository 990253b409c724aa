// Binary GEMM by XNOR-popcount on packed 64-bit words (BinaryViT datapath).
#pragma once
#include <cstdint>
#include <vector>

#include "golden/tensor.hpp"

namespace qtsim::golden {

// Rows of +-1 values, bit 1 for +1 and 0 for -1, K bits per row in ceil(K/64) words (bit j of word w is
// element 64w + j); padding bits are zero.
struct BitMatrix {
  int64_t rows = 0, k = 0;
  std::vector<uint64_t> words;
  int64_t words_per_row() const { return (k + 63) / 64; }
};

// From a [rows, K] tensor of +-1 (a 0 is an error: one bit cannot hold it).
BitMatrix pack_signs(const ITensor& pm1);

// C[m][n] = sum_k a[m][k] * b[n][k] = 2 * popcount(xnor over the K valid bits) - K.
ITensor bgemm(const BitMatrix& a, const BitMatrix& b);

}  // namespace qtsim::golden
