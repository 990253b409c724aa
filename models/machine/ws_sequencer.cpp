#include "models/machine/ws_sequencer.hpp"

#include <algorithm>

namespace qtsim::machine {

namespace {
int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
}  // namespace

WsSequencer::WsSequencer(const Shape& s) : s_(s) {
  n_tiles_ = std::max<int64_t>(1, ceil_div(s.cols, s.array_cols));
  k_tiles_ = std::max<int64_t>(1, ceil_div(s.steps, s.rows));
  plan();
}

// The events of this cycle, from the state the cycles before it left.
void WsSequencer::plan() {
  const int64_t R = s_.rows, C = s_.array_cols;
  step_ = Step{};
  // Weights: a tile takes R steps through the weight port, into a buffer that the tile two before it (one
  // without overlap) has left: every PE of a tile holds its weights until the tile's last result is out.
  if (preload_q_ == R) ++loaded_, preload_q_ = -1;
  const int64_t buffers = s_.overlap ? 2 : 1;
  if (preload_q_ < 0 && next_preload_ < tiles() && next_preload_ - drained_ < buffers) preload_q_ = 0, ++next_preload_;
  if (preload_q_ >= 0) {
    const int64_t t = next_preload_ - 1, q = preload_q_;
    const int64_t width = std::min(C, s_.cols - n_tile(t) * C);  // the columns of the last N tile may be fewer
    step_.preload = {t, q * width / R, (q + 1) * width / R};
  }
  // A: rows back to back, once the tile's weights are in and the stream before it has entered; without
  // overlap the single buffer already kept the next preload behind the last drain.
  if (stream_start_ >= 0 && tau_ - stream_start_ == s_.m) stream_start_ = -1;
  if (stream_start_ < 0 && next_stream_ < loaded_) {
    stream_start_ = tau_;
    passes_.push_back({next_stream_++, tau_});
  }
  if (stream_start_ >= 0) step_.stream = {next_stream_ - 1, tau_ - stream_start_};
  // Results: row m of a tile entered at start + m, crosses R rows and C columns, and its last column leaves
  // the bottom at start + m + R + C - 2. Streams start at least M apart, so one tile drains at a time.
  if (!passes_.empty()) {
    const int64_t r = tau_ - passes_.front().start - (R + C - 2);
    if (r >= 0) step_.drain = {passes_.front().tile, r};
  }
}

WsSequencer::Row WsSequencer::leaving(int64_t c) const {
  for (const Pass& p : passes_) {
    const int64_t r = tau_ - p.start - (s_.rows - 1) - c;
    if (r >= 0 && r < s_.m) return {p.tile, r};
  }
  return {};
}

void WsSequencer::advance(bool preload_done, bool array_done) {
  ++cycles_;
  if (step_.preload.tile >= 0 && preload_done) ++preload_q_;
  // The array is clocked only while a tile is in it (streaming or draining); between tiles it waits for
  // weights without counting steps, so its rows keep their distances to the weights that arrive late.
  if (array_done && (step_.array() || !passes_.empty())) {
    if (step_.drain.tile >= 0 && step_.drain.row == s_.m - 1) passes_.pop_front(), ++drained_;
    ++tau_;
  }
  if (!done()) plan();
}

}  // namespace qtsim::machine
