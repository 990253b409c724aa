// An op's DRAM traffic as the DMA engine moves it: blocks (tiles of the array, rows of the row units), the
// times they take and the timeline spans they leave. The analytic recurrence (models/analytic/op_cost.hpp) and
// the clocked engines (models/units/dma.hpp, models/verilated/rtl_dma.hpp) all take plans in this form.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "models/hw/hw_config.hpp"

namespace qtsim::model {

// One block of an op: the DMA loads `load` bytes, the unit computes `compute` cycles on them, the DMA writes
// `store` bytes back. `keep` of the loaded bytes stay on chip until the op ends (activations every later
// tile reuses); the rest is freed when the block's compute ends. `count` such blocks follow one another.
struct Block {
  int64_t load = 0, keep = 0, compute = 0, store = 0;
  int64_t count = 1;
};

// Runs [first, first + runs) of a plan's blocks, followed by times - 1 copies of themselves (the passes of a
// GEMM alike): the event recurrence jumps over copies once they also repeat in time.
struct Repeat {
  size_t first = 0, runs = 0;
  int64_t times = 0;
};

// What the DMA engine moves for one op: its blocks in order, runs of alike blocks as one entry.
struct TransferPlan {
  std::vector<Block> blocks;
  std::vector<Repeat> repeats;  // in order, not overlapping
};

struct TransferTimes {
  int64_t cycles = 0;        // from the op's first load to its last result in DRAM (or on chip)
  int64_t channel_busy = 0;  // cycles the DRAM channel moved data
};

// What the timeline shows of an op (qtsim run --timeline): its unit computing, the DRAM channel moving
// loads or stores. Back-to-back spans of one kind are one span; the gaps between them are stalls.
struct Span {
  enum class Kind { compute, load, store };
  Kind kind = Kind::compute;
  int64_t start = 0, cycles = 0;  // from the op's first cycle
  int64_t bytes = 0;              // transfers: the bytes moved
  int64_t blocks = 0;             // the blocks computed, or the transfers
};

// Checks a plan's blocks and expands its runs into `out`, one entry per block; returns the cycles of every
// transfer and compute one after another (the clocked engines' job lengths). Both engines take plans this way.
int64_t expand_blocks(const std::vector<Block>& blocks, const MemoryConfig& mem, std::vector<Block>& out);

}  // namespace qtsim::model
