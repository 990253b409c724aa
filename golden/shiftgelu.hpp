// ShiftGELU (I-ViT IntGELU): x * sigmoid(1.702 x), the sigmoid from the shift exponential.
#pragma once
#include "golden/shift_exp.hpp"
#include "golden/tensor.hpp"

namespace qtsim::golden {

struct ShiftGeluParams {
  float scale = 1.0f;  // scale of the int8 input
  Numerator numerator = Numerator::pow2_31;
  static constexpr int n = 23;
  // Sigmoid input scale fl32(s * 1.702): a host constant.
  float sigmoid_scale() const { return scale * 1.702f; }
  void check() const;
};

struct ShiftGeluTaps {
  ITensor sigmoid;  // in [0, 128], scale 2^-7
};

// sigmoid_int in [0, 128] of one element from its e1 = ShiftExp(x - max) and the row's e2 = ShiftExp(-max).
inline int64_t shiftgelu_sigmoid(int64_t e1, int64_t e2, Numerator num) {
  return shift_normalise(e1, shift_norm_factor(e1 + e2, num), 24);
}

// One token (row of channels): out[j] = x[j] * sigmoid_int[j]; output scale s * 2^-7.
void shiftgelu_row(const int64_t* x, int64_t len, const ShiftGeluParams& p, int64_t* out, int64_t* sigmoid = nullptr);

// The same row from the host constant x0 = shift_exp_x0(sigmoid_scale()): what the accelerator's instruction carries.
void shiftgelu_row_int(const int64_t* x, int64_t len, int64_t x0, Numerator num, int64_t* out, int64_t* sigmoid = nullptr);

ITensor shiftgelu(const ITensor& x, const ShiftGeluParams& p, ShiftGeluTaps* taps = nullptr);

}  // namespace qtsim::golden
