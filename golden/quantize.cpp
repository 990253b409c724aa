#include "golden/quantize.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "golden/gemm.hpp"
#include "golden/intmath.hpp"

namespace qtsim::golden {

namespace {
// round half to even, as torch.round (the default FE_TONEAREST mode)
inline float rne(float v) { return std::nearbyint(v); }

void check_bits(int bits) {
  if (bits < 2 || bits > 32) throw std::invalid_argument("bit width must be in 2..32, got " + std::to_string(bits));
}
}  // namespace

void ActObserver::observe(const float* x, int64_t count) {
  if (count <= 0) return;
  const auto [lo, hi] = std::minmax_element(x, x + count);
  if (min == max) {
    min = *lo;
    max = *hi;
  } else {
    min = momentum * min + (1 - momentum) * *lo;
    max = momentum * max + (1 - momentum) * *hi;
  }
}

float ActObserver::scale(int bits) const {
  check_bits(bits);
  const float n = static_cast<float>((int64_t{1} << (bits - 1)) - 1);
  return std::max(std::max(-min, max) / n, kScaleFloor);
}

ITensor quantize_symmetric(const FTensor& x, float scale, int bits) {
  check_bits(bits);
  if (!(scale > 0)) throw std::invalid_argument("quantize: scale must be > 0");
  const float inv = 1.0f / scale;
  ITensor q(x.shape);
  for (int64_t i = 0; i < x.size(); ++i)
    q[i] = clamp_signed(static_cast<int64_t>(rne(inv * x[i])), bits);
  return q;
}

FTensor dequantize(const ITensor& q, float scale) {
  FTensor x(q.shape);
  for (int64_t i = 0; i < q.size(); ++i) x[i] = static_cast<float>(q[i]) * scale;
  return x;
}

std::vector<float> weight_scales(const FTensor& w, int bits) {
  check_bits(bits);
  const float n = static_cast<float>((int64_t{1} << (bits - 1)) - 1);
  const int64_t k = w.last();
  std::vector<float> s(static_cast<size_t>(w.rows()));
  for (int64_t r = 0; r < w.rows(); ++r) {
    float m = 0;
    for (int64_t j = 0; j < k; ++j) m = std::max(m, std::fabs(w[r * k + j]));
    s[static_cast<size_t>(r)] = std::max(m / n, kScaleFloor);
  }
  return s;
}

ITensor quantize_weight(const FTensor& w, const std::vector<float>& scales, int bits) {
  const int64_t k = w.last();
  if (static_cast<int64_t>(scales.size()) != w.rows()) throw std::invalid_argument("quantize_weight: one scale per row");
  ITensor q(w.shape);
  for (int64_t r = 0; r < w.rows(); ++r) {
    const float inv = 1.0f / scales[static_cast<size_t>(r)];
    for (int64_t j = 0; j < k; ++j) q[r * k + j] = clamp_signed(static_cast<int64_t>(rne(inv * w[r * k + j])), bits);
  }
  return q;
}

std::vector<int64_t> quantize_bias(const std::vector<float>& b, float s_x, const std::vector<float>& s_w) {
  if (b.size() != s_w.size()) throw std::invalid_argument("quantize_bias: one weight scale per bias");
  std::vector<int64_t> q(b.size());
  for (size_t c = 0; c < b.size(); ++c) {
    const float inv = 1.0f / (s_w[c] * s_x);
    q[c] = clamp_signed(static_cast<int64_t>(std::nearbyint(static_cast<double>(inv * b[c]))), 32);
  }
  return q;
}

GroupInt4Weights quantize_group_int4(const FTensor& w, int64_t group) {
  if (w.shape.size() != 2) throw std::invalid_argument("group int4: weight must be [N, K]");
  GroupInt4Weights g;
  g.n = w.shape[0];
  g.k = w.shape[1];
  g.group = group;
  if (group < 1 || g.k % group != 0)
    throw std::invalid_argument("group size " + std::to_string(group) + " does not divide K=" + std::to_string(g.k));
  std::vector<int64_t> codes(static_cast<size_t>(g.n * g.k));
  for (int64_t r = 0; r < g.n; ++r)
    for (int64_t j = 0; j < g.groups(); ++j) {
      const float* p = &w[r * g.k + j * group];
      float lo = std::min(0.0f, *std::min_element(p, p + group));
      float hi = std::max(0.0f, *std::max_element(p, p + group));
      if (lo == 0 && hi == 0) lo = -1, hi = 1;
      const float scale = (hi - lo) / 15.0f;
      const float zero = rne(-lo / scale);
      g.scale.push_back(scale);
      g.zero.push_back(zero);
      for (int64_t t = 0; t < group; ++t)
        codes[static_cast<size_t>(r * g.k + j * group + t)] =
            clamp_to(static_cast<int64_t>(rne(p[t] / scale) + zero), 0, 15);
    }
  g.packed = pack_nibbles(codes, uint_type(4));
  return g;
}

void merge_lora_into_zeros(GroupInt4Weights& w, const FTensor& ba, float alpha_over_r) {
  if (ba.shape != Shape{w.n, w.groups()}) throw std::invalid_argument("LoRA merge: ba must be [N, K/group]");
  for (size_t i = 0; i < w.zero.size(); ++i)
    w.zero[i] -= static_cast<double>(ba.data[i]) * alpha_over_r / static_cast<double>(w.group) / w.scale[i];
}

FTensor dequantize_group_int4(const GroupInt4Weights& w) {
  const std::vector<int64_t> codes = unpack_nibbles(w.packed, w.n * w.k, uint_type(4));
  FTensor out({w.n, w.k});
  for (int64_t r = 0; r < w.n; ++r)
    for (int64_t j = 0; j < w.k; ++j) {
      const size_t gi = static_cast<size_t>(r * w.groups() + j / w.group);
      out[r * w.k + j] = static_cast<float>(w.scale[gi] * (static_cast<double>(codes[static_cast<size_t>(r * w.k + j)]) - w.zero[gi]));
    }
  return out;
}

int64_t logsqrt2_code(float x, float delta, int bits) {
  if (!(x > 0)) return kLogZero;
  const double q = std::nearbyint(-2.0 * std::log2(static_cast<double>(x) / delta));
  if (q >= std::ldexp(1.0, bits)) return kLogZero;
  return static_cast<int64_t>(std::max(q, 0.0));
}

float logsqrt2_value(int64_t code, float delta) {
  if (code == kLogZero) return 0.0f;
  return static_cast<float>(delta * std::exp2(-static_cast<double>(code) / 2.0));
}

std::vector<int64_t> logsqrt2_thresholds(float delta, int bits) {
  std::vector<int64_t> t(static_cast<size_t>(int64_t{1} << bits));
  for (size_t j = 0; j < t.size(); ++j)
    t[j] = static_cast<int64_t>(std::floor(static_cast<double>(delta) * 32768.0 * std::exp2(-(static_cast<double>(j) + 0.5) / 2.0)));
  return t;
}

int64_t logsqrt2_code_int(int64_t p, const std::vector<int64_t>& thresholds) {
  if (p <= 0) return kLogZero;
  int64_t q = 0;
  while (q < static_cast<int64_t>(thresholds.size()) && p <= thresholds[static_cast<size_t>(q)]) ++q;
  return q == static_cast<int64_t>(thresholds.size()) ? kLogZero : q;
}

LogSqrt2Acc logsqrt2_attn_v(const ITensor& codes, const ITensor& v, int bits) {
  if (codes.shape.size() != 3 || v.shape.size() != 3 || codes.shape[0] != v.shape[0] || codes.shape[2] != v.shape[1])
    throw std::invalid_argument("logsqrt2 attn@v needs codes [H,M,T] and v [H,T,D]");
  if (bits < 1 || bits > kLogSqrt2MaxBits)
    throw std::invalid_argument("logsqrt2 attn@v: bits must be in 1.." + std::to_string(kLogSqrt2MaxBits) + " (int64 shift-add sums), got " +
                                std::to_string(bits));
  const int64_t h = codes.shape[0], m = codes.shape[1], t = codes.shape[2], d = v.shape[2];
  LogSqrt2Acc acc{ITensor({h, m, d}), ITensor({h, m, d})};
  for (int64_t hh = 0; hh < h; ++hh)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < t; ++j) {
        const int64_t q = codes[(hh * m + i) * t + j];
        if (q == kLogZero) continue;
        ITensor& dst = (q % 2 == 0) ? acc.even : acc.odd;
        for (int64_t c = 0; c < d; ++c) dst[(hh * m + i) * d + c] += logsqrt2_shift_term(v[(hh * t + j) * d + c], q, bits);
      }
  return acc;
}

