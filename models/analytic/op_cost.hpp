// What an op costs on the accelerator without simulating it: its GEMM shape, its DRAM and SRAM traffic, and
// its unit's compute cycles in closed form (docs/cycle-model.md). The cycle model fills its statistics from
// the same traffic rules, and the tests hold its simulated cycles to these closed forms.
#pragma once
#include <string>
#include <vector>

#include "golden/program.hpp"
#include "models/analytic/op_stats.hpp"
#include "models/analytic/transfer_plan.hpp"
#include "models/hw/hw_config.hpp"

namespace qtsim::model {

// Array ops as GEMMs: `batches` of M x K x N, `lanes` products per PE per cycle.
struct GemmShape {
  int64_t batches = 1, m = 0, k = 0, n = 0, lanes = 1;
};
bool is_array_op(golden::OpKind k);
GemmShape gemm_shape(const golden::Program& p, const golden::Op& op);
const char* op_unit(golden::OpKind k);

// What costing an op needs from its Program, gathered once so that many accelerators can be costed fast.
struct OpFacts {
  struct Tensor {
    int64_t bytes = 0;
    bool handed_on = false;  // an array op's accumulators read by the next op: on chip if they fit
  };
  golden::OpKind kind{};
  std::vector<Tensor> in, out;
  int64_t len = 0, in_elems = 0, out_elems = 0;  // in[0]'s rows are in_elems / len
  GemmShape g;                                   // array ops
  int a_bits = 0, b_bits = 0;
  int64_t group = 0;                             // gemm_group4
  int64_t bias_bytes = 0, meta_bytes = 0;        // constants besides the tensors (op_facts says which)
};
OpFacts op_facts(const golden::Program& p, size_t index);
std::vector<OpFacts> program_facts(const golden::Program& p);

// Adds op `index`'s DRAM and SRAM bytes to `st` (and the array ops' mapping efficiency).
void account_traffic(const golden::Program& p, size_t index, const HwConfig& hw, OpStats& st);
void account_traffic(const OpFacts& f, const HwConfig& hw, OpStats& st);

// The unit's busy cycles for the op, from the closed forms.
int64_t compute_cycles(const golden::Program& p, size_t index, const HwConfig& hw);
int64_t compute_cycles(const OpFacts& f, const HwConfig& hw);

// The blocks the DMA engine moves for an op (docs/cycle-model.md "Memory"): array ops tile by tile in stream
// order, the other units row by row; st's DRAM bytes and compute cycles are spread over them.
void transfer_plan(const OpFacts& f, const HwConfig& hw, const OpStats& st, TransferPlan& plan);
// The DMA engine's timing (models/units/dma.hpp) as an event recurrence over the blocks, without a clock.
TransferTimes transfer_times(const TransferPlan& plan, const MemoryConfig& mem);

}  // namespace qtsim::model
