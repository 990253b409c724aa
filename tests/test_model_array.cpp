// The SystemC MAC array: results bit-exact against the int64 triple loop, cycle counts against the closed
// forms of docs/cycle-model.md (derived by hand for the regimes where no hazard binds).
#include <catch2/catch.hpp>
#include <memory>
#include <systemc>

#include "golden/bgemm.hpp"
#include "golden/gemm.hpp"
#include "golden/quantize.hpp"
#include "models/units/mac_array.hpp"

using namespace qtsim;
using model::ArrayConfig;
using model::Dataflow;

namespace {

struct Shape3 {
  int64_t m, k, n;
};

std::vector<int32_t> draws(int64_t n, int64_t lo, int64_t hi, uint64_t seed) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  uint64_t st = seed;
  for (auto& x : v) x = static_cast<int32_t>(lo + static_cast<int64_t>(golden::splitmix64(st) % static_cast<uint64_t>(hi - lo + 1)));
  return v;
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Every array of the test is elaborated before the simulation starts (one elaboration per process).
struct Bench {
  std::vector<std::unique_ptr<model::MacArray>> arrays;
  explicit Bench(const std::vector<ArrayConfig>& cfgs) {
    for (size_t i = 0; i < cfgs.size(); ++i) {
      arrays.push_back(std::make_unique<model::MacArray>(("array" + std::to_string(i)).c_str(), cfgs[i]));
    }
  }
  // Runs one GEMM; returns the cycles the array was busy. Values are checked against the triple loop.
  int64_t run(model::MacArray& arr, const Shape3& s, int64_t a_lo, int64_t a_hi, uint64_t seed) {
    const std::vector<int32_t> a = draws(s.m * s.k, a_lo, a_hi, seed), b = draws(s.n * s.k, -128, 127, seed + 1);
    std::vector<int32_t> c(static_cast<size_t>(s.m * s.n), 0);
    arr.start({a.data(), b.data(), s.m, s.k, s.n, c.data()});
    const int64_t cycles = arr.run_to_done();
    std::vector<int64_t> a64(a.begin(), a.end()), b64(b.begin(), b.end()), ref(c.size());
    golden::gemm_ref(a64.data(), b64.data(), nullptr, s.m, s.k, s.n, ref.data());
    REQUIRE(std::vector<int64_t>(c.begin(), c.end()) == ref);
    return cycles;
  }
};

const Shape3 kShapes[] = {{1, 1, 1}, {5, 7, 3}, {17, 33, 9}, {40, 16, 16}, {64, 20, 11}, {197, 64, 70}};

}  // namespace

TEST_CASE("weight-stationary array: exact results and closed-form cycles", "[model][array]") {
  Bench bench({{4, 4, Dataflow::ws, true}, {3, 5, Dataflow::ws, true}, {16, 16, Dataflow::ws, true},
               {4, 4, Dataflow::ws, false}, {3, 5, Dataflow::ws, false}});
  for (auto& arr : bench.arrays) {
    const int64_t R = arr->config().rows, C = arr->config().cols;
    for (const Shape3& s : kShapes) {
      INFO(R << "x" << C << (arr->config().overlap ? " overlap" : " serial") << " M=" << s.m << " K=" << s.k << " N=" << s.n);
      const int64_t cycles = bench.run(*arr, s, -128, 127, static_cast<uint64_t>(s.m * 1000 + s.k));
      const int64_t tiles = ceil_div(s.n, C) * ceil_div(s.k, R);
      if (!arr->config().overlap) {
        CHECK(cycles == tiles * (s.m + 2 * R + C - 2));  // preload R, stream M, fill and drain R + C - 2
      } else if (s.m >= 2 * R + C - 2 || tiles == 1) {
        CHECK(cycles == tiles * s.m + 2 * R + C - 2);  // preloads hidden behind streams
      }
      CHECK(cycles == model::array_schedule(arr->config(), s.m, s.k, s.n).cycles);
    }
  }
}

TEST_CASE("output-stationary array: exact results and closed-form cycles", "[model][array]") {
  Bench bench({{4, 4, Dataflow::os, true}, {3, 5, Dataflow::os, true}, {16, 16, Dataflow::os, true},
               {4, 4, Dataflow::os, false}, {3, 5, Dataflow::os, false}, {5, 1, Dataflow::os, false}});
  for (auto& arr : bench.arrays) {
    const int64_t R = arr->config().rows, C = arr->config().cols;
    for (const Shape3& s : kShapes) {
      INFO(R << "x" << C << (arr->config().overlap ? " overlap" : " serial") << " M=" << s.m << " K=" << s.k << " N=" << s.n);
      const int64_t cycles = bench.run(*arr, s, -128, 127, static_cast<uint64_t>(s.m * 1000 + s.k));
      const int64_t tiles = ceil_div(s.m, R) * ceil_div(s.n, C);
      if (!arr->config().overlap) {
        CHECK(cycles == tiles * (s.k + R + C - 2));  // SCALE-Sim's per-fold T + R + C - 2
      } else if (s.k >= std::max(R, C) || tiles == 1) {
        CHECK(cycles == tiles * s.k + R + C - 1);  // streams back to back, one fill and drain
      }
    }
  }
}

