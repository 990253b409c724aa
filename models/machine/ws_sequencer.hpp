// The weight-stationary MAC array's sequencer inside the machine (docs/machine.md, "The MAC array"); the
// input-stationary array runs it too, with A's rows as the "weights" and B's rows streaming. Driven by
// one GEMM instruction's shape, it decides step by step which tile's weights preload, which row of A enters the
// array and which row of results leaves it, from its own state only: a weight buffer free, a tile's weights in,
// the stream before it done. No schedule is computed ahead. Each cycle the machine performs the accesses of the
// two parts' current steps and tells advance() which part got all of them: the weight port (a preload step) and
// the systolic array (a row of A in, a row of results out). A part whose step is not done holds: a stall of the
// array stops every PE, a stall of the weight port only delays the tile waiting for those weights.
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
    bool array() const { return stream.tile >= 0 || drain.tile >= 0; }
  };

  explicit WsSequencer(const Shape& s);

  int64_t tiles() const { return n_tiles_ * k_tiles_; }
  int64_t k_tiles() const { return k_tiles_; }
  int64_t n_tile(int64_t tile) const { return tile / k_tiles_; }
  int64_t k_tile(int64_t tile) const { return tile % k_tiles_; }

  bool done() const { return drained_ == tiles(); }
  const Step& step() const { return step_; }
  // One cycle passes; the weight port's step and the array's step (a step without accesses is always done)
  // move on where their accesses were all granted.
  void advance(bool preload_done, bool array_done);
  int64_t cycles() const { return cycles_; }
  // The row of results leaving the bottom of array column c this step (row m of a tile leaves column c R - 1 + c
  // steps after it entered); tile -1: none. step().drain is column C - 1's.
  Row leaving(int64_t c) const;
  bool array_busy() const { return !passes_.empty(); }  // a tile is streaming or draining

 private:
  struct Pass {
    int64_t tile, start;
  };
  void plan();

  Shape s_;
  int64_t n_tiles_ = 0, k_tiles_ = 0;
  int64_t cycles_ = 0;
  int64_t tau_ = 0;                                // array steps: a row of A enters at most once a step
  int64_t next_preload_ = 0, preload_q_ = -1;      // the tile to preload next; steps its preload has done (-1: none)
  int64_t loaded_ = 0;                             // tiles whose weights are in their buffer
  int64_t next_stream_ = 0, stream_start_ = -1;    // the tile to stream next; the array step its stream began
  int64_t drained_ = 0;                            // tiles whose last result left the array
  std::deque<Pass> passes_;                        // streamed tiles with results still in the array
  Step step_;
};

}  // namespace qtsim::machine
