// The accelerator executor: runs a Program on the clocked SystemC units (MAC array, post-processing unit,
// Shiftmax, ShiftGELU, I-LayerNorm), with DRAM traffic costed per op (docs/cycle-model.md), keeping every
// tensor as a tap.
#pragma once
#include <string>
#include <vector>

#include "golden/exec.hpp"
#include "models/mac_array.hpp"
#include "models/row_units.hpp"
#include "models/rtl_mac_array.hpp"
#include "models/rtl_requant_unit.hpp"
#include "models/rtl_row_units.hpp"

namespace qtsim::model {

// Scratchpads and DRAM. Every op reads its inputs from DRAM and writes its outputs back, except the
// accumulators an array op leaves for the post-processing op that follows (kept in the accumulator SRAM
// when they fit).
struct MemoryConfig {
  int64_t input_kib = 64;    // activation scratchpad
  int64_t weight_kib = 64;   // weight scratchpad
  int64_t acc_kib = 256;     // int32 accumulators
  double dram_bytes_per_cycle = 32;
  int64_t dram_latency_cycles = 100;
  bool double_buffer = true;  // transfers overlap compute
};

// Per unit: true runs its Verilated RTL (rtl/) inside the accelerator instead of its SystemC model.
struct RtlUnits {
  bool array = false;       // rtl/qtsim_mac_array.sv: GEMMs
  bool ppu = false;         // rtl/qtsim_requant.sv: requant and residual add_requant ops
  bool shiftmax = false;    // rtl/qtsim_shiftmax.sv
  bool shiftgelu = false;
  bool ilayernorm = false;
  bool operator==(const RtlUnits& o) const {
    return array == o.array && ppu == o.ppu && shiftmax == o.shiftmax && shiftgelu == o.shiftgelu && ilayernorm == o.ilayernorm;
  }
};

struct HwConfig {
  ArrayConfig array;
  MemoryConfig memory;
  int64_t ppu_lanes = 16;        // post-processing unit: elements per cycle
  int64_t nonlinear_lanes = 16;  // Shiftmax, ShiftGELU, I-LayerNorm: elements per cycle per pass
  RtlUnits rtl;                  // units run as Verilated RTL instead of SystemC
  double clock_mhz = 1000;
  void check() const;
};

struct OpStats {
  std::string name, kind, unit;
  int64_t m = 0, k = 0, n = 0;  // GEMM shapes (0 where they do not apply)
  int64_t cycles = 0;           // compute + stalls
  int64_t compute_cycles = 0;   // the unit busy
  int64_t stall_cycles = 0;     // waiting for DRAM
  int64_t macs = 0;
  int64_t dram_read_bytes = 0, dram_write_bytes = 0;
  int64_t dram_weight_bytes = 0, dram_meta_bytes = 0;  // parts of the reads: weights and biases; quantization metadata
  int64_t sram_read_bytes = 0, sram_write_bytes = 0;
  double utilization = 0;        // useful MACs / (PEs x cycles), for array ops
  double mapping_efficiency = 0; // useful MACs / (PEs x tiles x tile stream length): the fold losses alone
};

// Cycles of an op whose unit computes for `compute` cycles while `bytes` cross DRAM: with double buffering
// the transfer hides behind compute (one latency exposed), otherwise it adds.
int64_t op_cycles(const MemoryConfig& m, int64_t compute, int64_t bytes);

struct ModelRun {
  golden::Taps taps;
  std::vector<OpStats> ops;
  int64_t total_cycles = 0;
};

// One accelerator per process (SystemC elaborates once): the first call fixes the configuration.
ModelRun run_on_model(const golden::Program& p, const std::map<std::string, golden::ITensor>& inputs, const HwConfig& hw);


}  // namespace qtsim::model
