// The output-stationary array's sequencer decides each step from its own state; these tests hold it to what a
// systolic output-stationary pass must do, checked PE by PE from the operands' paths rather than from its gap
// rule: every row of A and of B enters its edge once per tile, skewed by its index, so that PE (r, c) meets
// pair k of its tile at start + k + r + c; each array row drains after its PEs made their last product (with
// drain registers: in a later step, and before those PEs finish the next tile; without: in the step of the
// last product, with nothing else in flight); and the steps equal docs/cycle-model.md's closed forms.
#include <catch2/catch.hpp>

#include <map>
#include <utility>

#include "models/analytic/unit_cycles.hpp"
#include "models/machine/os_sequencer.hpp"

using namespace qtsim;
using machine::OsSequencer;

namespace {
struct Trace {
  int64_t steps = 0, cycles = 0;
  std::map<std::pair<int64_t, int64_t>, int64_t> row_in, col_in;  // (tile, row or column) -> the step of PE step 0
  std::map<std::pair<int64_t, int64_t>, int64_t> drained;         // (tile, array row) -> step
};

// refuse: every refuse-th cycle the array's accesses are refused (0: never); events are recorded in the
// cycle their step goes through, at its step index.
Trace run(const OsSequencer::Shape& s, int64_t refuse = 0) {
  OsSequencer q(s);
  Trace t;
  std::map<std::pair<int64_t, int64_t>, int64_t> row_k, col_k;  // the PE step each edge saw last
  int64_t tau = 0;
  while (!q.done()) {
    REQUIRE(q.cycles() < 1000000);
    if (refuse && q.cycles() % refuse == refuse - 1) {
      q.advance(false);
      continue;
    }
    auto edge = [&](OsSequencer::Entry e, int64_t i, std::map<std::pair<int64_t, int64_t>, int64_t>& first,
                    std::map<std::pair<int64_t, int64_t>, int64_t>& last) {
      if (e.tile < 0) return;
      const auto key = std::make_pair(e.tile, i);
      if (e.k == 0) CHECK(first.emplace(key, tau).second);
      else CHECK(last.at(key) == e.k - 1);  // PE steps back to back, in order
      CHECK(tau - first.at(key) == e.k);
      last[key] = e.k;
    };
    for (int64_t r = 0; r < s.rows; ++r) edge(q.row(r), r, t.row_in, row_k);
    for (int64_t c = 0; c < s.array_cols; ++c) edge(q.col(c), c, t.col_in, col_k);
    if (q.drain().tile >= 0) CHECK(t.drained.emplace(std::make_pair(q.drain().tile, q.drain().row), tau).second);
    q.advance(true);
    ++tau;
  }
  t.steps = tau;
  t.cycles = q.cycles();
  for (const auto& [key, k] : row_k) CHECK(k == s.steps - 1);  // every edge saw all of K
  for (const auto& [key, k] : col_k) CHECK(k == s.steps - 1);
  return t;
}
}  // namespace

TEST_CASE("os sequencer: operands meet PE by PE, rows drain after their last product, steps equal the closed forms", "[machine]") {
  for (const auto& [R, C] : std::vector<std::pair<int64_t, int64_t>>{{4, 4}, {3, 5}, {16, 16}, {8, 2}})
    for (const int64_t m : {1, 5, 13, 40})
      for (const int64_t k : {1, 4, 9, 33})
        for (const int64_t n : {1, 5, 16, 17})
          for (const bool overlap : {true, false}) {
            INFO(R << "x" << C << " m " << m << " k " << k << " n " << n << " overlap " << overlap);
            const Trace t = run({m, k, n, R, C, overlap});
            const int64_t T = ((m + R - 1) / R) * ((n + C - 1) / C);
            CHECK(static_cast<int64_t>(t.row_in.size()) == T * R);
            CHECK(static_cast<int64_t>(t.drained.size()) == T * R);
            for (int64_t tile = 0; tile < T; ++tile) {
              const int64_t start = t.row_in.at({tile, 0});
              for (int64_t r = 0; r < R; ++r) CHECK(t.row_in.at({tile, r}) == start + r);
              for (int64_t c = 0; c < C; ++c) CHECK(t.col_in.at({tile, c}) == start + c);
              for (int64_t r = 0; r < R; ++r) {
                const int64_t last_product = start + k - 1 + r + C - 1, out = t.drained.at({tile, r});  // PE (r, C - 1)
                if (!overlap) {
                  CHECK(out == last_product);
                  if (tile + 1 < T) CHECK(t.row_in.at({tile + 1, 0}) > t.drained.at({tile, R - 1}));
                } else {
                  CHECK(out > last_product);
                  // the drain register of PE (r, 0) is read before that PE's next last product overwrites it
                  if (tile + 1 < T) CHECK(out <= t.row_in.at({tile + 1, 0}) + k - 1 + r);
                }
              }
            }
            if (!overlap) CHECK(t.steps == T * (k + R + C - 2));
            else if (k >= std::max(R, C)) CHECK(t.steps == T * k + R + C - 1);
            model::ArrayConfig cfg;
            cfg.rows = R, cfg.cols = C, cfg.overlap = overlap, cfg.dataflow = model::Dataflow::os;
            CHECK(t.steps == model::array_cycles(cfg, m, k, n));
          }
}

TEST_CASE("os sequencer: refused steps repeat whole, so every operand and drain happens once, at the same step", "[machine]") {
  for (const auto& [R, C] : std::vector<std::pair<int64_t, int64_t>>{{4, 4}, {3, 5}, {1, 1}})
    for (const int64_t k : {1, 9, 33})
      for (const bool overlap : {true, false}) {
        INFO(R << "x" << C << " k " << k << " overlap " << overlap);
        const Trace clean = run({13, k, 7, R, C, overlap}), held = run({13, k, 7, R, C, overlap}, 3);
        CHECK(held.row_in == clean.row_in);
        CHECK(held.col_in == clean.col_in);
        CHECK(held.drained == clean.drained);
        CHECK(held.steps == clean.steps);
        CHECK(held.cycles == held.steps + (held.cycles / 3));  // one refused cycle in three
      }
}

TEST_CASE("os sequencer: a refused access holds every PE for the cycle", "[machine]") {
  // 4x4, M 4, K 8, N 4, one tile: 8 + 4 + 4 - 1 = 15 steps; refusing every third cycle's step adds one cycle
  // per refusal, and the array's steps stay the same.
  OsSequencer q({4, 8, 4, 4, 4, true});
  int64_t refused = 0;
  while (!q.done()) {
    REQUIRE(q.cycles() < 1000);
    const bool ok = q.cycles() % 3 != 2;
    refused += !ok;
    q.advance(ok);
  }
  CHECK(q.cycles() == 15 + refused);
  CHECK(refused == 7);  // cycles 2, 5, ..., 20 of 22
}
