// The weight-stationary array's sequencer decides each step from its own state; these tests hold it to the
// closed forms of docs/cycle-model.md (derived by hand there), to the per-op model's recurrence (a second
// implementation, computed ahead), and to the invariants of a systolic pass: every row of A enters once per
// tile, after the tile's weights are in, and leaves R + C - 2 steps later.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <utility>

#include "models/units/mac_array.hpp"
#include "models/machine/ws_sequencer.hpp"

using namespace qtsim;
using machine::WsSequencer;

namespace {
struct Trace {
  int64_t steps = 0;
  std::map<int64_t, int64_t> preload_end;                    // tile -> the step after its last weights
  std::map<std::pair<int64_t, int64_t>, int64_t> enter, leave;  // (tile, row) -> step
  std::map<int64_t, std::set<int64_t>> columns;              // tile -> columns whose weights loaded
  int64_t max_preloads = 0;
};

Trace run(const WsSequencer::Shape& s) {
  WsSequencer q(s);
  Trace t;
  while (!q.done()) {
    REQUIRE(q.cycles() < 1000000);
    const WsSequencer::Step& st = q.step();
    const int64_t tau = q.cycles();
    if (st.preload.tile >= 0) {
      for (int64_t c = st.preload.col_lo; c < st.preload.col_hi; ++c) CHECK(t.columns[st.preload.tile].insert(c).second);
      t.preload_end[st.preload.tile] = tau + 1;
    }
    if (st.stream.tile >= 0) CHECK(t.enter.emplace(std::make_pair(st.stream.tile, st.stream.row), tau).second);
    if (st.drain.tile >= 0) CHECK(t.leave.emplace(std::make_pair(st.drain.tile, st.drain.row), tau).second);
    q.advance(true, true);
  }
  t.steps = q.cycles();
  return t;
}
}  // namespace

TEST_CASE("ws sequencer: steps equal the closed forms and the per-op model's recurrence", "[machine]") {
  for (const auto& [R, C] : std::vector<std::pair<int64_t, int64_t>>{{4, 4}, {3, 5}, {16, 16}, {8, 2}})
    for (const int64_t m : {1, 2, 5, 13, 40})
      for (const int64_t k : {1, 4, 9, 33})
        for (const int64_t n : {1, 5, 16, 17})
          for (const bool overlap : {true, false}) {
            INFO(R << "x" << C << " m " << m << " k " << k << " n " << n << " overlap " << overlap);
            const Trace t = run({m, k, n, R, C, overlap});
            const int64_t T = ((n + C - 1) / C) * ((k + R - 1) / R);
            if (!overlap) CHECK(t.steps == T * (m + 2 * R + C - 2));
            else if (m >= 2 * R + C - 2) CHECK(t.steps == T * m + 2 * R + C - 2);
            model::ArrayConfig cfg;
            cfg.rows = R, cfg.cols = C, cfg.overlap = overlap;
            CHECK(t.steps == model::array_cycles(cfg, m, k, n));
            // every tile: all its columns' weights, every row in once and out once, R + C - 2 steps later,
            // and only after its weights are in
            for (int64_t tile = 0; tile < T; ++tile) {
              const int64_t width = std::min(C, n - (tile / ((k + R - 1) / R)) * C);
              CHECK(static_cast<int64_t>(t.columns.at(tile).size()) == width);
              for (int64_t r = 0; r < m; ++r) {
                const int64_t in = t.enter.at({tile, r});
                CHECK(t.leave.at({tile, r}) == in + R + C - 2);
                CHECK(in >= t.preload_end.at(tile));
              }
            }
            CHECK(static_cast<int64_t>(t.enter.size()) == T * m);
          }
}

TEST_CASE("ws sequencer: DeiT-Tiny's qkv block on 16x16 takes the documented 85,150 cycles", "[machine]") {
  // docs/cycle-model.md: M 197, K 192, N 576, 36 x 12 = 432 tiles, every preload hidden: 432 * 197 + 46
  CHECK(run({197, 192, 576, 16, 16, true}).steps == 432 * 197 + 2 * 16 + 16 - 2);
  CHECK(run({197, 192, 576, 16, 16, false}).steps == 432 * (197 + 2 * 16 + 16 - 2));
}

TEST_CASE("ws sequencer: a weight port at half speed delays only the stream waiting for its weights", "[machine]") {
  // R = C = 4, M 10, K 8 (two tiles), N 4. Preload steps take two cycles: tile 0's weights are in at 8 and it
  // streams at 8-17; tile 1 preloads at 8-15 behind it and streams at 18, once tile 0 has entered; its last
  // row leaves 18 + 9 + R + C - 2 = 33: 34 cycles, against 30 at full speed.
  WsSequencer q({10, 8, 4, 4, 4, true});
  int64_t first_stream_1 = -1;
  while (!q.done()) {
    REQUIRE(q.cycles() < 1000);
    if (q.step().stream.tile == 1 && first_stream_1 < 0) first_stream_1 = q.cycles();
    q.advance(q.cycles() % 2 == 1, true);
  }
  CHECK(first_stream_1 == 18);
  CHECK(q.cycles() == 34);
}
