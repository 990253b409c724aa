#include "golden/lower_binary.hpp"

#include <cmath>
#include <stdexcept>

namespace qtsim::golden {

namespace {

BinaryLinear random_linear(int64_t out, int64_t in, uint64_t& s) {
  BinaryLinear l;
  l.w = binarize_weight(FTensor({out, in}, normal_draws(out * in, ++s, 1.0f / std::sqrt(static_cast<float>(in)))));
  for (auto& v : l.w.sign.data)
    if (v == 0) v = 1;  // a centred weight of exactly 0 has no one-bit code; it joins the +1 side
  l.g = normal_draws(out, ++s, 0.1f);
  for (auto& v : l.g) v = 1.0f + std::fabs(v);
  l.h = normal_draws(out, ++s, 0.05f);
  return l;
}

}  // namespace

BinaryEncoderWeights random_binary_weights(const EncoderDims& d, uint64_t seed) {
  d.check();
  uint64_t s = seed * 7777777u + 3;
  BinaryEncoderWeights w;
  w.qkv = random_linear(3 * d.dim, d.dim, s);
  w.proj = random_linear(d.dim, d.dim, s);
  w.fc1 = random_linear(d.mlp, d.dim, s);
  w.fc2 = random_linear(d.dim, d.mlp, s);
  w.move_x = normal_draws(d.dim, ++s, 0.1f);
  w.move_qkv = normal_draws(3 * d.dim, ++s, 0.1f);
  w.move_ctx = normal_draws(d.dim, ++s, 0.001f);
  w.move_x1 = normal_draws(d.dim, ++s, 0.1f);
  w.move_h = normal_draws(d.mlp, ++s, 0.1f);
  return w;
}

int64_t sign_threshold_beta(double a, double b) {
  if (!(a > 0)) throw std::invalid_argument("binary threshold needs a positive slope");
  // a v + b >= 0  <=>  v >= -b/a  <=>  v >= ceil(-b/a)
  return -static_cast<int64_t>(std::ceil(-b / a));
}

int64_t prob_mask_threshold(float alpha_p) { return static_cast<int64_t>(std::ceil(alpha_p / 2.0 * 32768.0)); }

Program lower_binary_encoder(const EncoderDims& d, const BinaryEncoderWeights& w, float s_x) {
  d.check();
  if (d.head_dim() > 127) throw std::invalid_argument("binary attention scores need head_dim <= 127 for int8 logits");
  const int64_t t = d.tokens, dim = d.dim, h = d.heads, hd = d.head_dim();
  const double unit = static_cast<double>(s_x) / (1 << kBinaryFrac);
  const float s_x1 = 2 * s_x, s_out = 4 * s_x;
  Program p;
  p.name = d.model + "_binary_encoder";
  auto tensor = [&](const std::string& n, Shape sh, IntType ty, std::vector<float> sc = {}) {
    p.tensors[n] = TensorInfo{std::move(sh), ty, std::move(sc)};
  };
  auto op = [&](OpKind k, const std::string& n, std::vector<std::string> in, std::vector<std::string> out) -> Op& {
    Op o;
    o.kind = k, o.name = n, o.in = std::move(in), o.out = std::move(out);
    p.ops.push_back(std::move(o));
    return p.ops.back();
  };
  // sign(s * x + move) over an integer tensor x of scale s.
  auto betas = [](const std::vector<float>& move, double s) {
    std::vector<int64_t> b;
    for (float m : move) b.push_back(sign_threshold_beta(s, m));
    return b;
  };
  // sign(g (alpha dot) + h + move) over the integer dot of a binary linear.
  auto folded_betas = [](const BinaryLinear& l, const std::vector<float>& move) {
    std::vector<int64_t> b;
    for (size_t c = 0; c < l.g.size(); ++c)
      b.push_back(sign_threshold_beta(static_cast<double>(l.g[c]) * l.w.alpha[c], static_cast<double>(l.h[c]) + move[c]));
    return b;
  };
  auto weight = [&](const std::string& n, const BinaryLinear& l) {
    tensor(n, l.w.sign.shape, int_type(2));
    p.bit_consts[n] = pack_signs(l.w.sign);
  };
  // dot -> g alpha dot + h in fixed point (unit s_x 2^-8)
  auto affine = [&](Op& o, const BinaryLinear& l) {
    for (size_t c = 0; c < l.g.size(); ++c) {
      o.vec.push_back(static_cast<int64_t>(std::nearbyint(static_cast<double>(l.g[c]) * l.w.alpha[c] / unit)));
      o.bias.push_back(static_cast<int64_t>(std::nearbyint(static_cast<double>(l.h[c]) / unit)));
    }
  };

  tensor("x", {t, dim}, int_type(16), {s_x});
  p.inputs = {"x"};
  // attention
  tensor("xb", {t, dim}, int_type(2));
  op(OpKind::binarize, "x_sign", {"x"}, {"xb"}).vec = betas(w.move_x, s_x);
  weight("qkv_w", w.qkv);
  tensor("qkv_dot", {t, 3 * dim}, int_type(32));
  op(OpKind::bgemm, "qkv", {"xb"}, {"qkv_dot"}).weight = "qkv_w";
  tensor("qkvb", {t, 3 * dim}, int_type(2));
  op(OpKind::binarize, "qkv_sign", {"qkv_dot"}, {"qkvb"}).vec = folded_betas(w.qkv, w.move_qkv);
  tensor("q", {h, t, hd}, int_type(2));
  tensor("k", {h, t, hd}, int_type(2));
  tensor("vt", {h, hd, t}, int_type(2));
  op(OpKind::split_heads, "split_heads", {"qkvb"}, {"q", "k", "vt"}).heads = h;
  const float s_scores = static_cast<float>(1.0 / std::sqrt(static_cast<double>(hd)));
  tensor("scores", {h, t, t}, int_type(8), {s_scores});
  op(OpKind::bmm_nt, "qk", {"q", "k"}, {"scores"});
  tensor("probs", {h, t, t}, uint_type(16), {1.0f / 32768});
  Op& sm = op(OpKind::shiftmax, "softmax", {"scores"}, {"probs"});
  sm.shiftmax.scale = s_scores;
  tensor("mask", {h, t, t}, uint_type(1), {w.alpha_p});
  op(OpKind::mask_probs, "probs_bin", {"probs"}, {"mask"}).threshold = prob_mask_threshold(w.alpha_p);
  tensor("ctx_h", {h, t, hd}, int_type(16), {w.alpha_p});
  op(OpKind::bmm_nt, "sv", {"mask", "vt"}, {"ctx_h"});
  tensor("ctx", {t, dim}, int_type(16), {w.alpha_p});
  op(OpKind::merge_heads, "merge_heads", {"ctx_h"}, {"ctx"});
  tensor("ctxb", {t, dim}, int_type(2));
  op(OpKind::binarize, "ctx_sign", {"ctx"}, {"ctxb"}).vec = betas(w.move_ctx, w.alpha_p);
  weight("proj_w", w.proj);
  tensor("proj_dot", {t, dim}, int_type(32));
  op(OpKind::bgemm, "proj", {"ctxb"}, {"proj_dot"}).weight = "proj_w";
  tensor("proj_y", {t, dim}, int_type(32), {static_cast<float>(unit)});
  affine(op(OpKind::scale_rows, "proj_affine", {"proj_dot"}, {"proj_y"}), w.proj);
  tensor("x1", {t, dim}, int_type(16), {s_x1});
  Op& r1 = op(OpKind::add_requant, "x1", {"proj_y", "x"}, {"x1"});
  r1.rq = Requant{{dyadic_from_scales(unit, s_x1)}, 1, 16, Rounding::half_even};
  r1.rq_identity = {dyadic_from_scales(s_x, s_x1)};
  // MLP
  tensor("x1b", {t, dim}, int_type(2));
  op(OpKind::binarize, "x1_sign", {"x1"}, {"x1b"}).vec = betas(w.move_x1, s_x1);
  weight("fc1_w", w.fc1);
  tensor("fc1_dot", {t, d.mlp}, int_type(32));
  op(OpKind::bgemm, "fc1", {"x1b"}, {"fc1_dot"}).weight = "fc1_w";
  tensor("hb", {t, d.mlp}, int_type(2));
  op(OpKind::binarize, "fc1_sign", {"fc1_dot"}, {"hb"}).vec = folded_betas(w.fc1, w.move_h);
  weight("fc2_w", w.fc2);
  tensor("fc2_dot", {t, dim}, int_type(32));
  op(OpKind::bgemm, "fc2", {"hb"}, {"fc2_dot"}).weight = "fc2_w";
  tensor("fc2_y", {t, dim}, int_type(32), {static_cast<float>(unit)});
  affine(op(OpKind::scale_rows, "fc2_affine", {"fc2_dot"}, {"fc2_y"}), w.fc2);
  tensor("out", {t, dim}, int_type(16), {s_out});
  Op& r2 = op(OpKind::add_requant, "out", {"fc2_y", "x1"}, {"out"});
  r2.rq = Requant{{dyadic_from_scales(unit, s_out)}, 1, 16, Rounding::half_even};
  r2.rq_identity = {dyadic_from_scales(s_x1, s_out)};
  p.outputs = {"out"};
  p.check();
  return p;
}

BinaryCase make_binary_case(const EncoderDims& d, uint64_t seed) {
  BinaryCase c;
  c.dims = d;
  c.weights = random_binary_weights(d, seed);
  c.x_float = random_tokens(d, seed);
  ActObserver o;
  o.observe(c.x_float);
  c.s_x = o.scale(16);
  c.lowered.program = lower_binary_encoder(d, c.weights, c.s_x);
  c.lowered.inputs["x"] = quantize_symmetric(c.x_float, c.s_x, 16);
  return c;
}

}  // namespace qtsim::golden
