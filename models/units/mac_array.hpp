// The MAC array as a clocked SystemC unit: R x C processing elements, weight-stationary (ws),
// input-stationary (is) or output-stationary (os), values computed by the PEs cycle by cycle.
// docs/cycle-model.md gives the schedule.
#pragma once
#include <systemc>

#include "models/analytic/unit_cycles.hpp"
#include "models/hw/hw_config.hpp"
#include "models/units/clocked_unit.hpp"

#include <cstdint>
#include <vector>

namespace qtsim::model {

// C[M][N] += A[M][K] . B[N][K]^T. A holds int8 or uint16-range values, B int8 (one PE multiplier is
// 16 x 8 bits); C is the int32 accumulator memory. `lanes` products per PE per cycle over consecutive K:
// 1 for W8A8, 2 for W4A8/W4A4 (two int4 weights per PE), 64 for binary (one XNOR-popcount word).
struct GemmJob {
  const int32_t* a = nullptr;
  const int32_t* b = nullptr;
  int64_t m = 0, k = 0, n = 0;
  int32_t* c = nullptr;
  int64_t lanes = 1;
};

// The tiles of a job in stream order, by their first array row and column operand: ws and is walk
// (n-tile, k-tile) with K folded into the accumulators, os walks (m-tile, n-tile).
struct Tiles {
  std::vector<int64_t> r0, c0;
};
Tiles array_tiles(const ArrayConfig& cfg, const GemmJob& job);
// is runs the ws datapath on the swapped job (B streams past stationary tiles of A, C written transposed):
// the job as the datapath sees it (datapath_config gives the config whose schedule it follows).
GemmJob datapath_job(const ArrayConfig& cfg, GemmJob job);
// The tile whose stream occupies position `pos` (cycles since its start) for one array row or column, or -1.
// `cur` only moves forward: positions grow by one each cycle.
int64_t tile_at(const std::vector<int64_t>& start, int64_t pos, int64_t len, int64_t& cur);

// os drain port: calls row(tile, r) for every row r of a tile due at cycle t, row r of tile s leaving at
// start[s] + first + r (first: the tile's steps plus the drain lag); `drain_tile` (the oldest tile not
// fully drained) only moves forward.
template <class Row>
void drain_due_rows(const std::vector<int64_t>& start, int64_t first, int64_t rows, int64_t t, int64_t& drain_tile, Row&& row) {
  for (int64_t s = drain_tile; s < static_cast<int64_t>(start.size()); ++s) {
    const int64_t r = t - (start[static_cast<size_t>(s)] + first);
    if (r < 0) break;
    if (r >= rows) {
      drain_tile = s + 1;
      continue;
    }
    row(s, r);
  }
}

class MacArray : public ClockedUnit {
 public:
  MacArray(sc_core::sc_module_name name, const ArrayConfig& cfg);

  // Starts a job at the next clock edge; `done` fires on the edge its last result is written.
  void start(const GemmJob& job);
  const ArrayConfig& config() const { return cfg_; }

 private:
  bool step() override;
  void tick_ws();
  void tick_os();

  ArrayConfig cfg_;
  GemmJob job_;
  Schedule sched_;
  int64_t t_ = 0;  // cycle within the job
  Tiles tiles_;
  // PE registers, flat R*C, current and next. `tag` is the tile of the operand in the register (-1: bubble);
  // where it came from follows from the cycle, since operands move one PE per cycle.
  std::vector<int32_t> a_, a_next_, b_, b_next_;  // L values per PE
  std::vector<int32_t> p_, p_next_;  // ws partial sums flowing down; os accumulators (p_ only)
  std::vector<int32_t> tag_, tag_next_;
  std::vector<int32_t> w_[2];        // ws double-buffered weights, L per PE
  std::vector<int32_t> shadow_;      // os finished accumulators awaiting drain
  std::vector<int32_t> shadow_tag_;
  std::vector<int64_t> cursor_;      // per array row (ws, os A side) and column (os B side): current tile
  int64_t drain_tile_ = 0;           // os: oldest tile not fully drained
  std::vector<int32_t> zero_row_;    // the partial sums entering the top row
  int64_t loaded_ = 0;            // ws: weight tiles loaded so far
  int64_t last_write_ = -1;       // cycle of the last result written to the accumulators
};

}  // namespace qtsim::model
