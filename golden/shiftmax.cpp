#include "golden/shiftmax.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace qtsim::golden {

void ShiftmaxParams::check() const {
  check_shift_exp_scale(scale, "shiftmax scale");
  if (out_bits != 16 && out_bits != 8)
    throw std::invalid_argument("shiftmax out_bits must be 16 or 8, got " + std::to_string(out_bits));
}

void shiftmax_row(const int64_t* x, int64_t len, const ShiftmaxParams& p, int64_t* out, int64_t* exp,
                  int64_t* factor) {
  shiftmax_row_int(x, len, shift_exp_x0(p.scale), p.out_bits, p.numerator, out, exp, factor);
}

void shiftmax_row_int(const int64_t* x, int64_t len, int64_t x0, int out_bits, Numerator num, int64_t* out, int64_t* exp,
                      int64_t* factor) {
  const int64_t mx = *std::max_element(x, x + len);
  int64_t sum = 0;
  for (int64_t j = 0; j < len; ++j) {
    out[j] = shift_exp(x[j] - mx, x0, ShiftmaxParams::n);
    sum += out[j];
  }
  const int64_t f = shift_norm_factor(sum, num);
  if (factor) *factor = f;
  for (int64_t j = 0; j < len; ++j) {
    if (exp) exp[j] = out[j];
    out[j] = shift_normalise(out[j], f, 32 - out_bits);
  }
}

ITensor shiftmax(const ITensor& x, const ShiftmaxParams& p, ShiftmaxTaps* taps) {
  p.check();
  const int64_t len = x.last();
  if (x.shape.empty() || len < 1) throw std::invalid_argument("shiftmax needs a non-empty last axis, got shape " + shape_str(x.shape));
  ITensor out(x.shape);
  Shape fshape = x.shape;
  fshape.back() = 1;
  if (taps) taps->exp = ITensor(x.shape), taps->factor = ITensor(fshape);
  for (int64_t r = 0; r < x.rows(); ++r)
    shiftmax_row(&x[r * len], len, p, &out[r * len], taps ? &taps->exp[r * len] : nullptr,
                 taps ? &taps->factor[r] : nullptr);
  return out;
}

}  // namespace qtsim::golden
