// Quantizers: how float tensors become the integers the golden computes on, and their host-side scales.
#pragma once
#include <cstdint>
#include <vector>

#include "golden/gemm_group4.hpp"
#include "golden/tensor.hpp"

namespace qtsim::golden {

constexpr float kScaleFloor = 1.1920929e-07f;  // float32 epsilon: I-ViT's lower bound on every scale

// I-ViT QuantAct range statistics: an EMA (momentum 0.95) of each batch's global min and max; the first
// batch (stored min == max) is copied.
struct ActObserver {
  float min = 0, max = 0;
  static constexpr float momentum = 0.95f;
  void observe(const float* x, int64_t count);
  void observe(const FTensor& t) { observe(t.data.data(), t.size()); }
  // Symmetric signed scale: max(-min, max) / (2^(bits-1) - 1), at least float32 epsilon.
  float scale(int bits) const;
};

// Input path: clamp(round_half_even(fl32(1/s) * x), -2^(b-1), 2^(b-1)-1).
ITensor quantize_symmetric(const FTensor& x, float scale, int bits);
FTensor dequantize(const ITensor& q, float scale);

// Per output channel (rows of [N, K]): s_w[c] = max|w_c| / (2^(b-1)-1), at least epsilon.
std::vector<float> weight_scales(const FTensor& w, int bits);
ITensor quantize_weight(const FTensor& w, const std::vector<float>& scales, int bits);
// int32 bias at scale fl32(s_x * s_w[c]).
std::vector<int64_t> quantize_bias(const std::vector<float>& b, float s_x, const std::vector<float>& s_w);

// QA-LoRA / GPTQ min-max group quantizer (round to nearest; no GPTQ error compensation): per row and group
// of g columns, lo = min(0, min w), hi = max(0, max w), scale = (hi - lo)/15, zero = round(-lo/scale).
GroupInt4Weights quantize_group_int4(const FTensor& w, int64_t group);
// Absorbs a LoRA update (ba: [N, K/g], the adapter's per-group contribution) into the zero points:
// zero[c][g] -= ba[c][g] * alpha_over_r / g / scale[c][g]. The zeros become fractional.
void merge_lora_into_zeros(GroupInt4Weights& w, const FTensor& ba, float alpha_over_r);
FTensor dequantize_group_int4(const GroupInt4Weights& w);

// RepQ-ViT log-sqrt(2) quantizer of attention probabilities. Code q = round(-2 log2(x / delta)),
// values with q >= 2^b (and x = 0) become zero; dequantised x = delta * 2^(-q/2).
constexpr int64_t kLogZero = -1;  // the code of a value quantised to zero
int64_t logsqrt2_code(float x, float delta, int bits);
float logsqrt2_value(int64_t code, float delta);
// Integer form for Shiftmax outputs P (scale 2^-15): the code is the number of leading thresholds
// t_j = floor(delta * 2^15 * 2^(-(j + 0.5)/2)), j = 0..2^b-1, that P does not exceed (a comparator bank);
// all 2^b exceeded, or P = 0, gives zero.
std::vector<int64_t> logsqrt2_thresholds(float delta, int bits);
int64_t logsqrt2_code_int(int64_t p, const std::vector<int64_t>& thresholds);
// attn @ v split by code parity, as shift-adds: even codes sum v << (S - q/2), odd codes sum
// v << (S - (q+1)/2), S = 2^(b-1). Value = delta * s_v * 2^-S * (even + sqrt(2) * odd). The sums are int64,
// so b is at most kLogSqrt2MaxBits: v << 2^(b-1) over thousands of keys still fits.
constexpr int kLogSqrt2MaxBits = 6;
struct LogSqrt2Acc {
  ITensor even, odd;
};
LogSqrt2Acc logsqrt2_attn_v(const ITensor& codes /*[H,M,T]*/, const ITensor& v /*[H,T,D]*/, int bits);
// One key's term of that sum: v << (2^(b-1) - ceil(q/2)), for the even sum when q is even, the odd one when
// odd; zero for the zero code. The cycle model's shift-add lanes take it from here.
inline int64_t logsqrt2_shift_term(int64_t v, int64_t q, int bits) {
  return q == kLogZero ? 0 : v * (int64_t{1} << ((int64_t{1} << (bits - 1)) - (q + 1) / 2));
}

// BinaryViT (Le & Li) binarisation. Weight row c: alpha_c = mean|W_c| (uncentred), codes sign(W_c - mean(W_c))
// with sign(0) = 0.
struct BinaryWeights {
  ITensor sign;  // [N, K] in {-1, 0, 1}
  std::vector<float> alpha;
};
BinaryWeights binarize_weight(const FTensor& w);
inline int64_t sign_of(int64_t v) { return (v > 0) - (v < 0); }
// Activation sign(x + beta_c) on integers with beta given in the same units: +1, -1, or 0 at equality.
ITensor sign_shift(const ITensor& x, const std::vector<int64_t>& beta);
// The binary datapath's activation: +1 where x + beta_c >= 0, else -1. One bit cannot hold sign(0) = 0, so
// the tie goes to +1 (equivalently sign(x + beta_c + 1/2): beta on the half-integer grid).
ITensor binarize_pm1(const ITensor& x, const std::vector<int64_t>& beta);
inline int64_t binarize_value(int64_t x, int64_t beta) { return x + beta >= 0 ? 1 : -1; }
// A binary linear's alpha_c and folded norm in fixed point: dot * mult + offset.
inline int64_t affine_value(int64_t x, int64_t mult, int64_t offset) { return x * mult + offset; }
// Binarised attention probabilities: 1 where p >= threshold (alpha / 2 in 2^-15 units).
inline int64_t mask_value(int64_t p, int64_t threshold) { return p >= threshold ? 1 : 0; }
// Attention probabilities binarised to {0, alpha}: alpha * clamp(round(p / alpha), 0, 1).
FTensor binarize_probs(const FTensor& p, float alpha);

// Q-GaLore: uint8 group-wise asymmetric weights (groups of 256 consecutive elements) re-quantised with
// stochastic rounding q = floor(v) + [u < v - floor(v)], u drawn from a splitmix64 stream seeded by `seed`
// (one draw per element, in order; u = top 53 bits / 2^53).
struct Uint8Groups {
  std::vector<int64_t> q;  // codes 0..255
  std::vector<float> scale, zero;
  int64_t group = 256;
};
Uint8Groups quantize_uint8_groups(const FTensor& w, int64_t group, bool stochastic, uint64_t seed);
uint64_t splitmix64(uint64_t& state);

}  // namespace qtsim::golden
