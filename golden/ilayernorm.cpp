#include "golden/ilayernorm.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace qtsim::golden {

void ILayerNormParams::check(int64_t channels) const {
  if (static_cast<int64_t>(gamma.size()) != channels || static_cast<int64_t>(beta.size()) != channels)
    throw std::invalid_argument("ilayernorm gamma/beta need " + std::to_string(channels) + " values, got " +
                                std::to_string(gamma.size()) + "/" + std::to_string(beta.size()));
  for (float g : gamma)
    if (g == 0 || !std::isfinite(g)) throw std::invalid_argument("ilayernorm gamma must be finite and non-zero");
}

float ilayernorm_unit_scale(int64_t channels) {
  const float sq = std::sqrt(static_cast<float>(channels));
  return sq / 1073741824.0f;  // exact: division by 2^30
}

std::vector<int64_t> ilayernorm_bias_int(const ILayerNormParams& p, int64_t channels) {
  const float unit = ilayernorm_unit_scale(channels);
  std::vector<int64_t> b(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c) {
    const float ratio = p.beta[static_cast<size_t>(c)] / p.gamma[static_cast<size_t>(c)];
    const float v = std::floor(ratio / unit);
    if (!(std::fabs(v) < 2147483648.0f))
      throw std::invalid_argument("ilayernorm |beta/gamma| too large for an int32 bias at channel " +
                                  std::to_string(c));
    b[static_cast<size_t>(c)] = static_cast<int64_t>(v);
  }
  return b;
}

std::vector<float> ilayernorm_out_scale(const ILayerNormParams& p, int64_t channels) {
  const float unit = ilayernorm_unit_scale(channels);
  std::vector<float> s(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c) s[static_cast<size_t>(c)] = unit * p.gamma[static_cast<size_t>(c)];
  return s;
}

void ilayernorm_row(const int64_t* x, int64_t len, const int64_t* bias_int, Numerator num, int64_t* out,
                    int64_t* mean, int64_t* var, int64_t* std) {
  int64_t sum = 0;
  for (int64_t j = 0; j < len; ++j) sum += x[j];
  const int64_t mu = round_div_half_even(sum, len);
  int64_t v = 0;
  for (int64_t j = 0; j < len; ++j) v += (x[j] - mu) * (x[j] - mu);
  const int64_t sd = ilayernorm_sqrt(v);
  const int64_t factor = ilayernorm_factor(sd, num);
  for (int64_t j = 0; j < len; ++j) out[j] = ilayernorm_out(x[j] - mu, factor, bias_int[j]);
  if (mean) *mean = mu;
  if (var) *var = v;
  if (std) *std = sd;
}

ITensor ilayernorm(const ITensor& x, const ILayerNormParams& p, ILayerNormTaps* taps) {
  const int64_t len = x.last();
  if (x.shape.empty() || len < 1) throw std::invalid_argument("ilayernorm needs a non-empty last axis, got shape " + shape_str(x.shape));
  p.check(len);
  const std::vector<int64_t> bias = ilayernorm_bias_int(p, len);
  ITensor out(x.shape);
  Shape rshape = x.shape;
  rshape.back() = 1;
  if (taps) {
    taps->mean = ITensor(rshape);
    taps->var = ITensor(rshape);
    taps->std = ITensor(rshape);
    taps->bias_int = bias;
  }
  for (int64_t r = 0; r < x.rows(); ++r)
    ilayernorm_row(&x[r * len], len, bias.data(), p.numerator, &out[r * len], taps ? &taps->mean[r] : nullptr,
                   taps ? &taps->var[r] : nullptr, taps ? &taps->std[r] : nullptr);
  return out;
}

}  // namespace qtsim::golden
