// I-LayerNorm (I-ViT IntLayerNorm) over the last axis: integer mean, variance, a 10-step Newton square root.
#pragma once
#include <vector>

#include "golden/shift_exp.hpp"
#include "golden/tensor.hpp"

namespace qtsim::golden {

constexpr int kNewtonSteps = 10;

// Exactly ten integer Newton steps from 2^16, no early exit (the authors' and the hardware's behaviour:
// not floor(sqrt(var)) outside about [2^15.5, 2^46), and var = 0 gives 64).
inline int64_t ilayernorm_sqrt(int64_t var) {
  int64_t k = int64_t{1} << 16;
  for (int i = 0; i < kNewtonSteps; ++i) k = (k + var / k) / 2;
  return k;
}

// round_half_even(sum / c), c > 0.
inline int64_t round_div_half_even(int64_t sum, int64_t c) {
  const int64_t q = floor_div(sum, c);
  const int64_t rem2 = 2 * (sum - q * c);  // in [0, 2c)
  if (rem2 > c || (rem2 == c && (q & 1))) return q + 1;
  return q;
}

inline int64_t ilayernorm_factor(int64_t std, Numerator num) { return numerator_value(num) / std; }
// One output element from its centred input y = x - mean.
inline int64_t ilayernorm_out(int64_t y, int64_t factor, int64_t bias_int) { return ((y * factor) >> 1) + bias_int; }

struct ILayerNormParams {
  float scale = 1.0f;        // input scale (informational: the integer path does not use it)
  std::vector<float> gamma;  // per channel
  std::vector<float> beta;   // per channel
  Numerator numerator = Numerator::pow2_31;
  void check(int64_t channels) const;
};

// Host constants: y2's scale fl32(sqrt(C))/2^30, the per-channel integer bias and output scale.
float ilayernorm_unit_scale(int64_t channels);
std::vector<int64_t> ilayernorm_bias_int(const ILayerNormParams& p, int64_t channels);
std::vector<float> ilayernorm_out_scale(const ILayerNormParams& p, int64_t channels);

struct ILayerNormTaps {
  ITensor mean, var, std;  // one per row
  std::vector<int64_t> bias_int;
};

// One row given its precomputed bias_int (length len).
void ilayernorm_row(const int64_t* x, int64_t len, const int64_t* bias_int, Numerator num, int64_t* out,
                    int64_t* mean = nullptr, int64_t* var = nullptr, int64_t* std = nullptr);

ITensor ilayernorm(const ITensor& x, const ILayerNormParams& p, ILayerNormTaps* taps = nullptr);

}  // namespace qtsim::golden
