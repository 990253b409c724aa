// The accelerator executor: runs a Program on the clocked SystemC units (MAC array, post-processing unit,
// Shiftmax, ShiftGELU, I-LayerNorm) and the DMA engine that feeds them block by block (docs/cycle-model.md),
// keeping every tensor as a tap.
#pragma once
#include <string>
#include <vector>

#include "golden/exec.hpp"
#include "models/dma.hpp"
#include "models/hw/hw_config.hpp"
#include "models/mac_array.hpp"
#include "models/row_units.hpp"
#include "models/rtl_dma.hpp"
#include "models/rtl_group4_fold.hpp"
#include "models/rtl_mac_array.hpp"
#include "models/rtl_requant_unit.hpp"
#include "models/rtl_shift_add.hpp"
#include "models/rtl_row_units.hpp"

namespace qtsim::model {

struct OpStats {
  std::string name, kind, unit;
  int64_t m = 0, k = 0, n = 0;  // GEMM shapes (0 where they do not apply)
  int64_t cycles = 0;           // compute + stalls
  int64_t compute_cycles = 0;   // the unit busy
  int64_t stall_cycles = 0;     // the unit waiting for DRAM transfers (before, between and after its blocks)
  int64_t dram_busy_cycles = 0; // the DRAM channel moving the op's data
  int64_t macs = 0;
  int64_t dram_read_bytes = 0, dram_write_bytes = 0;
  int64_t dram_weight_bytes = 0, dram_meta_bytes = 0;  // parts of the reads: weights and biases; quantization metadata
  int64_t sram_read_bytes = 0, sram_write_bytes = 0;
  double utilization = 0;        // useful MACs / (PEs x cycles), for array ops
  double mapping_efficiency = 0; // useful MACs / (PEs x tiles x tile stream length): the fold losses alone
  int64_t start = 0;             // the op's first cycle in the run
  std::vector<Span> spans;       // its timeline, when asked for
};

struct ModelRun {
  golden::Taps taps;
  std::vector<OpStats> ops;
  int64_t total_cycles = 0;
};

// Builds the accelerators of these configurations. SystemC elaborates once: a process that runs several
// configurations (the model and rtl executors of qtsim run) builds them all before its first run.
void elaborate(const std::vector<HwConfig>& configs);

// Runs p on the accelerator of hw's configuration, built at the first call if no run has started yet. With
// `timeline`, every op's spans are kept (the SystemC DMA engine's; with the DMA as RTL, that engine runs the
// plan beside it and must agree on the cycles).
ModelRun run_on_model(const golden::Program& p, const std::map<std::string, golden::ITensor>& inputs, const HwConfig& hw,
                      bool timeline = false);


}  // namespace qtsim::model
