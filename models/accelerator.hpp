// The accelerator executor: runs a Program on the SystemC MAC array (GEMMs, attention matmuls) and costs
// the other units with their closed forms (docs/cycle-model.md), keeping every tensor as a tap.
#pragma once
#include <string>
#include <vector>

#include "golden/exec.hpp"
#include "models/mac_array.hpp"

namespace qtsim::model {

struct HwConfig {
  ArrayConfig array;
  int64_t ppu_lanes = 16;        // post-processing unit: elements per cycle
  int64_t nonlinear_lanes = 16;  // Shiftmax, ShiftGELU, I-LayerNorm: elements per cycle per pass
  double clock_mhz = 1000;
  void check() const;
};

struct OpStats {
  std::string name, kind, unit;
  int64_t m = 0, k = 0, n = 0;  // GEMM shapes (0 where they do not apply)
  int64_t cycles = 0;
  int64_t macs = 0;
  double utilization = 0;  // useful MACs / (PEs x cycles), for array ops
};

struct ModelRun {
  golden::Taps taps;
  std::vector<OpStats> ops;
  int64_t total_cycles = 0;
};

// One accelerator per process (SystemC elaborates once): the first call fixes the configuration.
ModelRun run_on_model(const golden::Program& p, const std::map<std::string, golden::ITensor>& inputs, const HwConfig& hw);

// Closed-form cycles of the units the model does not yet simulate cycle by cycle.
int64_t ppu_cycles(int64_t elements, int64_t lanes);
int64_t shiftmax_cycles(int64_t rows, int64_t len, int64_t lanes);
int64_t shiftgelu_cycles(int64_t rows, int64_t len, int64_t lanes);
int64_t ilayernorm_cycles(int64_t rows, int64_t len, int64_t lanes);

}  // namespace qtsim::model
