#include "golden/requant.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace qtsim::golden {

Dyadic dyadic_from_ratio(double ratio) {
  if (ratio == 0 || !std::isfinite(ratio))
    throw std::invalid_argument("requant scale ratio must be non-zero and finite, got " + std::to_string(ratio));
  if (ratio < 0) {  // negative per-channel scales (LayerNorm gamma < 0): frexp keeps the sign in the mantissa
    const Dyadic d = dyadic_from_ratio(-ratio);
    return {-d.m, d.e};
  }
  int ex = 0;
  const double f = std::frexp(ratio, &ex);  // f in [0.5, 1)
  // f * 2^31 is exact in double; adding 0.5 is exact too (its ulp is at most 2^-22), so this is
  // round-half-up of the exact value, as Python's Decimal ROUND_HALF_UP does.
  auto m = static_cast<int64_t>(std::floor(std::ldexp(f, 31) + 0.5));
  int e = 31 - ex;
  if (m == (int64_t{1} << 31)) {  // only reachable for ratios not formed from two float32 scales
    m >>= 1;
    e -= 1;
  }
  return {m, e};
}

Dyadic dyadic_from_scales(double s_in, float s_out) {
  if (!(s_out > 0)) throw std::invalid_argument("output scale must be positive, got " + std::to_string(s_out));
  return dyadic_from_ratio(s_in / static_cast<double>(s_out));
}

void Requant::check(int64_t channels) const {
  if (mult.empty()) throw std::invalid_argument("requant has no multipliers");
  if (group < 1) throw std::invalid_argument("requant group must be >= 1");
  if (mult.size() != 1 && static_cast<int64_t>(mult.size()) * group != channels)
    throw std::invalid_argument("requant has " + std::to_string(mult.size()) + " multipliers (group " +
                                std::to_string(group) + ") for " + std::to_string(channels) + " channels");
  if (bits < 2 || bits > 32) throw std::invalid_argument("requant bits must be in 2..32, got " + std::to_string(bits));
}

ITensor requant(const ITensor& z, const Requant& q) {
  const int64_t c = z.last();
  q.check(c);
  ITensor out(z.shape);
  for (int64_t r = 0; r < z.rows(); ++r)
    for (int64_t j = 0; j < c; ++j)
      out[r * c + j] = requant_element(z[r * c + j], q, j);
  return out;
}

ITensor requant_add(const ITensor& z, const Requant& qz, const ITensor& identity, const std::vector<Dyadic>& mid) {
  if (z.shape != identity.shape)
    throw std::invalid_argument("residual add shapes differ: " + shape_str(z.shape) + " vs " + shape_str(identity.shape));
  const int64_t c = z.last();
  qz.check(c);
  Requant qi = qz;
  qi.mult = mid;
  qi.check(c);
  ITensor out(z.shape);
  for (int64_t i = 0; i < z.size(); ++i) out[i] = requant_add_element(z[i], qz, identity[i], qi.at_channel(i % c), i % c);
  return out;
}

}  // namespace qtsim::golden
