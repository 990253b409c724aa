#include "models/machine/os_sequencer.hpp"

#include <algorithm>

namespace qtsim::machine {

namespace {
int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
}  // namespace

OsSequencer::OsSequencer(const Shape& s) : s_(s) {
  const int64_t R = s.rows, C = s.array_cols;
  m_tiles_ = std::max<int64_t>(1, ceil_div(s.m, R));
  n_tiles_ = std::max<int64_t>(1, ceil_div(s.cols, C));
  // PE (r, c) makes its last product at S + steps - 1 + r + c. With drain registers, row r is read in the step
  // after its last column's product (the registers as they stood at the clock edge), and the next tile may
  // start once its operands no longer meet this tile's in the edge registers (K), the drain port has read
  // every row (R) and each drain register has been read before its PE finishes again (C). Without them, a row
  // goes out in the step its last product is made, and nothing else may be in flight.
  lag_ = s.overlap ? C - 1 : C - 2;
  gap_ = s.overlap ? std::max({s.steps, R, C}) : s.steps + R + C - 2;
  plan();
}

OsSequencer::Entry OsSequencer::entry(int64_t skew) const {
  for (auto p = passes_.rbegin(); p != passes_.rend(); ++p) {
    const int64_t k = tau_ - p->start - skew;
    if (k >= s_.steps) break;  // older tiles have left this edge too
    if (k >= 0) return {p->tile, k};
  }
  return {};
}

// The events of this step, from the state the steps before it left.
void OsSequencer::plan() {
  drain_ = {};
  if (started_ < tiles() && (started_ == 0 || tau_ - last_start_ >= gap_)) {
    passes_.push_back({started_++, tau_});
    last_start_ = tau_;
  }
  if (!passes_.empty()) {
    const int64_t r = tau_ - passes_.front().start - s_.steps - lag_;
    if (r >= 0 && r < s_.rows) drain_ = {passes_.front().tile, r};
  }
}

void OsSequencer::advance(bool array_done) {
  ++cycles_;
  if (array_done) {
    if (drain_.tile >= 0 && drain_.row == s_.rows - 1) passes_.pop_front(), ++drained_;
    ++tau_;
  }
  if (!done()) plan();
}

}  // namespace qtsim::machine
