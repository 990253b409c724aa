// What an op costs on the accelerator without simulating it: its GEMM shape, its DRAM and SRAM traffic, and
// its unit's compute cycles in closed form (docs/cycle-model.md). The cycle model fills its statistics from
// the same traffic rules, and the tests hold its simulated cycles to these closed forms.
#pragma once
#include <string>

#include "golden/program.hpp"
#include "models/accelerator.hpp"

namespace qtsim::model {

// Array ops as GEMMs: `batches` of M x K x N, `lanes` products per PE per cycle.
struct GemmShape {
  int64_t batches = 1, m = 0, k = 0, n = 0, lanes = 1;
};
bool is_array_op(golden::OpKind k);
GemmShape gemm_shape(const golden::Program& p, const golden::Op& op);
const char* op_unit(golden::OpKind k);

// Adds op `index`'s DRAM and SRAM bytes to `st` (and the array ops' mapping efficiency).
void account_traffic(const golden::Program& p, size_t index, const HwConfig& hw, OpStats& st);

// The unit's busy cycles for the op, from the closed forms.
int64_t compute_cycles(const golden::Program& p, const golden::Op& op, const HwConfig& hw);

}  // namespace qtsim::model
