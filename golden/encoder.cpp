#include "golden/encoder.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "golden/float_ops.hpp"

namespace qtsim::golden {

void EncoderDims::check() const {
  if (tokens < 1 || dim < 1 || heads < 1 || mlp < 1)
    throw std::invalid_argument("encoder dims must be positive");
  if (dim % heads != 0)
    throw std::invalid_argument("dim " + std::to_string(dim) + " is not divisible by heads " + std::to_string(heads));
}

EncoderDims encoder_dims(const std::string& model, int64_t tokens) {
  EncoderDims d;
  d.model = model;
  d.tokens = tokens;
  if (model == "deit_tiny") d.dim = 192, d.heads = 3, d.mlp = 768;
  else if (model == "deit_small") d.dim = 384, d.heads = 6, d.mlp = 1536;
  else if (model == "deit_base") d.dim = 768, d.heads = 12, d.mlp = 3072;
  else throw std::invalid_argument("unknown model '" + model + "' (deit_tiny, deit_small, deit_base)");
  d.check();
  return d;
}

std::vector<float> normal_draws(int64_t count, uint64_t seed, float stddev) {
  std::vector<float> v(static_cast<size_t>(count));
  uint64_t st = seed;
  for (int64_t i = 0; i < count; i += 2) {
    const double u1 = (static_cast<double>(splitmix64(st) >> 11) + 1.0) * 0x1p-53;  // (0, 1]
    const double u2 = static_cast<double>(splitmix64(st) >> 11) * 0x1p-53;
    const double r = std::sqrt(-2.0 * std::log(u1)), th = 2.0 * M_PI * u2;
    v[static_cast<size_t>(i)] = static_cast<float>(stddev * r * std::cos(th));
    if (i + 1 < count) v[static_cast<size_t>(i + 1)] = static_cast<float>(stddev * r * std::sin(th));
  }
  return v;
}

namespace {
std::vector<float> shifted(std::vector<float> v, float by) {
  for (auto& x : v) x += by;
  return v;
}
}  // namespace

EncoderWeights random_encoder_weights(const EncoderDims& d, uint64_t seed) {
  d.check();
  uint64_t s = seed * 1000003u;
  auto lin = [&](int64_t out, int64_t in) {
    return FTensor({out, in}, normal_draws(out * in, ++s, static_cast<float>(1.0 / std::sqrt(static_cast<double>(in)))));
  };
  EncoderWeights w;
  w.ln1_g = shifted(normal_draws(d.dim, ++s, 0.1f), 1.0f);
  w.ln1_b = normal_draws(d.dim, ++s, 0.05f);
  w.ln2_g = shifted(normal_draws(d.dim, ++s, 0.1f), 1.0f);
  w.ln2_b = normal_draws(d.dim, ++s, 0.05f);
  w.qkv_w = lin(3 * d.dim, d.dim);
  w.qkv_b = normal_draws(3 * d.dim, ++s, 0.02f);
  w.proj_w = lin(d.dim, d.dim);
  w.proj_b = normal_draws(d.dim, ++s, 0.02f);
  w.fc1_w = lin(d.mlp, d.dim);
  w.fc1_b = normal_draws(d.mlp, ++s, 0.02f);
  w.fc2_w = lin(d.dim, d.mlp);
  w.fc2_b = normal_draws(d.dim, ++s, 0.02f);
  return w;
}

FTensor random_tokens(const EncoderDims& d, uint64_t seed) {
  return FTensor({d.tokens, d.dim}, normal_draws(d.tokens * d.dim, seed * 7919u + 17, 1.0f));
}

const char* site_name(int s) {
  static const char* names[kSites] = {"x", "a1", "qkv", "scores", "ctx", "proj", "x2", "a2", "fc1", "a3", "fc2", "out"};
  return names[s];
}

int site_bits(int s) { return (s == s_x || s == s_proj || s == s_x2 || s == s_fc2 || s == s_out) ? 16 : 8; }

FTensor encoder_fp32(const FTensor& x, const EncoderWeights& w, const EncoderDims& d, EncoderObservers* obs,
                     std::map<std::string, FTensor>* taps, float* probs_max) {
  auto site = [&](int s, const FTensor& v) {
    if (obs) (*obs)[static_cast<size_t>(s)].observe(v);
    if (taps) (*taps)[site_name(s)] = v;
  };
  const int64_t t = d.tokens, h = d.heads, hd = d.head_dim();
  site(s_x, x);
  const FTensor a1 = layernorm(x, w.ln1_g, w.ln1_b, kLayerNormEps);
  site(s_a1, a1);
  const FTensor qkv = linear(a1, w.qkv_w, w.qkv_b);
  site(s_qkv, qkv);
  FTensor scores({h, t, t}), ctx({t, d.dim});
  const float inv_sqrt = 1.0f / std::sqrt(static_cast<float>(hd));
  for (int64_t hh = 0; hh < h; ++hh)
    for (int64_t i = 0; i < t; ++i)
      for (int64_t j = 0; j < t; ++j) {
        float s = 0;
        for (int64_t p = 0; p < hd; ++p) s += qkv[i * 3 * d.dim + hh * hd + p] * qkv[j * 3 * d.dim + d.dim + hh * hd + p];
        scores[(hh * t + i) * t + j] = s * inv_sqrt;
      }
  site(s_scores, scores);
  const FTensor probs = softmax(scores);
  if (probs_max) *probs_max = std::max(*probs_max, *std::max_element(probs.data.begin(), probs.data.end()));
  if (taps) (*taps)["probs"] = probs;
  for (int64_t hh = 0; hh < h; ++hh)
    for (int64_t i = 0; i < t; ++i)
      for (int64_t p = 0; p < hd; ++p) {
        float s = 0;
        for (int64_t j = 0; j < t; ++j) s += probs[(hh * t + i) * t + j] * qkv[j * 3 * d.dim + 2 * d.dim + hh * hd + p];
        ctx[i * d.dim + hh * hd + p] = s;
      }
  site(s_ctx, ctx);
  const FTensor proj = linear(ctx, w.proj_w, w.proj_b);
  site(s_proj, proj);
  const FTensor x2 = add(proj, x);
  site(s_x2, x2);
  const FTensor a2 = layernorm(x2, w.ln2_g, w.ln2_b, kLayerNormEps);
  site(s_a2, a2);
  const FTensor fc1 = linear(a2, w.fc1_w, w.fc1_b);
  site(s_fc1, fc1);
  const FTensor a3 = gelu(fc1);
  site(s_a3, a3);
  const FTensor fc2 = linear(a3, w.fc2_w, w.fc2_b);
  site(s_fc2, fc2);
  FTensor out = add(fc2, x2);
  site(s_out, out);
  return out;
}

Calibration calibrate_encoder(const EncoderWeights& w, const EncoderDims& d, uint64_t seed, int batches) {
  if (batches < 1) throw std::invalid_argument("calibration needs at least one batch");
  EncoderObservers obs{};
  Calibration c;
  c.probs_max = 0;
  for (int b = 0; b < batches; ++b) encoder_fp32(random_tokens(d, seed + 1000 + static_cast<uint64_t>(b)), w, d, &obs, nullptr, &c.probs_max);
  for (int s = 0; s < kSites; ++s) c.scales[static_cast<size_t>(s)] = obs[static_cast<size_t>(s)].scale(site_bits(s));
  return c;
}

}  // namespace qtsim::golden
