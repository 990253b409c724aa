// The scratchpad bytes an instruction reads and writes, from its fields alone: what a unit's ports fetch
// before it computes and write back after, what the machine's in-queue interlock compares, and what the
// compiler derives the dependency tokens from.
#pragma once
#include <cstdint>
#include <vector>

#include "models/isa/isa.hpp"

namespace qtsim::isa {

// Bytes [lo, hi) of one scratchpad.
struct Segment {
  Space sp = Space::in;
  int64_t lo = 0, hi = 0;
};

struct Footprint {
  std::vector<Segment> reads, writes;  // in the order the ports move them; a DMA's rows in row order
  int64_t dram_bytes = 0;              // load and store: the bytes crossing the DRAM channel
  int64_t dram_lo = 0, dram_hi = 0;    // load and store: the DRAM bytes [lo, hi) they may touch
};

Footprint footprint(const Instr& in);

// Whether any segment of `a` overlaps any of `b`.
bool overlaps(const std::vector<Segment>& a, const std::vector<Segment>& b);

}  // namespace qtsim::isa
