// The weight-stationary MAC array's sequencer inside the machine (docs/machine.md, "The MAC array"). Driven by
// one GEMM instruction's shape, it decides step by step which tile's weights preload, which row of A enters the
// array and which row of results leaves it, from its own state only: a weight buffer free, a tile's weights in,
// the stream before it done. No schedule is computed ahead. The machine performs a step's port accesses and
// calls next() once all of them were granted, so a step whose operands cannot be read or whose results cannot
// be written holds the whole array: a stall.
#pragma once
#include <cstdint>
#include <deque>

namespace qtsim::machine {

class WsSequencer {
 public:
  // m rows of A; steps = ceil(K / lanes) PE steps; cols = N plus the ones column; an R x C array; overlap:
  // two weight buffers per PE and preload behind the stream (false: one buffer, tile after tile).
  struct Shape {
    int64_t m = 0, steps = 0, cols = 0, rows = 0, array_cols = 0;
    bool overlap = true;
  };
  struct Preload {
    int64_t tile = -1, col_lo = 0, col_hi = 0;  // the tile's columns whose weights load this step
  };
  struct Row {
    int64_t tile = -1, row = 0;
  };
  struct Step {
    Preload preload;  // tile -1: none
    Row stream;       // the row of A entering array row 0 (the skew delays it one cycle per array row)
    Row drain;        // the row of results whose last column leaves the bottom of the array
  };

  explicit WsSequencer(const Shape& s);

  int64_t tiles() const { return n_tiles_ * k_tiles_; }
  int64_t k_tiles() const { return k_tiles_; }
  int64_t n_tile(int64_t tile) const { return tile / k_tiles_; }
  int64_t k_tile(int64_t tile) const { return tile % k_tiles_; }

  bool done() const { return drained_ == tiles(); }
  const Step& step() const { return step_; }
  void next();  // the step's accesses are done: one cycle of the array passes
  int64_t steps_taken() const { return tau_; }

 private:
  struct Pass {
    int64_t tile, start;
  };
  void plan();

  Shape s_;
  int64_t n_tiles_ = 0, k_tiles_ = 0;
  int64_t tau_ = 0;
  int64_t next_preload_ = 0, preload_start_ = -1;  // the tile to preload next; the step its preload began
  int64_t loaded_ = 0;                             // tiles whose weights are in their buffer
  int64_t next_stream_ = 0, stream_start_ = -1;    // the tile to stream next; the step its stream began
  int64_t drained_ = 0;                            // tiles whose last result left the array
  std::deque<Pass> passes_;                        // streamed tiles with results still in the array
  Step step_;
};

}  // namespace qtsim::machine
