// Dyadic requantization (I-ViT fixedpoint_mul + batch_frexp): out = round(z * m / 2^e), then clamp.
#pragma once
#include <cstdint>
#include <vector>

#include "golden/intmath.hpp"
#include "golden/tensor.hpp"

namespace qtsim::golden {

// A multiplier |m| in [2^30, 2^31) and a right shift e, so that m / 2^e approximates a scale ratio
// (negative for a negative ratio, as a LayerNorm channel with gamma < 0 has).
struct Dyadic {
  int64_t m = 1;
  int e = 0;
  bool operator==(const Dyadic& o) const { return m == o.m && e == o.e; }
};

// Host-side derivation: frexp of the float64 ratio, mantissa rounded half up (away from zero) to 31 bits,
// e = 31 - exponent.
Dyadic dyadic_from_ratio(double ratio);
// r = double(s_in) / double(s_out), as the authors' batch_frexp computes it.
Dyadic dyadic_from_scales(double s_in, float s_out);

// The rounded term round(z m / 2^e), not narrowed: the int64 accumulators of group-wise INT4 GEMMs with
// small shifts take it past int64 before the clamp.
inline __int128 requant_value(int64_t z, Dyadic d, Rounding r) {
  // z*m is exact in 64 bits for |z| < 2^32 (|m| < 2^31); wider inputs or shifts take 128 bits.
  constexpr int64_t lim = int64_t{1} << 32;
  if (z > -lim && z < lim && d.e < 62) return round_shift<int64_t>(z * d.m, d.e, r);
  return round_shift<__int128>(static_cast<__int128>(z) * d.m, d.e, r);
}

// The clamp to the output width; widths the I-ViT code does not clamp saturate at int64.
inline int64_t requant_clamp(__int128 v, int bits) {
  const int w = clamps_at(bits) ? bits : 64;
  const __int128 hi = (static_cast<__int128>(1) << (w - 1)) - 1, lo = -hi - 1;
  return static_cast<int64_t>(v < lo ? lo : (v > hi ? hi : v));
}

// Multipliers over the last axis: one (per tensor), or one per `group` consecutive channels
// (group 1: per channel).
struct Requant {
  std::vector<Dyadic> mult;
  int group = 1;
  int bits = 8;
  Rounding rounding = Rounding::half_even;

  const Dyadic& at_channel(int64_t c) const {
    return mult.size() == 1 ? mult[0] : mult[static_cast<size_t>(c / group)];
  }
  void check(int64_t channels) const;  // throws std::invalid_argument naming the mismatch
};

// One element: channel c of the last axis.
inline int64_t requant_element(int64_t z, const Requant& q, int64_t c) {
  return requant_clamp(requant_value(z, q.at_channel(c), q.rounding), q.bits);
}
inline int64_t requant_add_element(int64_t z, const Requant& q, int64_t id, const Dyadic& mid, int64_t c) {
  return requant_clamp(requant_value(z, q.at_channel(c), q.rounding) + requant_value(id, mid, q.rounding), q.bits);
}

ITensor requant(const ITensor& z, const Requant& q);

// Residual form: both terms rounded separately with their own multipliers, summed, then clamped once.
ITensor requant_add(const ITensor& z, const Requant& qz, const ITensor& identity, const std::vector<Dyadic>& mid);

}  // namespace qtsim::golden