BinaryWeights binarize_weight(const FTensor& w) {
  const int64_t k = w.last();
  BinaryWeights b{ITensor(w.shape), {}};
  for (int64_t r = 0; r < w.rows(); ++r) {
    double sum = 0, abs_sum = 0;
    for (int64_t j = 0; j < k; ++j) sum += w[r * k + j], abs_sum += std::fabs(w[r * k + j]);
    const float mean = static_cast<float>(sum / static_cast<double>(k));
    b.alpha.push_back(static_cast<float>(abs_sum / static_cast<double>(k)));
    for (int64_t j = 0; j < k; ++j) {
      const float c = w[r * k + j] - mean;
      b.sign[r * k + j] = (c > 0) - (c < 0);
    }
  }
  return b;
}

ITensor sign_shift(const ITensor& x, const std::vector<int64_t>& beta) {
  const int64_t c = x.last();
  if (static_cast<int64_t>(beta.size()) != c) throw std::invalid_argument("sign_shift: one beta per channel");
  ITensor out(x.shape);
  for (int64_t i = 0; i < x.size(); ++i) out[i] = sign_of(x[i] + beta[static_cast<size_t>(i % c)]);
  return out;
}

ITensor binarize_pm1(const ITensor& x, const std::vector<int64_t>& beta) {
  const int64_t c = x.last();
  if (static_cast<int64_t>(beta.size()) != c) throw std::invalid_argument("binarize: one beta per channel");
  ITensor out(x.shape);
  for (int64_t r = 0; r < x.rows(); ++r)
    for (int64_t j = 0; j < c; ++j) out[r * c + j] = binarize_value(x[r * c + j], beta[static_cast<size_t>(j)]);
  return out;
}

