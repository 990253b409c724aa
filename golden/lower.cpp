#include "golden/lower.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "golden/exec.hpp"
#include "golden/program_builder.hpp"
#include "golden/gemm.hpp"
#include "golden/quantize.hpp"

namespace qtsim::golden {

const std::vector<std::string>& encoder_linears() {
  static const std::vector<std::string> names{"qkv", "proj", "fc1", "fc2"};
  return names;
}

int LowerOptions::bits_of(const std::string& linear) const {
  const auto it = op_w_bits.find(linear);
  return it == op_w_bits.end() ? w_bits : it->second;
}

void LowerOptions::check(const EncoderDims& d) const {
  if (w_bits != 8 && w_bits != 4) throw std::invalid_argument("w_bits must be 8 or 4, got " + std::to_string(w_bits));
  for (const auto& [name, bits] : op_w_bits) {
    const auto& l = encoder_linears();
    if (std::find(l.begin(), l.end(), name) == l.end())
      throw std::invalid_argument("op_w_bits: unknown linear '" + name + "' (qkv, proj, fc1, fc2)");
    if (bits != 8 && bits != 4) throw std::invalid_argument("op_w_bits: " + name + " must be 8 or 4, got " + std::to_string(bits));
  }
  if (group < 0) throw std::invalid_argument("group must be >= 0");
  if (group > 0) {
    if (w_bits != 4) throw std::invalid_argument("group-wise weights need w_bits 4");
    if (d.dim % group != 0 || d.mlp % group != 0)
      throw std::invalid_argument("group size " + std::to_string(group) + " does not divide K (" + std::to_string(d.dim) +
                                  " and " + std::to_string(d.mlp) + ")");
  }
  if (logsqrt2_bits < 2 || logsqrt2_bits > kLogSqrt2MaxBits)
    throw std::invalid_argument("logsqrt2_bits must be in 2.." + std::to_string(kLogSqrt2MaxBits));
}

namespace {
// One I-ViT block from tensor "x" (declared by the caller) to "out", in the builder's names.
void encoder_block(ProgramBuilder& b, const EncoderDims& d, const EncoderWeights& w, const Calibration& cal) {
  const LowerOptions& o = b.o;
  const auto& s = cal.scales;
  const int64_t t = d.tokens, h = d.heads, hd = d.head_dim(), dim = d.dim;
  b.layernorm("ln1", "x", w.ln1_g, w.ln1_b, "a1", s[s_a1]);
  b.linear("qkv", "a1", s[s_a1], w.qkv_w, w.qkv_b, "qkv", s[s_qkv], 8);
  b.tensor("q", {h, t, hd}, int_type(8), {s[s_qkv]});
  b.tensor("k", {h, t, hd}, int_type(8), {s[s_qkv]});
  b.tensor("vt", {h, hd, t}, int_type(8), {s[s_qkv]});
  b.op(OpKind::split_heads, "split_heads", {"qkv"}, {"q", "k", "vt"}).heads = h;

  // head_dim^-0.5 is folded into the float scale of q @ k^T, as in I-ViT.
  const float s_qk = s[s_qkv] * s[s_qkv] * static_cast<float>(1.0 / std::sqrt(static_cast<double>(hd)));
  b.tensor("scores_acc", {h, t, t}, int_type(32), {s_qk});
  b.op(OpKind::bmm_nt, "qk", {"q", "k"}, {"scores_acc"});
  b.tensor("scores", {h, t, t}, int_type(8), {s[s_scores]});
  b.op(OpKind::requant, "qk_rq", {"scores_acc"}, {"scores"}).rq = b.rq({dyadic_from_scales(s_qk, s[s_scores])}, 8);
  b.tensor("probs", {h, t, t}, uint_type(16), {1.0f / 32768.0f});
  Op& sm = b.op(OpKind::shiftmax, "softmax", {"scores"}, {"probs"});
  sm.shiftmax.scale = s[s_scores];
  sm.shiftmax.out_bits = 16;
  sm.shiftmax.numerator = o.numerator;

  b.tensor("ctx_h", {h, t, hd}, int_type(8), {s[s_ctx]});
  if (o.logsqrt2) {
    const float delta = cal.probs_max;
    const int S = 1 << (o.logsqrt2_bits - 1);
    b.tensor("codes", {h, t, t}, int_type(8), {});
    Op& c = b.op(OpKind::logsqrt2_codes, "logsqrt2", {"probs"}, {"codes"});
    c.vec = logsqrt2_thresholds(delta, o.logsqrt2_bits);
    c.bits = o.logsqrt2_bits;
    b.tensor("sv_even", {h, t, hd}, int_type(32), {});
    b.tensor("sv_odd", {h, t, hd}, int_type(32), {});
    b.op(OpKind::logsqrt2_attn_v, "sv", {"codes", "vt"}, {"sv_even", "sv_odd"}).bits = o.logsqrt2_bits;
    const double unit = static_cast<double>(delta) * s[s_qkv] * std::ldexp(1.0, -S);
    Op& r = b.op(OpKind::add_requant, "sv_rq", {"sv_even", "sv_odd"}, {"ctx_h"});
    r.rq = b.rq({dyadic_from_scales(unit, s[s_ctx])}, 8);
    r.rq_identity = {dyadic_from_scales(unit * std::sqrt(2.0), s[s_ctx])};
  } else {
    const float s_sv = s[s_qkv] / 32768.0f;
    b.tensor("ctx_acc", {h, t, hd}, int_type(32), {s_sv});
    b.op(OpKind::bmm_nt, "sv", {"probs", "vt"}, {"ctx_acc"});
    b.op(OpKind::requant, "sv_rq", {"ctx_acc"}, {"ctx_h"}).rq = b.rq({dyadic_from_scales(s_sv, s[s_ctx])}, 8);
  }
  b.tensor("ctx", {t, dim}, int_type(8), {s[s_ctx]});
  b.op(OpKind::merge_heads, "merge_heads", {"ctx_h"}, {"ctx"});

  b.linear("proj", "ctx", s[s_ctx], w.proj_w, w.proj_b, "proj", s[s_proj], 16);
  b.residual("x2", "proj", s[s_proj], "x", s[s_x], s[s_x2]);

  b.layernorm("ln2", "x2", w.ln2_g, w.ln2_b, "a2", s[s_a2]);
  b.linear("fc1", "a2", s[s_a2], w.fc1_w, w.fc1_b, "fc1", s[s_fc1], 8);
  const float s_gelu = s[s_fc1] / 128.0f;
  b.tensor("gelu", {t, d.mlp}, int_type(16), {s_gelu});
  Op& g = b.op(OpKind::shiftgelu, "gelu", {"fc1"}, {"gelu"});
  g.shiftgelu.scale = s[s_fc1];
  g.shiftgelu.numerator = o.numerator;
  b.tensor("a3", {t, d.mlp}, int_type(8), {s[s_a3]});
  b.op(OpKind::requant, "gelu_rq", {"gelu"}, {"a3"}).rq = b.rq({dyadic_from_scales(s_gelu, s[s_a3])}, 8);
  b.linear("fc2", "a3", s[s_a3], w.fc2_w, w.fc2_b, "fc2", s[s_fc2], 16);
  b.residual("out", "fc2", s[s_fc2], "x2", s[s_x2], s[s_out]);
}
}  // namespace

Program lower_encoder(const EncoderDims& d, const EncoderWeights& w, const Calibration& cal, const LowerOptions& o) {
  d.check();
  o.check(d);
  Program p;
  p.name = d.model + "_encoder";
  ProgramBuilder b{p, o, "", {}};
  b.tensor("x", {d.tokens, d.dim}, int_type(16), {cal.scales[s_x]});
  p.inputs = {"x"};
  encoder_block(b, d, w, cal);
  p.outputs = {"out"};
  p.check();
  return p;
}

void lower_encoder_block(Program& p, const std::string& prefix, const std::string& in, const std::string& out,
                         const EncoderDims& d, const EncoderWeights& w, const Calibration& cal, const LowerOptions& o) {
  d.check();
  o.check(d);
  ProgramBuilder b{p, o, prefix, {{"x", in}, {"out", out}}};
  Calibration c = cal;
  c.scales[s_x] = p.info(in).scale.at(0);  // the residual's identity term is the input as it was quantized
  encoder_block(b, d, w, c);
}

EncoderCase make_encoder_case(const EncoderDims& d, const LowerOptions& o, uint64_t seed, int calib_batches) {
  EncoderCase c;
  c.dims = d;
  c.weights = random_encoder_weights(d, seed);
  c.cal = calibrate_encoder(c.weights, d, seed, calib_batches);
  c.x_float = random_tokens(d, seed);
  c.lowered.program = lower_encoder(d, c.weights, c.cal, o);
  c.lowered.inputs["x"] = quantize_symmetric(c.x_float, c.cal.scales[s_x], 16);
  return c;
}

FTensor dequantized_output(const Program& p, const ITensor& out) {
  return dequantize(out, p.info(p.outputs.at(0)).scale.at(0));
}

Lowered lower_gemm(int64_t m, int64_t k, int64_t n, uint64_t seed) {
  if (m < 1 || k < 1 || n < 1) throw std::invalid_argument("gemm M, K, N must be >= 1");
  Lowered l;
  Program& p = l.program;
  p.name = "gemm_" + std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n);
  uint64_t st = seed * 2654435761u + 1;
  auto int_draws = [&](int64_t count, int64_t lo, int64_t hi) {
    std::vector<int64_t> v(static_cast<size_t>(count));
    for (auto& x : v) x = lo + static_cast<int64_t>(splitmix64(st) % static_cast<uint64_t>(hi - lo + 1));
    return v;
  };
  const float s_a = 1.0f / 64, s_w = 1.0f / 128;
  p.tensors["a"] = {{m, k}, int_type(8), {s_a}};
  p.tensors["w"] = {{n, k}, int_type(8), {s_w}};
  p.tensors["acc"] = {{m, n}, int_type(32), {s_a * s_w}};
  p.consts["w"] = ITensor({n, k}, int_draws(n * k, -128, 127));
  l.inputs["a"] = ITensor({m, k}, int_draws(m * k, -128, 127));
  p.inputs = {"a"};
  Op g;
  g.kind = OpKind::gemm;
  g.name = "gemm";
  g.in = {"a"};
  g.out = {"acc"};
  g.weight = "w";
  g.bias = int_draws(n, -4096, 4096);
  p.ops.push_back(g);
  // Output scale from the accumulators' actual range (calibration on the one input).
  const ITensor acc = gemm(l.inputs["a"], p.consts["w"], g.bias, int_type(8), int_type(8));
  int64_t mx = 1;
  for (int64_t v : acc.data) mx = std::max(mx, std::abs(v));
  const float s_out = static_cast<float>(mx) * s_a * s_w / 127.0f;
  p.tensors["out"] = {{m, n}, int_type(8), {s_out}};
  Op r;
  r.kind = OpKind::requant;
  r.name = "requant";
  r.in = {"acc"};
  r.out = {"out"};
  r.rq = Requant{{dyadic_from_scales(s_a * s_w, s_out)}, 1, 8, Rounding::half_even};
  p.ops.push_back(r);
  p.outputs = {"out"};
  p.check();
  return l;
}

}  // namespace qtsim::golden
