#include "golden/shiftgelu.hpp"

#include <algorithm>
#include <stdexcept>

namespace qtsim::golden {

void ShiftGeluParams::check() const {
  check_shift_exp_scale(scale, "shiftgelu scale");
  check_shift_exp_scale(sigmoid_scale(), "shiftgelu scale x 1.702");
}

void shiftgelu_row(const int64_t* x, int64_t len, const ShiftGeluParams& p, int64_t* out, int64_t* sigmoid) {
  shiftgelu_row_int(x, len, shift_exp_x0(p.sigmoid_scale()), p.numerator, out, sigmoid);
}

void shiftgelu_row_int(const int64_t* x, int64_t len, int64_t x0, Numerator num, int64_t* out, int64_t* sigmoid) {
  constexpr int n = ShiftGeluParams::n;
  const int64_t mx = *std::max_element(x, x + len);
  // sigmoid(a) = e^(a-m) / (e^(a-m) + e^(-m)); m only keeps the exponents in range.
  const int64_t e2 = shift_exp(-mx, x0, n);
  for (int64_t j = 0; j < len; ++j) {
    const int64_t sig = shiftgelu_sigmoid(shift_exp(x[j] - mx, x0, n), e2, num);
    if (sigmoid) sigmoid[j] = sig;
    out[j] = x[j] * sig;
  }
}

ITensor shiftgelu(const ITensor& x, const ShiftGeluParams& p, ShiftGeluTaps* taps) {
  p.check();
  const int64_t len = x.last();
  if (len < 1) throw std::invalid_argument("shiftgelu needs a non-empty last axis");
  ITensor out(x.shape);
  if (taps) taps->sigmoid = ITensor(x.shape);
  for (int64_t r = 0; r < x.rows(); ++r)
    shiftgelu_row(&x[r * len], len, p, &out[r * len], taps ? &taps->sigmoid[r * len] : nullptr);
  return out;
}

}  // namespace qtsim::golden
