// The analytic model: a Program costed on an accelerator without simulating it. Per op: operations, DRAM
// bytes, arithmetic intensity, bound, the roofline time and the mapped time (array folds, fill and drain,
// unit latencies and re-fetch, from the same closed forms the cycle model is held to).
#pragma once
#include <string>
#include <vector>

#include "golden/program.hpp"
#include "models/analytic/op_stats.hpp"
#include "models/hw/hw_config.hpp"

namespace qtsim::model {

struct RooflineRow {
  std::string name;
  const char* kind = "";  // static strings: sweeps build many rows
  const char* unit = "";
  double ops = 0;           // 2 per MAC; element-wise ops per the counting rules of docs/roofline.md
  int64_t dram_bytes = 0;   // load_weight + load_act + load_meta + store_act
  int64_t load_weight = 0, load_act = 0, load_meta = 0, store_act = 0;  // LLM-Viewer's split, plus metadata
  int64_t sram_bytes = 0;   // scratchpad reads and writes
  double energy_pj = 0;     // proxy (models/analytic/energy_area.hpp): MACs or element ops, SRAM and DRAM bytes
  double intensity = 0;     // ops per DRAM byte
  double peak = 0;          // the unit's ops per cycle
  const char* bound = "-";  // "compute" or "memory" (ridge point = peak / bandwidth)
  double roofline_cycles = 0;  // max(ops / peak, bytes / bandwidth)
  int64_t mapped_cycles = 0;   // closed-form unit cycles with DRAM overlap
};

struct Roofline {
  std::vector<RooflineRow> rows;
  double ops = 0, roofline_cycles = 0, energy_pj = 0;
  int64_t dram_bytes = 0, sram_bytes = 0, mapped_cycles = 0;
};

// Operations per element of the element-wise ops, and the passes their unit makes over a row.
double ops_per_element(golden::OpKind k);
int64_t unit_passes(golden::OpKind k);

Roofline roofline(const golden::Program& p, const HwConfig& hw);
// The same with the Program's facts gathered once (models/analytic/op_cost.hpp), for sweeps over hardware.
struct OpFacts;
Roofline roofline(const golden::Program& p, const std::vector<OpFacts>& facts, const HwConfig& hw);

}  // namespace qtsim::model
