// The shift-based exponential shared by Shiftmax and ShiftGELU (I-ViT), as scalar functions so that the
// cycle model and the RTL wrappers evaluate exactly this code.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "golden/intmath.hpp"

namespace qtsim::golden {

// Numerator of the normalising division. The authors' float32 code effectively divides 2^31 (the literal
// 2^31-1 rounds to 2^31 in float32); their TVM int32 path and the literal use 2^31-1.
enum class Numerator { pow2_31, pow2_31_minus_1 };

inline int64_t numerator_value(Numerator n) {
  return n == Numerator::pow2_31 ? (int64_t{1} << 31) : (int64_t{1} << 31) - 1;
}

// Row sums saturate at the int32 maximum before the division.
constexpr int64_t kSumCap = (int64_t{1} << 31) - 1;

// x0 = floor(-fl32(1/s)): "-1.0" in units of s, a host constant.
inline int64_t shift_exp_x0(float s) {
  const float inv = 1.0f / s;
  return static_cast<int64_t>(std::floor(-static_cast<double>(inv)));
}

// The scales whose x0 the units hold: finite, > 0, and x0 in the signed 32 bits of the instruction field and
// the RTL's x0 port (1/s <= 2^31). An infinite scale would give x0 = 0, a divisor of the exponent split.
inline void check_shift_exp_scale(float s, const char* what) {
  char v[32];
  std::snprintf(v, sizeof v, "%g", static_cast<double>(s));
  if (!(s > 0) || !std::isfinite(s))
    throw std::invalid_argument(std::string(what) + " must be finite and > 0, got " + v);
  if (shift_exp_x0(s) < -(int64_t{1} << 31))
    throw std::invalid_argument(std::string(what) + " " + v + " is below 2^-31: x0 = floor(-1/scale) does not fit 32 bits");
}

// 2^(d*s) * 2^n in units of s/2^n, for d <= 0 (or > 0 in ShiftGELU's e^-max term, where it saturates).
// Steps: d*log2(e) ~ d + d/2 - d/16 with floors; clamp at n*x0; split into quotient q and remainder r of x0;
// linear 2^r ~ (r/2 - x0); shift by n - q.
inline int64_t shift_exp(int64_t d, int64_t x0, int n) {
  int64_t dl = d + (d >> 1) - (d >> 4);
  if (dl < n * x0) dl = n * x0;
  const int64_t q = floor_div_signed(dl, x0);
  const int64_t r = dl - q * x0;  // in (x0, 0]
  const int64_t t = r - 2 * x0;   // (r/2 - x0) * 2, > 0
  const int64_t sh = n - q;       // floor(t/2 * 2^sh)
  if (sh >= 1) return shl_sat(t, static_cast<int>(sh - 1), int64_t{1} << 40);
  return t >> 1;  // q == n
}

// floor(numerator / sum) with the row sum saturated at the int32 maximum.
inline int64_t shift_norm_factor(int64_t sum, Numerator num) {
  if (sum > kSumCap) sum = kSumCap;
  return numerator_value(num) / sum;
}

// floor(exp * factor / 2^shift): the normalised output of Shiftmax (shift 32 - B) and of the sigmoid (24).
inline int64_t shift_normalise(int64_t exp, int64_t factor, int shift) { return (exp * factor) >> shift; }

}  // namespace qtsim::golden
