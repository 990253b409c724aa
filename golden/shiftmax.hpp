// Shiftmax (I-ViT IntSoftmax) over the last axis.
#pragma once
#include "golden/shift_exp.hpp"
#include "golden/tensor.hpp"

namespace qtsim::golden {

struct ShiftmaxParams {
  float scale = 1.0f;  // scale of the int8 logits
  int out_bits = 16;   // 16 (ViT/DeiT, output scale 2^-15) or 8 (Swin, 2^-7)
  Numerator numerator = Numerator::pow2_31;
  static constexpr int n = 15;
  void check() const;
};

struct ShiftmaxTaps {
  ITensor exp;     // same shape as x, scale s/2^15
  ITensor factor;  // one per row (last axis 1)
};

// One row: out[j] = floor(exp[j] * factor / 2^(32-B)). exp/factor may be null.
void shiftmax_row(const int64_t* x, int64_t len, const ShiftmaxParams& p, int64_t* out, int64_t* exp = nullptr,
                  int64_t* factor = nullptr);

// The same row from the host constant x0 = shift_exp_x0(scale): what the accelerator's instruction carries.
void shiftmax_row_int(const int64_t* x, int64_t len, int64_t x0, int out_bits, Numerator num, int64_t* out, int64_t* exp = nullptr,
                      int64_t* factor = nullptr);

ITensor shiftmax(const ITensor& x, const ShiftmaxParams& p, ShiftmaxTaps* taps = nullptr);

}  // namespace qtsim::golden
