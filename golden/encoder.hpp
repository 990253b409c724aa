// A ViT/DeiT pre-norm encoder block: shapes, float weights, the FP32 forward and I-ViT calibration.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "golden/quantize.hpp"
#include "golden/tensor.hpp"

namespace qtsim::golden {

struct EncoderDims {
  std::string model = "deit_tiny";
  int64_t tokens = 197, dim = 192, heads = 3, mlp = 768;
  int64_t head_dim() const { return dim / heads; }
  void check() const;
};
// deit_tiny (192, 3 heads, 768), deit_small (384, 6, 1536), deit_base (768, 12, 3072).
EncoderDims encoder_dims(const std::string& model, int64_t tokens);

struct EncoderWeights {
  std::vector<float> ln1_g, ln1_b, ln2_g, ln2_b;
  FTensor qkv_w, proj_w, fc1_w, fc2_w;  // [out, in]
  std::vector<float> qkv_b, proj_b, fc1_b, fc2_b;
};
// Seeded weights of realistic magnitude: linears N(0, 1/K), biases N(0, 0.02^2), gamma 1 + N(0, 0.1^2),
// beta N(0, 0.05^2).
EncoderWeights random_encoder_weights(const EncoderDims& d, uint64_t seed);
// Seeded block inputs [tokens, dim], N(0, 1).
FTensor random_tokens(const EncoderDims& d, uint64_t seed);
// Standard normal draws from splitmix64 (Box-Muller): reproducible on every platform.
std::vector<float> normal_draws(int64_t count, uint64_t seed, float stddev);

// The QuantAct sites of I-ViT's block graph, in order; bits 16 on the residual stream, 8 elsewhere.
enum Site { s_x, s_a1, s_qkv, s_scores, s_ctx, s_proj, s_x2, s_a2, s_fc1, s_a3, s_fc2, s_out, kSites };
const char* site_name(int s);
int site_bits(int s);
using EncoderObservers = std::array<ActObserver, kSites>;
using EncoderScales = std::array<float, kSites>;

constexpr float kLayerNormEps = 1e-6f;

// FP32 block forward. Optionally records the float value at every site (taps, named by site) and feeds
// the observers; `probs_max` receives the largest attention probability (log-sqrt2 delta calibration).
FTensor encoder_fp32(const FTensor& x, const EncoderWeights& w, const EncoderDims& d, EncoderObservers* obs = nullptr,
                     std::map<std::string, FTensor>* taps = nullptr, float* probs_max = nullptr);

// Calibrates every site's scale on `batches` seeded input batches (I-ViT EMA min/max).
struct Calibration {
  EncoderScales scales{};
  float probs_max = 1.0f;
};
Calibration calibrate_encoder(const EncoderWeights& w, const EncoderDims& d, uint64_t seed, int batches);

}  // namespace qtsim::golden
