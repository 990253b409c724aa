#include "golden/exec.hpp"

#include <stdexcept>

#include "golden/gemm.hpp"
#include "golden/quantize.hpp"

namespace qtsim::golden {

void Taps::put(const std::string& name, ITensor v) {
  if (!t.count(name)) order.push_back(name);
  t[name] = std::move(v);
}

const ITensor& Taps::at(const std::string& name) const {
  const auto it = t.find(name);
  if (it == t.end()) throw std::invalid_argument("no tap named '" + name + "'");
  return it->second;
}

namespace {

void check_fits(const Program& p, const std::string& name, const ITensor& v, const std::string& who) {
  const TensorInfo& ti = p.info(name);
  if (v.shape != ti.shape)
    throw std::logic_error(who + ": '" + name + "' has shape " + shape_str(v.shape) + ", declared " + shape_str(ti.shape));
  for (int64_t i = 0; i < v.size(); ++i)
    if (!ti.type.holds(v[i]))
      throw std::logic_error(who + ": '" + name + "'[" + std::to_string(i) + "] = " + std::to_string(v[i]) +
                             " does not fit " + ti.type.name());
}

ITensor split_part(const ITensor& qkv, int64_t heads, int part) {
  const int64_t t = qkv.shape[0], d3 = qkv.shape[1], dim = d3 / 3, hd = dim / heads;
  const bool transpose = part == 2;  // v is laid out [H, d, T] so that probs @ v is an A @ B^T product
  ITensor out(transpose ? Shape{heads, hd, t} : Shape{heads, t, hd});
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t i = 0; i < t; ++i)
      for (int64_t j = 0; j < hd; ++j) {
        const int64_t v = qkv[i * d3 + part * dim + h * hd + j];
        out[transpose ? (h * hd + j) * t + i : (h * t + i) * hd + j] = v;
      }
  return out;
}

}  // namespace

void run_op(const Program& p, const Op& op, Taps& taps) {
  auto in = [&](size_t i) -> const ITensor& { return taps.at(op.in.at(i)); };
  switch (op.kind) {
    case OpKind::gemm:
      taps.put(op.out[0], gemm(in(0), p.consts.at(op.weight), op.bias, p.info(op.in[0]).type, p.info(op.weight).type));
      break;
    case OpKind::gemm_group4: {
      const GroupInt4Weights& w = p.group4_consts.at(op.weight);
      taps.put(op.out[0], gemm_group4(in(0), w, group4_consts(w), op.bias));
      break;
    }
    case OpKind::bgemm: {
      ITensor c = bgemm(pack_signs(in(0)), p.bit_consts.at(op.weight));
      Shape s = in(0).shape;
      s.back() = c.shape.back();
      c.shape = s;
      taps.put(op.out[0], std::move(c));
      break;
    }
    case OpKind::bmm_nt:
      taps.put(op.out[0], bmm_nt(in(0), in(1), p.info(op.in[0]).type, p.info(op.in[1]).type));
      break;
    case OpKind::requant: taps.put(op.out[0], requant(in(0), op.rq)); break;
    case OpKind::add_requant: taps.put(op.out[0], requant_add(in(0), op.rq, in(1), op.rq_identity)); break;
    case OpKind::shiftmax: taps.put(op.out[0], shiftmax(in(0), op.shiftmax)); break;
    case OpKind::shiftgelu: taps.put(op.out[0], shiftgelu(in(0), op.shiftgelu)); break;
    case OpKind::ilayernorm: taps.put(op.out[0], ilayernorm(in(0), op.ilayernorm)); break;
    case OpKind::split_heads:
      for (int part = 0; part < 3; ++part) taps.put(op.out[static_cast<size_t>(part)], split_part(in(0), op.heads, part));
      break;
    case OpKind::merge_heads: {
      const ITensor& x = in(0);
      const int64_t h = x.shape[0], t = x.shape[1], d = x.shape[2];
      ITensor out({t, h * d});
      for (int64_t hh = 0; hh < h; ++hh)
        for (int64_t i = 0; i < t; ++i)
          for (int64_t j = 0; j < d; ++j) out[i * h * d + hh * d + j] = x[(hh * t + i) * d + j];
      taps.put(op.out[0], std::move(out));
      break;
    }
    case OpKind::concat_rows: {
      ITensor out(p.info(op.out[0]).shape);
      std::copy(in(0).data.begin(), in(0).data.end(), out.data.begin());
      std::copy(in(1).data.begin(), in(1).data.end(), out.data.begin() + static_cast<std::ptrdiff_t>(in(0).size()));
      taps.put(op.out[0], std::move(out));
      break;
    }
    case OpKind::take_rows: {
      ITensor out(p.info(op.out[0]).shape);
      const auto first = in(0).data.begin() + static_cast<std::ptrdiff_t>(op.row0 * in(0).last());
      std::copy(first, first + static_cast<std::ptrdiff_t>(out.size()), out.data.begin());
      taps.put(op.out[0], std::move(out));
      break;
    }
    case OpKind::binarize: taps.put(op.out[0], binarize_pm1(in(0), op.vec)); break;
    case OpKind::scale_rows: {
      ITensor out = in(0);
      const int64_t n = out.last();
      for (int64_t r = 0; r < out.rows(); ++r)
        for (int64_t j = 0; j < n; ++j)
          out[r * n + j] = affine_value(out[r * n + j], op.vec[static_cast<size_t>(j)], op.bias[static_cast<size_t>(j)]);
      taps.put(op.out[0], std::move(out));
      break;
    }
    case OpKind::mask_probs: {
      ITensor out = in(0);
      for (auto& v : out.data) v = mask_value(v, op.threshold);
      taps.put(op.out[0], std::move(out));
      break;
    }
    case OpKind::logsqrt2_codes: {
      ITensor out = in(0);
      for (auto& v : out.data) v = logsqrt2_code_int(v, op.vec);
      taps.put(op.out[0], std::move(out));
      break;
    }
    case OpKind::logsqrt2_attn_v: {
      // v arrives as v^T [H, d, T]; the shift-add form wants [H, T, d].
      const ITensor& vt = in(1);
      const int64_t h = vt.shape[0], d = vt.shape[1], t = vt.shape[2];
      ITensor v({h, t, d});
      for (int64_t hh = 0; hh < h; ++hh)
        for (int64_t j = 0; j < d; ++j)
          for (int64_t i = 0; i < t; ++i) v[(hh * t + i) * d + j] = vt[(hh * d + j) * t + i];
      LogSqrt2Acc acc = logsqrt2_attn_v(in(0), v, op.bits);
      taps.put(op.out[0], std::move(acc.even));
      taps.put(op.out[1], std::move(acc.odd));
      break;
    }
  }
  for (const auto& o : op.out) check_fits(p, o, taps.at(o), "op " + op.name + " (" + op_kind_name(op.kind) + ")");
}

Taps run_program(const Program& p, const std::map<std::string, ITensor>& inputs) {
  p.check();
  Taps taps;
  for (const auto& name : p.inputs) {
    const auto it = inputs.find(name);
    if (it == inputs.end()) throw std::invalid_argument("program " + p.name + ": missing input '" + name + "'");
    check_fits(p, name, it->second, "input");
    taps.put(name, it->second);
  }
  for (const Op& op : p.ops) run_op(p, op, taps);
  return taps;
}

}  // namespace qtsim::golden
