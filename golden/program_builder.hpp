// Building Programs from layers: tensors and ops under local names, the linear + requant, I-LayerNorm +
// requant and residual patterns of I-ViT's graph. Used by the lowerings (lower.cpp, vit_model.cpp).
#pragma once
#include <map>
#include <string>
#include <vector>

#include "golden/lower.hpp"
#include "golden/gemm_group4.hpp"
#include "golden/quantize.hpp"

namespace qtsim::golden {

// Builds into `p` under local names: `prefix` + name, or the name `rename` maps it to (a block's input
// and output in a whole model). Options look at local names (op_w_bits takes "fc1", not "b2.fc1").
struct ProgramBuilder {
  Program& p;
  const LowerOptions& o;
  std::string prefix;
  std::map<std::string, std::string> rename;

  std::string n(const std::string& local) const {
    const auto it = rename.find(local);
    return it != rename.end() ? it->second : prefix + local;
  }
  const TensorInfo& info(const std::string& local) const { return p.info(n(local)); }
  void tensor(const std::string& name, Shape shape, IntType type, std::vector<float> scale) {
    p.tensors[n(name)] = TensorInfo{std::move(shape), type, std::move(scale)};
  }
  Op& op(OpKind kind, const std::string& name, std::vector<std::string> in, std::vector<std::string> out) {
    Op x;
    x.kind = kind;
    x.name = n(name);
    for (const auto& t : in) x.in.push_back(n(t));
    for (const auto& t : out) x.out.push_back(n(t));
    p.ops.push_back(std::move(x));
    return p.ops.back();
  }
  Requant rq(std::vector<Dyadic> mult, int bits) const { return Requant{std::move(mult), 1, bits, o.rounding}; }

  // Linear + requant: in (int8, scale s_in) -> out (bits, s_out). Per-channel int8/int4 or group-wise uint4.
  // out_bits 0: no requant; `out` is the int32 accumulator.
  void linear(const std::string& name, const std::string& in, float s_in, const FTensor& w, const std::vector<float>& b,
              const std::string& out, float s_out, int out_bits) {
    const int64_t n = w.shape[0], k = w.shape[1];
    const Shape& ishape = info(in).shape;
    Shape acc_shape = ishape;
    acc_shape.back() = n;
    const std::string acc = out_bits == 0 ? out : name + "_acc", wname = name + "_w";
    std::vector<Dyadic> mult;
    std::vector<float> acc_scale;
    const int bits = o.bits_of(name);
    if (o.group > 0 && bits == 4) {
      GroupInt4Weights gw = quantize_group_int4(w, o.group);
      const Group4Consts c = group4_consts(gw);
      tensor(wname, {n, k}, uint_type(4), {});
      p.group4_consts[this->n(wname)] = std::move(gw);
      tensor(acc, acc_shape, int_type(64), {});
      op(OpKind::gemm_group4, name, {in}, {acc}).weight = this->n(wname);
      p.ops.back().bias = quantize_bias(b, s_in, c.s_max);
      for (int64_t j = 0; j < n; ++j) {
        const double s = group4_acc_scale(s_in, c, j);
        acc_scale.push_back(static_cast<float>(s));
        if (out_bits) mult.push_back(dyadic_from_scales(s, s_out));
      }
    } else {
      const std::vector<float> sw = weight_scales(w, bits);
      p.consts[this->n(wname)] = quantize_weight(w, sw, bits);
      tensor(wname, {n, k}, int_type(bits), sw);
      for (int64_t j = 0; j < n; ++j) acc_scale.push_back(s_in * sw[static_cast<size_t>(j)]);
      tensor(acc, acc_shape, int_type(32), acc_scale);
      op(OpKind::gemm, name, {in}, {acc}).weight = this->n(wname);
      p.ops.back().bias = quantize_bias(b, s_in, sw);
      if (out_bits)
        for (float s : acc_scale) mult.push_back(dyadic_from_scales(s, s_out));
    }
    if (out_bits == 0) return;
    tensor(out, acc_shape, int_type(out_bits), {s_out});
    op(OpKind::requant, name + "_rq", {acc}, {out}).rq = rq(std::move(mult), out_bits);
  }

  // I-LayerNorm + per-channel requant to int8.
  void layernorm(const std::string& name, const std::string& in, const std::vector<float>& g, const std::vector<float>& b,
                 const std::string& out, float s_out) {
    const Shape& shape = info(in).shape;
    ILayerNormParams lp;
    lp.scale = info(in).scale.at(0);
    lp.gamma = g;
    lp.beta = b;
    lp.numerator = o.numerator;
    const std::vector<float> os = ilayernorm_out_scale(lp, shape.back());
    tensor(name, shape, int_type(32), os);
    op(OpKind::ilayernorm, name, {in}, {name}).ilayernorm = lp;
    std::vector<Dyadic> mult;
    for (float s : os) mult.push_back(dyadic_from_scales(s, s_out));
    tensor(out, shape, int_type(8), {s_out});
    op(OpKind::requant, name + "_rq", {name}, {out}).rq = rq(std::move(mult), 8);
  }

  // Residual: two dyadic terms rounded separately, summed, clamped to int16.
  void residual(const std::string& name, const std::string& a, float sa, const std::string& id, float sid, float s_out) {
    tensor(name, info(a).shape, int_type(16), {s_out});
    Op& x = op(OpKind::add_requant, name, {a, id}, {name});
    x.rq = rq({dyadic_from_scales(sa, s_out)}, 16);
    x.rq_identity = {dyadic_from_scales(sid, s_out)};
  }
};

}  // namespace qtsim::golden
