// The units' cycles in closed form (docs/cycle-model.md): what the analytic model costs, what the machine's
// row units take, and what the clocked SystemC units and their RTL are held to by the tests.
#pragma once
#include <cstdint>
#include <vector>

#include "models/hw/hw_config.hpp"

namespace qtsim::model {

constexpr int64_t kPpuLatency = 4;      // the post-processing pipeline: multiply, shift, round, clamp
constexpr int64_t kDividerCycles = 32;  // one radix-2 step per quotient bit of a 2^31 / x division

// Cycles of each unit for a job (the closed forms its phases add up to).
int64_t ppu_cycles(int64_t elements, int64_t lanes);
int64_t shift_add_cycles(int64_t outputs, int64_t keys, int64_t lanes);
int64_t shiftmax_cycles(int64_t rows, int64_t len, int64_t lanes);
int64_t shiftgelu_cycles(int64_t rows, int64_t len, int64_t lanes);
int64_t ilayernorm_cycles(int64_t rows, int64_t len, int64_t lanes);

// Stream start cycles of every tile of a job: the closed-form schedule of docs/cycle-model.md.
struct Schedule {
  std::vector<int64_t> preload;  // ws: cycle each tile's weights start loading
  std::vector<int64_t> start;    // cycle each tile's first operand enters the array
  int64_t cycles = 0;            // cycles until the last result has left the array
};
// K counts PE steps: with L lanes per PE a GEMM of depth K takes ceil(K / L) steps.
Schedule array_schedule(const ArrayConfig& cfg, int64_t m, int64_t k, int64_t n, int64_t lanes = 1);
// array_schedule(...).cycles without the per-tile lists, in time independent of the tile count: the ws
// recurrence turns periodic after a few tiles and is advanced a period at a time (design-space sweeps).
int64_t array_cycles(const ArrayConfig& cfg, int64_t m, int64_t k, int64_t n, int64_t lanes = 1);
// is runs on the ws datapath with the operands swapped: the config whose schedule it follows.
ArrayConfig datapath_config(ArrayConfig cfg);

}  // namespace qtsim::model
