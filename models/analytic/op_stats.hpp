// What an executor reports of each op of a Program: its unit, shape, cycles, traffic and timeline. The per-op
// SystemC accelerator fills it by simulating; the analytic model fills it from closed forms.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "golden/exec.hpp"
#include "models/analytic/transfer_plan.hpp"

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
  double utilization = 0;        // useful MACs / (PEs x products per PE per cycle x cycles), for array ops
  double mapping_efficiency = 0; // useful MACs / (PEs x tiles x tile stream length): the fold losses alone
  int64_t start = 0;             // the op's first cycle in the run
  std::vector<Span> spans;       // its timeline, when asked for
};

struct ModelRun {
  golden::Taps taps;
  std::vector<OpStats> ops;
  int64_t total_cycles = 0;
};

}  // namespace qtsim::model
