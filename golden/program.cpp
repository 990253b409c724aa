#include "golden/program.hpp"

#include <set>
#include <stdexcept>

namespace qtsim::golden {

const char* op_kind_name(OpKind k) {
  switch (k) {
    case OpKind::gemm: return "gemm";
    case OpKind::gemm_group4: return "gemm_group4";
    case OpKind::bgemm: return "bgemm";
    case OpKind::bmm_nt: return "bmm_nt";
    case OpKind::requant: return "requant";
    case OpKind::add_requant: return "add_requant";
    case OpKind::shiftmax: return "shiftmax";
    case OpKind::shiftgelu: return "shiftgelu";
    case OpKind::ilayernorm: return "ilayernorm";
    case OpKind::split_heads: return "split_heads";
    case OpKind::merge_heads: return "merge_heads";
    case OpKind::concat_rows: return "concat_rows";
    case OpKind::take_rows: return "take_rows";
    case OpKind::binarize: return "binarize";
    case OpKind::scale_rows: return "scale_rows";
    case OpKind::mask_probs: return "mask_probs";
    case OpKind::logsqrt2_codes: return "logsqrt2_codes";
    case OpKind::logsqrt2_attn_v: return "logsqrt2_attn_v";
  }
  return "?";
}

const TensorInfo& Program::info(const std::string& t) const {
  const auto it = tensors.find(t);
  if (it == tensors.end()) throw std::invalid_argument("program " + name + ": unknown tensor '" + t + "'");
  return it->second;
}

void Program::check() const {
  std::set<std::string> defined(inputs.begin(), inputs.end());
  for (const auto& i : inputs) info(i);
  for (const Op& op : ops) {
    for (const auto& i : op.in)
      if (!defined.count(i))
        throw std::invalid_argument("program " + name + ": op " + op.name + " reads '" + i + "' before it is written");
    for (const auto& o : op.out) {
      info(o);
      if (!defined.insert(o).second)
        throw std::invalid_argument("program " + name + ": '" + o + "' written twice (op " + op.name + ")");
    }
    const bool needs_weight = op.kind == OpKind::gemm || op.kind == OpKind::gemm_group4 || op.kind == OpKind::bgemm;
    if (needs_weight && !consts.count(op.weight) && !group4_consts.count(op.weight) && !bit_consts.count(op.weight))
      throw std::invalid_argument("program " + name + ": op " + op.name + " has no weight '" + op.weight + "'");
  }
  for (const auto& o : outputs)
    if (!defined.count(o)) throw std::invalid_argument("program " + name + ": output '" + o + "' never written");
}

int64_t op_macs(const Program& p, const Op& op) {
  switch (op.kind) {
    case OpKind::gemm:
    case OpKind::gemm_group4:
    case OpKind::bgemm: {
      const Shape& a = p.info(op.in[0]).shape;
      const Shape& c = p.info(op.out[0]).shape;
      return numel(c) * a.back();
    }
    case OpKind::bmm_nt:
    case OpKind::logsqrt2_attn_v: {
      const Shape& a = p.info(op.in[0]).shape;
      const Shape& c = p.info(op.out[0]).shape;
      return numel(c) * a.back();
    }
    default: return 0;
  }
}

}  // namespace qtsim::golden