TEST_CASE("input-stationary array: exact results and closed-form cycles", "[model][array]") {
  // is holds K x M tiles of A (rows K, columns M) and streams the N rows of B: ceil(M/C) ceil(K/R) tiles of
  // N stream cycles each, the ws forms with M and N exchanged.
  Bench bench({{4, 4, Dataflow::is, true}, {3, 5, Dataflow::is, true}, {16, 16, Dataflow::is, true},
               {4, 4, Dataflow::is, false}, {5, 3, Dataflow::is, false}});
  for (auto& arr : bench.arrays) {
    const int64_t R = arr->config().rows, C = arr->config().cols;
    for (const Shape3& s : kShapes) {
      INFO(R << "x" << C << (arr->config().overlap ? " overlap" : " serial") << " M=" << s.m << " K=" << s.k << " N=" << s.n);
      const int64_t cycles = bench.run(*arr, s, -128, 127, static_cast<uint64_t>(s.m * 1000 + s.k + 7));
      const int64_t tiles = ceil_div(s.m, C) * ceil_div(s.k, R);
      if (!arr->config().overlap) {
        CHECK(cycles == tiles * (s.n + 2 * R + C - 2));  // preload R, stream N, fill and drain R + C - 2
      } else if (s.n >= 2 * R + C - 2 || tiles == 1) {
        CHECK(cycles == tiles * s.n + 2 * R + C - 2);
      }
      CHECK(cycles == model::array_schedule(arr->config(), s.m, s.k, s.n).cycles);
    }
  }
}

TEST_CASE("array takes 16-bit probabilities against int8 (attn @ v)", "[model][array]") {
  Bench bench({{16, 16, Dataflow::ws, true}, {16, 16, Dataflow::os, true}, {16, 16, Dataflow::is, true}});
  for (auto& arr : bench.arrays) bench.run(*arr, {197, 197, 64}, 0, 32768, 5);
}

TEST_CASE("two int4 weights per PE (W4A8) and 64-bit XNOR words (binary) per PE per cycle", "[model][array][int4][binary]") {
  Bench bench({{4, 4, Dataflow::ws, true}, {3, 5, Dataflow::os, true}, {5, 3, Dataflow::is, true}});
  for (auto& arr : bench.arrays) {
    const int64_t R = arr->config().rows, C = arr->config().cols;
    const bool ws = arr->config().dataflow == Dataflow::ws, os = arr->config().dataflow == Dataflow::os;
    // W4A8: int8 activations, int4 weights, K in steps of two per PE
    for (const Shape3& s : {Shape3{40, 33, 9}, Shape3{17, 64, 16}}) {
      const std::vector<int32_t> a = draws(s.m * s.k, -128, 127, 11), w = draws(s.n * s.k, -8, 7, 12);
      std::vector<int32_t> c(static_cast<size_t>(s.m * s.n), 0);
      arr->start({a.data(), w.data(), s.m, s.k, s.n, c.data(), 2});
      const int64_t cycles = arr->run_to_done();
      std::vector<int64_t> a64(a.begin(), a.end()), w64(w.begin(), w.end()), ref(c.size());
      golden::gemm_ref(a64.data(), w64.data(), nullptr, s.m, s.k, s.n, ref.data());
      REQUIRE(std::vector<int64_t>(c.begin(), c.end()) == ref);
      const int64_t steps = ceil_div(s.k, 2);
      if (ws && s.m >= 2 * R + C - 2) CHECK(cycles == ceil_div(s.n, C) * ceil_div(steps, R) * s.m + 2 * R + C - 2);
      if (os && steps >= std::max(R, C)) CHECK(cycles == ceil_div(s.m, R) * ceil_div(s.n, C) * steps + R + C - 1);
      if (!ws && !os && s.n >= 2 * R + C - 2) CHECK(cycles == ceil_div(s.m, C) * ceil_div(steps, R) * s.n + 2 * R + C - 2);
    }
    // binary: +-1 operands, 64 per PE per cycle; the sums must equal XNOR-popcount
    for (const Shape3& s : {Shape3{20, 200, 7}, Shape3{9, 64, 5}}) {
      std::vector<int32_t> a = draws(s.m * s.k, 0, 1, 21), w = draws(s.n * s.k, 0, 1, 22);
      for (auto& x : a) x = 2 * x - 1;
      for (auto& x : w) x = 2 * x - 1;
      std::vector<int32_t> c(static_cast<size_t>(s.m * s.n), 0);
      arr->start({a.data(), w.data(), s.m, s.k, s.n, c.data(), 64});
      arr->run_to_done();
      const golden::ITensor at({s.m, s.k}, std::vector<int64_t>(a.begin(), a.end())), wt({s.n, s.k}, std::vector<int64_t>(w.begin(), w.end()));
      REQUIRE(std::vector<int64_t>(c.begin(), c.end()) == golden::bgemm(golden::pack_signs(at), golden::pack_signs(wt)).data);
    }
  }
}

