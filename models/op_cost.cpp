#include "models/op_cost.hpp"

#include <algorithm>
#include <cmath>

#include "models/row_units.hpp"

namespace qtsim::model {

using golden::Op;
using golden::OpKind;

namespace {
int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

int64_t tensor_bytes(const golden::Program& p, const std::string& name) {
  const golden::TensorInfo& ti = p.info(name);
  return (golden::numel(ti.shape) * ti.type.bits + 7) / 8;
}

// DRAM and SRAM traffic of one array GEMM: A [m, k] streamed from the input scratchpad, B [n, k] from the
// weight scratchpad; a / b bytes per element. B's DRAM bytes are also counted as weights when B is one.
void array_traffic(const HwConfig& hw, int64_t m, int64_t k, int64_t n, double a_bytes, double b_bytes, bool b_is_weight,
                   OpStats& st) {
  const int64_t R = hw.array.rows, C = hw.array.cols;
  const int64_t buffers = hw.memory.double_buffer ? 2 : 1;
  const double a_total = static_cast<double>(m * k) * a_bytes, b_total = static_cast<double>(n * k) * b_bytes;
  const int64_t n_tiles = ceil_div(n, C), m_tiles = ceil_div(m, R), k_tiles = ceil_div(k, R);
  if (hw.array.dataflow == Dataflow::ws) {
    // A is streamed once per N tile: from DRAM once if it stays in the scratchpad, else each time.
    const bool a_fits = a_total * static_cast<double>(buffers) <= static_cast<double>(hw.memory.input_kib * 1024);
    const int64_t b_dram = static_cast<int64_t>(std::ceil(b_total));
    st.dram_read_bytes += static_cast<int64_t>(std::ceil(a_total * static_cast<double>(a_fits ? 1 : n_tiles))) + b_dram;
    if (b_is_weight) st.dram_weight_bytes += b_dram;
    st.sram_read_bytes += static_cast<int64_t>(std::ceil(a_total * static_cast<double>(n_tiles) + b_total));
    st.sram_write_bytes += m * n * k_tiles * 4;  // partial sums of every K tile
  } else if (hw.array.dataflow == Dataflow::is) {
    // Tiles of A stay in the PEs, each loaded once; B is streamed once per M tile (C wide): from DRAM once if
    // it stays in the weight scratchpad, else each time.
    const int64_t mc_tiles = ceil_div(m, C);
    const bool b_fits = b_total * static_cast<double>(buffers) <= static_cast<double>(hw.memory.weight_kib * 1024);
    const int64_t b_dram = static_cast<int64_t>(std::ceil(b_total * static_cast<double>(b_fits ? 1 : mc_tiles)));
    st.dram_read_bytes += static_cast<int64_t>(std::ceil(a_total)) + b_dram;
    if (b_is_weight) st.dram_weight_bytes += b_dram;
    st.sram_read_bytes += static_cast<int64_t>(std::ceil(a_total + b_total * static_cast<double>(mc_tiles)));
    st.sram_write_bytes += m * n * k_tiles * 4;  // partial sums of every K tile
  } else {
    const bool b_fits = b_total * static_cast<double>(buffers) <= static_cast<double>(hw.memory.weight_kib * 1024);
    const int64_t b_dram = static_cast<int64_t>(std::ceil(b_total * static_cast<double>(b_fits ? 1 : m_tiles)));
    st.dram_read_bytes += static_cast<int64_t>(std::ceil(a_total)) + b_dram;
    if (b_is_weight) st.dram_weight_bytes += b_dram;
    st.sram_read_bytes += static_cast<int64_t>(std::ceil(a_total * static_cast<double>(n_tiles) + b_total * static_cast<double>(m_tiles)));
    st.sram_write_bytes += m * n * 4;
  }
}
}  // namespace

bool is_array_op(OpKind k) {
  return k == OpKind::gemm || k == OpKind::bmm_nt || k == OpKind::gemm_group4 || k == OpKind::bgemm;
}

const char* op_unit(OpKind k) {
  switch (k) {
    case OpKind::gemm:
    case OpKind::gemm_group4:
    case OpKind::bgemm:
    case OpKind::bmm_nt: return "array";
    case OpKind::shiftmax: return "shiftmax";
    case OpKind::shiftgelu: return "shiftgelu";
    case OpKind::ilayernorm: return "ilayernorm";
    case OpKind::split_heads:
    case OpKind::merge_heads:
    case OpKind::concat_rows:
    case OpKind::take_rows: return "layout";
    default: return "ppu";
  }
}

GemmShape gemm_shape(const golden::Program& p, const Op& op) {
  const golden::Shape& a = p.info(op.in[0]).shape;
  GemmShape g;
  switch (op.kind) {
    case OpKind::bmm_nt:
      g.batches = a[0], g.m = a[1], g.k = a[2], g.n = p.info(op.in[1]).shape[1];
      return g;
    case OpKind::gemm:
      g.lanes = p.info(op.weight).type.bits <= 4 ? 2 : 1;  // int4 weights: two per PE
      break;
    case OpKind::bgemm: g.lanes = 64; break;                // one 64-bit XNOR word per PE
    case OpKind::gemm_group4: g.lanes = 2; break;
    default: return g;
  }
  g.m = golden::numel(a) / a.back(), g.k = a.back(), g.n = p.info(op.out[0]).shape.back();
  return g;
}

OpFacts op_facts(const golden::Program& p, size_t index) {
  const Op& op = p.ops[index];
  OpFacts f;
  f.kind = op.kind;
  // Accumulators an array op hands to the op right after it may stay in the accumulator SRAM.
  auto handed_on = [&](const std::string& t, size_t producer) {
    return producer + 1 < p.ops.size() && is_array_op(p.ops[producer].kind) && p.ops[producer].out[0] == t &&
           std::find(p.ops[producer + 1].in.begin(), p.ops[producer + 1].in.end(), t) != p.ops[producer + 1].in.end();
  };
  for (const auto& t : op.in) f.in.push_back({tensor_bytes(p, t), index > 0 && handed_on(t, index - 1)});
  for (const auto& t : op.out) f.out.push_back({tensor_bytes(p, t), handed_on(t, index)});
  const golden::TensorInfo& x = p.info(op.in[0]);
  f.len = x.shape.back();
  f.in_elems = golden::numel(x.shape);
  f.out_elems = golden::numel(p.info(op.out[0]).shape);
  if (is_array_op(op.kind)) {
    f.g = gemm_shape(p, op);
    f.a_bits = x.type.bits;
    f.b_bits = op.kind == OpKind::bmm_nt ? p.info(op.in[1]).type.bits : p.info(op.weight).type.bits;
    if (op.kind == OpKind::gemm_group4) f.group = p.group4_consts.at(op.weight).group;
  }
  // Constants an op loads besides its tensors: int32 biases count as weights; requant multipliers (int32 m and
  // an 8-bit shift each), group-wise zero points and multipliers (16 bits each per group) and per-channel
  // constants of the binary and log-sqrt2 ops (int32 each) as quantization metadata.
  f.bias_bytes = 4 * static_cast<int64_t>(op.bias.size());
  f.meta_bytes = 5 * static_cast<int64_t>(op.rq.mult.size() + op.rq_identity.size()) + 4 * static_cast<int64_t>(op.vec.size());
  if (op.kind == OpKind::gemm_group4) {
    const auto& gw = p.group4_consts.at(op.weight);
    f.meta_bytes += 4 * gw.n * gw.groups();
  }
  // Shift-add attn @ v: one PPU step per (probability, value column) pair.
  f.ppu_elems = op.kind == OpKind::logsqrt2_attn_v ? f.in_elems * p.info(op.in[1]).shape[1] : f.out_elems;
  return f;
}

std::vector<OpFacts> program_facts(const golden::Program& p) {
  std::vector<OpFacts> f;
  for (size_t i = 0; i < p.ops.size(); ++i) f.push_back(op_facts(p, i));
  return f;
}

namespace {
void add_constants(const OpFacts& f, OpStats& st) {
  st.dram_read_bytes += f.bias_bytes + f.meta_bytes;
  st.dram_weight_bytes += f.bias_bytes;
  st.dram_meta_bytes += f.meta_bytes;
}
}  // namespace

void account_traffic(const OpFacts& f, const HwConfig& hw, OpStats& st) {
  const int64_t acc_bytes = hw.memory.acc_kib * 1024;
  if (is_array_op(f.kind)) {
    const GemmShape& g = f.g;
    for (int64_t b = 0; b < g.batches; ++b)
      array_traffic(hw, g.m, g.k, g.n, f.a_bits / 8.0, f.b_bits / 8.0, f.kind != OpKind::bmm_nt, st);
    add_constants(f, st);
    if (!(f.out[0].handed_on && f.out[0].bytes <= acc_bytes)) st.dram_write_bytes += f.out[0].bytes;
    const int64_t R = hw.array.rows, C = hw.array.cols, steps = ceil_div(g.k, g.lanes);
    const Dataflow df = hw.array.dataflow;
    const int64_t tiles = df == Dataflow::ws   ? ceil_div(g.n, C) * ceil_div(steps, R)
                          : df == Dataflow::is ? ceil_div(g.m, C) * ceil_div(steps, R)
                                               : ceil_div(g.m, R) * ceil_div(g.n, C);
    const int64_t stream = df == Dataflow::ws ? g.m : df == Dataflow::is ? g.n : steps;
    st.mapping_efficiency = static_cast<double>(g.batches * g.m * g.k * g.n) /
                            static_cast<double>(R * C * g.lanes * tiles * stream * g.batches);
    return;
  }
  if (op_unit(f.kind) == std::string("layout")) return;  // re-addressing only
  add_constants(f, st);
  for (const auto& t : f.in) {
    if (t.handed_on && t.bytes <= acc_bytes) st.sram_read_bytes += t.bytes;
    else st.dram_read_bytes += t.bytes;
  }
  for (const auto& t : f.out) st.dram_write_bytes += t.bytes;
}

void account_traffic(const golden::Program& p, size_t index, const HwConfig& hw, OpStats& st) {
  account_traffic(op_facts(p, index), hw, st);
}

int64_t compute_cycles(const OpFacts& f, const HwConfig& hw) {
  const int64_t len = f.len, rows = f.in_elems / std::max<int64_t>(len, 1);
  const GemmShape& g = f.g;
  switch (f.kind) {
    case OpKind::gemm:
    case OpKind::bgemm:
    case OpKind::bmm_nt: return g.batches * array_cycles(hw.array, g.m, g.k, g.n, g.lanes);
    case OpKind::gemm_group4:
      return (g.k / f.group) * (array_cycles(hw.array, g.m, f.group, g.n + 1, 2) + ppu_cycles(g.m * g.n, hw.ppu_lanes));
    case OpKind::shiftmax: return shiftmax_cycles(rows, len, hw.nonlinear_lanes);
    case OpKind::shiftgelu: return shiftgelu_cycles(rows, len, hw.nonlinear_lanes);
    case OpKind::ilayernorm: return ilayernorm_cycles(rows, len, hw.nonlinear_lanes);
    case OpKind::split_heads:
    case OpKind::merge_heads:
    case OpKind::concat_rows:
    case OpKind::take_rows: return 0;
    default: return ppu_cycles(f.ppu_elems, hw.ppu_lanes);
  }
}

int64_t compute_cycles(const golden::Program& p, size_t index, const HwConfig& hw) {
  return compute_cycles(op_facts(p, index), hw);
}

}  // namespace qtsim::model