FTensor binarize_probs(const FTensor& p, float alpha) {
  FTensor out(p.shape);
  for (int64_t i = 0; i < p.size(); ++i) out[i] = alpha * std::min(std::max(rne(p[i] / alpha), 0.0f), 1.0f);
  return out;
}

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

Uint8Groups quantize_uint8_groups(const FTensor& w, int64_t group, bool stochastic, uint64_t seed) {
  if (group < 1 || w.size() % group != 0)
    throw std::invalid_argument("uint8 groups: group " + std::to_string(group) + " does not divide " + std::to_string(w.size()));
  Uint8Groups g;
  g.group = group;
  g.q.resize(w.data.size());
  uint64_t state = seed;
  for (int64_t s = 0; s < w.size(); s += group) {
    const auto [lo, hi] = std::minmax_element(w.data.begin() + s, w.data.begin() + s + group);
    const float scale = std::max(*hi - *lo, 1e-5f) / 255.0f;
    const float zero = static_cast<float>(clamp_to(static_cast<int64_t>(-rne(*lo / scale)), 0, 255));
    g.scale.push_back(scale);
    g.zero.push_back(zero);
    for (int64_t i = s; i < s + group; ++i) {
      const float v = w[i] / scale;
      float r;
      if (stochastic) {
        const double u = static_cast<double>(splitmix64(state) >> 11) * 0x1p-53;
        const float fl = std::floor(v);
        r = fl + (u < static_cast<double>(v - fl) ? 1.0f : 0.0f);
      } else {
        r = rne(v);
      }
      g.q[static_cast<size_t>(i)] = clamp_to(static_cast<int64_t>(r + zero), 0, 255);
    }
  }
  return g;
}

}  // namespace qtsim::golden
