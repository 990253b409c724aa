// Lowering of layers to Programs: the I-ViT encoder block (INT8, W4A8 per channel or group-wise, optional
// log-sqrt2 attention), the BinaryViT block and a single GEMM.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "golden/encoder.hpp"
#include "golden/program.hpp"

namespace qtsim::golden {

struct LowerOptions {
  int w_bits = 8;         // weights of the four linears: 8, or 4 (W4A8)
  int64_t group = 0;      // 0: per-channel weights; > 0: group-wise uint4 with this group size (4-bit linears)
  // Mixed precision (as in PMQ): weight bits of single linears (qkv, proj, fc1, fc2) over w_bits.
  std::map<std::string, int> op_w_bits;
  bool logsqrt2 = false;  // RepQ-ViT log-sqrt2 attention probabilities and shift-add attn @ v
  int logsqrt2_bits = 4;
  Rounding rounding = Rounding::half_even;
  Numerator numerator = Numerator::pow2_31;
  int bits_of(const std::string& linear) const;
  void check(const EncoderDims& d) const;
};

// The encoder's linears, in program order: the names op_w_bits takes.
const std::vector<std::string>& encoder_linears();

// A program with the integer inputs that go with it.
struct Lowered {
  Program program;
  std::map<std::string, ITensor> inputs;
};

// Input "x" (int16 tokens at the calibrated scale), output "out" (int16); every scale from `cal`.
Program lower_encoder(const EncoderDims& d, const EncoderWeights& w, const Calibration& cal, const LowerOptions& o);

// The same block appended to `p` under `prefix` (tensors and ops "b0.qkv", ...), reading tensor `in` (int16,
// already in `p`) and writing `out`: the blocks of a whole model.
void lower_encoder_block(Program& p, const std::string& prefix, const std::string& in, const std::string& out,
                         const EncoderDims& d, const EncoderWeights& w, const Calibration& cal, const LowerOptions& o);

// Seeded weights, calibration on `calib_batches` batches and one seeded input batch: the whole flow.
struct EncoderCase {
  EncoderDims dims;
  EncoderWeights weights;
  Calibration cal;
  FTensor x_float;
  Lowered lowered;
};
EncoderCase make_encoder_case(const EncoderDims& d, const LowerOptions& o, uint64_t seed, int calib_batches = 4);

// Dequantised block output, for comparison with the FP32 forward.
FTensor dequantized_output(const Program& p, const ITensor& out);

// One GEMM: int8 A [M,K] (input "a"), seeded int8 weight [N,K] and int32 bias, requantised to int8 "out".
Lowered lower_gemm(int64_t m, int64_t k, int64_t n, uint64_t seed);

}  // namespace qtsim::golden
