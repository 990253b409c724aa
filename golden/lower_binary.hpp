// BinaryViT (Le & Li) encoder block in integer inference form; docs/intops.md, "Binary encoder block".
#pragma once
#include <vector>

#include "golden/encoder.hpp"
#include "golden/lower.hpp"
#include "golden/quantize.hpp"

namespace qtsim::golden {

// One binary linear: sign weights (ties to +1), alpha_c = mean|W_c|, and the norm that follows it folded
// into a per-channel affine g_c * (alpha_c * dot) + h_c (g_c > 0).
struct BinaryLinear {
  BinaryWeights w;
  std::vector<float> g, h;
};

struct BinaryEncoderWeights {
  BinaryLinear qkv, proj, fc1, fc2;
  // Activation shifts ("move") before each sign, in real units, per input channel of the sign.
  std::vector<float> move_x, move_qkv, move_ctx, move_x1, move_h;
  float alpha_p = 0.005f;  // attention probabilities binarised to {0, alpha_p}
};
BinaryEncoderWeights random_binary_weights(const EncoderDims& d, uint64_t seed);

constexpr int kBinaryFrac = 8;  // scale_rows outputs carry s_x * 2^-8

// Input "x" int16 at s_x; output "out" int16 at 4 s_x (headroom for two residual adds).
Program lower_binary_encoder(const EncoderDims& d, const BinaryEncoderWeights& w, float s_x);

struct BinaryCase {
  EncoderDims dims;
  BinaryEncoderWeights weights;
  float s_x = 0;
  FTensor x_float;
  Lowered lowered;
};
BinaryCase make_binary_case(const EncoderDims& d, uint64_t seed);

// Host constants, shared by the lowering and whoever checks it.
// Threshold of sign(a * v + b) over an integer v with a > 0: the beta with v + beta >= 0 <=> a v + b >= 0.
int64_t sign_threshold_beta(double a, double b);
// Smallest 2^-15-unit probability at or above alpha_p / 2.
int64_t prob_mask_threshold(float alpha_p);

}  // namespace qtsim::golden
