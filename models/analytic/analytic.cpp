#include "models/analytic/analytic.hpp"

#include <string_view>

#include <algorithm>

#include "models/analytic/energy_area.hpp"
#include "models/analytic/op_cost.hpp"

namespace qtsim::model {

using golden::OpKind;

double ops_per_element(OpKind k) {
  switch (k) {
    case OpKind::shiftmax: return 5;    // max, sub, exp, sum, div (LLM-Viewer's softmax)
    case OpKind::ilayernorm: return 7;  // sum, sub, pow, sum, div, mul, add (LLM-Viewer's norm)
    case OpKind::shiftgelu: return 2;   // LLM-Viewer's activation
    case OpKind::add_requant: return 1; // the residual add
    case OpKind::split_heads:
    case OpKind::merge_heads:
    case OpKind::concat_rows:
    case OpKind::take_rows: return 0;
    default: return 1;                  // requant, binarize, affine, masks, codes: one op per element
  }
}

int64_t unit_passes(OpKind k) {
  switch (k) {
    case OpKind::shiftmax:
    case OpKind::ilayernorm: return 3;
    case OpKind::shiftgelu: return 2;
    default: return 1;
  }
}


Roofline roofline(const golden::Program& p, const HwConfig& hw) { return roofline(p, program_facts(p), hw); }

Roofline roofline(const golden::Program& p, const std::vector<OpFacts>& facts, const HwConfig& hw) {
  Roofline r;
  r.rows.reserve(p.ops.size());
  const double bw = hw.memory.dram_bytes_per_cycle;
  for (size_t i = 0; i < p.ops.size(); ++i) {
    const golden::Op& op = p.ops[i];
    RooflineRow row;
    row.name = op.name;
    row.kind = golden::op_kind_name(op.kind);
    row.unit = op_unit(op.kind);
    const std::string_view unit = row.unit;
    const OpFacts& f = facts[i];
    OpStats st;
    account_traffic(f, hw, st);
    row.dram_bytes = st.dram_read_bytes + st.dram_write_bytes;
    row.load_weight = st.dram_weight_bytes;
    row.load_meta = st.dram_meta_bytes;
    row.load_act = st.dram_read_bytes - st.dram_weight_bytes - st.dram_meta_bytes;
    row.store_act = st.dram_write_bytes;
    row.sram_bytes = st.sram_read_bytes + st.sram_write_bytes;
    double compute_pj = 0;
    if (is_array_op(op.kind)) {
      const GemmShape& g = f.g;
      row.ops = 2.0 * static_cast<double>(g.batches * g.m * g.k * g.n);
      row.peak = 2.0 * static_cast<double>(hw.array.rows * hw.array.cols * g.lanes);
      compute_pj = row.ops / 2 * mac_energy_pj(g.lanes);
    } else if (unit != "layout") {
      row.ops = ops_per_element(op.kind) * static_cast<double>(f.in_elems);
      const int64_t lanes = unit == "ppu" ? hw.ppu_lanes : hw.nonlinear_lanes;
      row.peak = ops_per_element(op.kind) * static_cast<double>(lanes) / static_cast<double>(unit_passes(op.kind));
      compute_pj = row.ops * EnergyArea::elementwise_op_pj;
    }
    row.energy_pj = compute_pj + static_cast<double>(row.sram_bytes) * EnergyArea::sram_byte_pj +
                    static_cast<double>(row.dram_bytes) * EnergyArea::dram_byte_pj;
    const double compute = row.peak > 0 ? row.ops / row.peak : 0;
    const double memory = static_cast<double>(row.dram_bytes) / bw;
    row.roofline_cycles = std::max(compute, memory);
    row.intensity = row.dram_bytes > 0 ? row.ops / static_cast<double>(row.dram_bytes) : 0;
    row.bound = row.ops == 0 ? "-" : (row.intensity < row.peak / bw ? "memory" : "compute");
    st.compute_cycles = compute_cycles(f, hw);
    thread_local TransferPlan plan;  // sweeps cost many ops: no allocation per op
    transfer_plan(f, hw, st, plan);
    row.mapped_cycles = transfer_times(plan, hw.memory).cycles;
    r.ops += row.ops;
    r.dram_bytes += row.dram_bytes;
    r.sram_bytes += row.sram_bytes;
    r.energy_pj += row.energy_pj;
    r.roofline_cycles += row.roofline_cycles;
    r.mapped_cycles += row.mapped_cycles;
    r.rows.push_back(std::move(row));
  }
  return r;
}

}  // namespace qtsim::model
