// The Program: the contract between the golden, the cycle model, the RTL and the analytic model.
// A list of ops over named integer tensors, each tensor with its shape, element type and scale.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "golden/bgemm.hpp"
#include "golden/gemm_group4.hpp"
#include "golden/ilayernorm.hpp"
#include "golden/int_type.hpp"
#include "golden/requant.hpp"
#include "golden/shiftgelu.hpp"
#include "golden/shiftmax.hpp"

namespace qtsim::golden {

enum class OpKind {
  gemm,            // in: A [M,K]; weight [N,K] const; out: int32 [M,N] (+ bias)
  gemm_group4,     // in: A [M,K]; group-wise uint4 weight const; out: wide int64 [M,N]
  bgemm,           // in: A [M,K] of +-1; +-1 weight const; out: [M,N] = popcount form
  bmm_nt,          // in: A [H,M,K], B [H,N,K]; out: [H,M,N] (attention q@k^T, probs@v^T-layout)
  requant,         // in: z; out: round(z*m/2^e) clamped
  add_requant,     // in: z, identity; out: two rounded dyadic terms, summed, clamped
  shiftmax,        // in: int8 logits [..., T]; out: uint16 probabilities (scale 2^-15)
  shiftgelu,       // in: int8 [..., C]; out: x * sigmoid_int (scale s * 2^-7)
  ilayernorm,      // in: int16 [..., C]; out: int32 (per-channel scale)
  split_heads,     // in: qkv [T, 3*H*d]; out: q [H,T,d], k [H,T,d], v^T [H,d,T]
  merge_heads,     // in: [H,T,d]; out: [T, H*d]
  binarize,        // in: x [..., C]; out: +1 where x + beta_c >= 0, else -1 (sign with the tie sent to +1)
  scale_rows,      // in: x [..., N]; out: x * mult[n] + bias[n]: alpha_c and a folded norm in fixed point
  mask_probs,      // in: uint16 probabilities; out: 1 where p >= threshold, else 0 (binarised attention)
  logsqrt2_codes,  // in: uint16 probabilities; out: log-sqrt2 codes (kLogZero for zero)
  logsqrt2_attn_v, // in: codes [H,M,T], v^T [H,d,T]; out: even and odd shift-add accumulators [H,M,d]
  concat_rows,     // in: a [R1, C], b [R2, C]; out: [R1 + R2, C] (the cls token before the patch tokens)
  take_rows,       // in: x [R, C]; out: rows [row0, row0 + R') of x (the cls row before the head)
};

const char* op_kind_name(OpKind k);

// Element type and scale of a named tensor; scale has one value (per tensor) or one per last-axis channel.
struct TensorInfo {
  Shape shape;
  IntType type;
  std::vector<float> scale;
};

struct Op {
  OpKind kind = OpKind::gemm;
  std::string name;
  std::vector<std::string> in, out;

  std::string weight;         // gemm, gemm_group4, bgemm: name of a constant
  std::vector<int64_t> bias;  // gemm, gemm_group4: int32 per output channel; scale_rows: fixed-point offset
  Requant rq;                 // requant, add_requant (first term)
  std::vector<Dyadic> rq_identity;  // add_requant: multipliers of the identity term
  ShiftmaxParams shiftmax;
  ShiftGeluParams shiftgelu;
  ILayerNormParams ilayernorm;
  int64_t heads = 1;            // split_heads
  std::vector<int64_t> vec;     // binarize: beta; scale_rows: multipliers; logsqrt2_codes: thresholds
  int64_t threshold = 0;        // mask_probs
  int bits = 0;                 // logsqrt2_*: code bits
  int64_t row0 = 0;             // take_rows: first row
};

struct Program {
  std::string name;
  std::map<std::string, TensorInfo> tensors;  // every tensor an op reads or writes, inputs included
  std::map<std::string, ITensor> consts;      // int8/int4 weights
  std::map<std::string, GroupInt4Weights> group4_consts;
  std::map<std::string, BitMatrix> bit_consts;
  std::vector<std::string> inputs, outputs;
  std::vector<Op> ops;

  const TensorInfo& info(const std::string& t) const;
  // Every op reads only tensors defined earlier (or inputs) and writes each name once.
  void check() const;
};

// Multiply-accumulate count of a gemm/bgemm/bmm op (for reports and throughput).
int64_t op_macs(const Program& p, const Op& op);

}  // namespace qtsim::golden
