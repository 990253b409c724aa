// Integer primitives shared by every operator, the cycle model and the RTL wrappers.
// All shifts of negative values are arithmetic (floor), which C++20 guarantees and GCC does in C++17.
#pragma once
#include <cstdint>
#include <stdexcept>

namespace qtsim::golden {

enum class Rounding { half_even, half_up };

// floor(a / b) for b > 0.
inline int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && (a < 0)) --q;
  return q;
}

// floor(a / b) for any non-zero b.
inline int64_t floor_div_signed(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// round(p / 2^e) with the given tie rule, in Wide; e <= 0 shifts left. Needs e < bits(Wide) - 1.
template <class Wide>
inline Wide round_shift(Wide p, int e, Rounding r) {
  if (e <= 0) return p * (static_cast<Wide>(1) << -e);
  const Wide half = static_cast<Wide>(1) << (e - 1);
  if (r == Rounding::half_up) return (p + half) >> e;
  Wide q = p >> e;
  const Wide rem = p - q * (static_cast<Wide>(1) << e);  // a multiply: << of a negative value is UB before C++20
  if (rem > half || (rem == half && (q & 1))) ++q;
  return q;
}

// The I-ViT fixedpoint_mul clamps only at these widths; other widths pass through unclamped.
inline bool clamps_at(int bits) { return bits == 4 || bits == 8 || bits == 16 || bits == 32; }

inline int64_t clamp_signed(int64_t v, int bits) {
  const int64_t hi = (int64_t{1} << (bits - 1)) - 1;
  const int64_t lo = -hi - 1;
  return v < lo ? lo : (v > hi ? hi : v);
}

inline int64_t clamp_to(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

// t * 2^sh, saturated at `cap` (the exp steps of Shiftmax/ShiftGELU can shift far past 64 bits, and
// anything above 2^31 is clamped by the next step anyway).
inline int64_t shl_sat(int64_t t, int sh, int64_t cap) {
  if (t <= 0) return t;
  if (sh >= 62) return cap;
  const __int128 v = static_cast<__int128>(t) << sh;
  return v > cap ? cap : static_cast<int64_t>(v);
}

}  // namespace qtsim::golden
