// The output-stationary MAC array's sequencer inside the machine (docs/machine.md, "The MAC array"). Each PE
// (r, c) of an R x C array accumulates one result C[m0 + r][n0 + c] over all of K: row m0 + r of A enters array
// row r and row n0 + c of B (stored N x K) enters column c, PE step k at array step S + k + r (+ c), and once a
// PE made its last product its sum moves to a drain register, read one array row per step into the
// accumulators. Tiles walk M by R (outer) and N by C (inner). The sequencer decides each step from its own
// state: a tile starts once the one before it has streamed for max(K, R, C) steps (serial: once it drained),
// and the machine advances it only in a cycle where all the step's accesses were granted, so a refused access
// holds every PE.
#pragma once
#include <cstdint>
#include <deque>

namespace qtsim::machine {

class OsSequencer {
 public:
  // m rows of A; steps = ceil(K / lanes) PE steps; cols = N plus the ones column; an R x C array; overlap:
  // drain registers, so that a tile's operands enter while the one before it drains (false: tile by tile,
  // results straight from the PEs, SCALE-Sim's timing).
  struct Shape {
    int64_t m = 0, steps = 0, cols = 0, rows = 0, array_cols = 0;
    bool overlap = true;
  };
  struct Entry {
    int64_t tile = -1, k = 0;  // the tile whose operand enters this array row or column, and its PE step; -1: a bubble
  };
  struct Drain {
    int64_t tile = -1, row = 0;  // the tile and the array row whose results go to the accumulators; -1: none
  };

  explicit OsSequencer(const Shape& s);

  int64_t tiles() const { return m_tiles_ * n_tiles_; }
  int64_t m0(int64_t tile) const { return tile / n_tiles_ * s_.rows; }
  int64_t n0(int64_t tile) const { return tile % n_tiles_ * s_.array_cols; }

  bool done() const { return drained_ == tiles(); }
  // The operands entering array row r (A) and column c (B) this step, each skewed by its index.
  Entry row(int64_t r) const { return entry(r); }
  Entry col(int64_t c) const { return entry(c); }
  Drain drain() const { return drain_; }
  // One cycle passes; the array's step moves on where its accesses were all granted.
  void advance(bool array_done);
  int64_t cycles() const { return cycles_; }

 private:
  struct Pass {
    int64_t tile, start;
  };
  Entry entry(int64_t skew) const;
  void plan();

  Shape s_;
  int64_t m_tiles_ = 0, n_tiles_ = 0;
  int64_t gap_ = 0, lag_ = 0;  // steps between tile starts; a tile's row r drains at its start + steps + lag + r
  int64_t cycles_ = 0, tau_ = 0;
  int64_t started_ = 0, drained_ = 0, last_start_ = 0;
  std::deque<Pass> passes_;  // started tiles not yet drained, oldest first (at most two stream at once)
  Drain drain_;
};

}  // namespace qtsim::machine
