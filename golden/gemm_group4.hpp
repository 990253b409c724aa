// Group-wise INT4 GEMM (QA-LoRA / GPTQ weights): uint4 codes, one (scale, zero) per output row and group of
// g consecutive K columns, zeros possibly fractional after a LoRA merge. Integer semantics: docs/intops.md.
#pragma once
#include <cstdint>
#include <vector>

#include "golden/tensor.hpp"

namespace qtsim::golden {

struct GroupInt4Weights {
  int64_t n = 0, k = 0, group = 32;
  std::vector<uint8_t> packed;  // uint4 codes, [n][k], two per byte
  std::vector<float> scale;     // [n][k/group]
  std::vector<double> zero;     // [n][k/group], in code units; integral unless merged with LoRA
  int64_t groups() const { return k / group; }
  void check() const;
};

// Host constants of the integer datapath.
struct Group4Consts {
  static constexpr int kZeroFrac = 8;    // fractional bits of a zero point
  static constexpr int kMultBits = 15;   // per-group scale multiplier: round(s_g / s_max * 2^15)
  std::vector<int64_t> zero_fx;          // [n][groups] round_half_even(zero * 2^8)
  std::vector<int64_t> mult;             // [n][groups] in [0, 2^15]
  std::vector<float> s_max;              // [n] largest group scale of the row
};
Group4Consts group4_consts(const GroupInt4Weights& w);

// Wide accumulator acc[m][n] = sum_g mult[n][g] * (2^8 * P[m][n][g] - zero_fx[n][g] * S[m][g]) + (bias[n] << 23),
// where P is the group's int32 dot product of A with the codes and S the group's sum of A.
// acc stands for a real value s_a * s_max[n] * 2^-23 * acc; bias is int32 at scale s_a * s_max[n].
ITensor gemm_group4(const ITensor& a, const GroupInt4Weights& w, const Group4Consts& c, const std::vector<int64_t>& bias);

// The accumulator's scalar steps, shared with the cycle model's post-processing unit: the bias in
// accumulator units, and one group's term from its partial sum P, activation sum S, zero and multiplier.
inline __int128 group4_bias_term(int64_t bias) {
  return static_cast<__int128>(bias) * (static_cast<__int128>(1) << (Group4Consts::kZeroFrac + Group4Consts::kMultBits));
}
inline __int128 group4_term(int64_t p, int64_t s, int64_t zero_fx, int64_t mult) {
  return (static_cast<__int128>(p) * (1 << Group4Consts::kZeroFrac) - static_cast<__int128>(zero_fx) * s) * mult;
}
int64_t group4_narrow(__int128 acc);  // to int64, or std::overflow_error

// The scale of the accumulator's unit for output channel n, for the requant that follows.
double group4_acc_scale(float s_a, const Group4Consts& c, int64_t n);

}  // namespace qtsim::golden