TEST_CASE("array_cycles equals the tile-by-tile schedule for every dataflow, overlap and shape", "[model][array]") {
  // array_schedule walks every tile (and is held to the simulation above); array_cycles jumps periods.
  int64_t checked = 0;
  for (int64_t R : {1, 2, 3, 5, 8, 16, 33})
    for (int64_t C : {1, 4, 7, 16})
      for (auto df : {Dataflow::ws, Dataflow::os, Dataflow::is})
        for (bool overlap : {true, false})
          for (int64_t m : {1, 2, 5, 17, 40, 197})
            for (int64_t k : {1, 3, 64, 200, 768})
              for (int64_t n : {1, 9, 64, 577})
                for (int64_t lanes : {1, 2}) {
                  const model::ArrayConfig cfg{R, C, df, overlap};
                  INFO(R << "x" << C << " df " << static_cast<int>(df) << " overlap " << overlap << " M=" << m << " K=" << k
                         << " N=" << n << " lanes " << lanes);
                  REQUIRE(model::array_cycles(cfg, m, k, n, lanes) == model::array_schedule(cfg, m, k, n, lanes).cycles);
                  ++checked;
                }
  CHECK(checked == 7 * 4 * 3 * 2 * 6 * 5 * 4 * 2);
}

namespace {
// SCALE-Sim v2's stall-free cycle count for one GEMM (A [M,K], B [N,K]), transcribed from the shapes of its
// demand matrices (scalesim/compute/systolic_compute_{ws,os,is}.py): one demand row per cycle, folds one
// after another, partial folds padded to the full array, skew_matrix() adding (columns - 1) rows.
int64_t scalesim_rows(Dataflow df, int64_t R, int64_t C, int64_t M, int64_t K, int64_t N) {
  switch (df) {
    case Dataflow::ws: {  // Sr = K, Sc = N, T = M; filter demand: the R-row tile + (R + C + T - 2) gap rows, unskewed
      const int64_t folds = ceil_div(K, R) * ceil_div(N, C);
      return folds * (R + (R + C + M - 2));
    }
    case Dataflow::os: {  // Sr = M, Sc = N, T = K; ifmap demand: T rows + (C - 1) gap rows, skewed over R columns
      const int64_t folds = ceil_div(M, R) * ceil_div(N, C);
      return folds * ((K + C - 1) + (R - 1));
    }
    case Dataflow::is: {  // Sr = K, Sc = M, T = N; ifmap demand: the R-row tile + (R + C + T - 2) gap rows, unskewed
      const int64_t folds = ceil_div(K, R) * ceil_div(M, C);
      return folds * (R + (R + C + N - 2));
    }
  }
  return -1;
}
}  // namespace

TEST_CASE("serial timing (hw.compat: scalesim) equals SCALE-Sim v2's cycles for every dataflow", "[model][array][scalesim]") {
  // SCALE-Sim reports the index of the last cycle (rows - 1); qtsim counts cycles.
  Bench bench({{4, 4, Dataflow::ws, false}, {3, 5, Dataflow::ws, false}, {4, 4, Dataflow::os, false}, {5, 3, Dataflow::os, false},
               {4, 4, Dataflow::is, false}, {3, 5, Dataflow::is, false}, {8, 8, Dataflow::is, false}});
  for (auto& arr : bench.arrays) {
    const ArrayConfig& c = arr->config();
    for (const Shape3& s : kShapes) {
      INFO(model::dataflow_name(c.dataflow) << " " << c.rows << "x" << c.cols << " M=" << s.m << " K=" << s.k << " N=" << s.n);
      CHECK(bench.run(*arr, s, -128, 127, static_cast<uint64_t>(s.n * 100 + s.k)) ==
            scalesim_rows(c.dataflow, c.rows, c.cols, s.m, s.k, s.n));
    }
  }
}
