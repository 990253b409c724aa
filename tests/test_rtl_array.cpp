// The Verilated MAC array (rtl/qtsim_mac_array.sv) inside its clocked unit: sums bit-exact against the
// int64 triple loop, and on every job exactly the cycles of the SystemC array for the same configuration
// (itself held to the closed forms of docs/cycle-model.md in test_model_array.cpp).
#include <catch2/catch.hpp>
#include <memory>
#include <tuple>
#include <systemc>

#include "golden/bgemm.hpp"
#include "golden/gemm.hpp"
#include "golden/quantize.hpp"
#include "models/units/mac_array.hpp"
#include "models/verilated/rtl_mac_array.hpp"

using namespace qtsim;
using model::ArrayConfig;
using model::Dataflow;

namespace {
std::vector<int32_t> draws(int64_t n, int64_t lo, int64_t hi, uint64_t seed) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  uint64_t st = seed;
  for (auto& x : v) x = static_cast<int32_t>(lo + static_cast<int64_t>(golden::splitmix64(st) % static_cast<uint64_t>(hi - lo + 1)));
  return v;
}

template <class Unit>
int64_t run_job(Unit& u, const std::vector<int32_t>& a, const std::vector<int32_t>& b, int64_t m, int64_t k, int64_t n, int64_t lanes,
                std::vector<int32_t>& c) {
  c.assign(static_cast<size_t>(m * n), 0);
  u.start({a.data(), b.data(), m, k, n, c.data(), lanes});
  return u.run_to_done();
}
}  // namespace

TEST_CASE("RTL array: exact sums and the SystemC array's cycles, ws, is and os, W8A8 and two int4 per PE", "[model][array][rtl]") {
  // Every size the build verilates, both timings, every dataflow.
  const std::vector<ArrayConfig> cfgs{{8, 8, Dataflow::ws, true},   {8, 8, Dataflow::ws, false},  {8, 8, Dataflow::is, true},
                                      {16, 16, Dataflow::ws, true}, {16, 16, Dataflow::is, false}, {32, 32, Dataflow::ws, true},
                                      {8, 8, Dataflow::os, true},   {8, 8, Dataflow::os, false},  {16, 16, Dataflow::os, true},
                                      {16, 16, Dataflow::os, false}, {32, 32, Dataflow::os, true}};
  std::vector<std::unique_ptr<model::MacArray>> sc;
  std::vector<std::unique_ptr<model::RtlMacArray>> rtl;
  for (size_t i = 0; i < cfgs.size(); ++i) {
    sc.push_back(std::make_unique<model::MacArray>(("sc" + std::to_string(i)).c_str(), cfgs[i]));
    rtl.push_back(std::make_unique<model::RtlMacArray>(("rtl" + std::to_string(i)).c_str(), cfgs[i]));
  }
  struct Case {
    int64_t m, k, n, lanes, a_lo, a_hi, w_lo, w_hi;
  };
  const Case cases[] = {
      {1, 1, 1, 1, -128, 127, -128, 127},     {5, 7, 3, 1, -128, 127, -128, 127},      {17, 33, 9, 1, -128, 127, -128, 127},
      {64, 20, 11, 1, -128, 127, -128, 127},  {40, 70, 41, 1, -128, 127, -128, 127},   {3, 100, 2, 1, -128, 127, -128, 127},
      {23, 64, 19, 1, 0, 65535, -128, 127},   // uint16 probabilities against int8 (attn @ v)
      {40, 33, 9, 2, -128, 127, -8, 7},       {17, 64, 16, 2, -128, 127, -8, 7},       // two int4 weights per PE
      {9, 31, 35, 2, -128, 127, 0, 15},       // uint4 codes (group-wise INT4)
      {6, 5, 4, 1, -65536, 65535, -128, 127},  // operand extremes
      {6, 5, 4, 1, -128, 127, -65536, 65535},
  };
  for (size_t i = 0; i < cfgs.size(); ++i)
    for (const Case& t : cases) {
      INFO(cfgs[i].rows << "x" << cfgs[i].cols << " " << model::dataflow_name(cfgs[i].dataflow) << (cfgs[i].overlap ? "" : " serial")
                        << " M=" << t.m << " K=" << t.k << " N=" << t.n << " lanes " << t.lanes);
      const uint64_t seed = static_cast<uint64_t>(t.m * 131 + t.k * 7 + t.n);
      const std::vector<int32_t> a = draws(t.m * t.k, t.a_lo, t.a_hi, seed), b = draws(t.n * t.k, t.w_lo, t.w_hi, seed + 1);
      std::vector<int32_t> c_rtl, c_sc;
      const int64_t cycles_rtl = run_job(*rtl[i], a, b, t.m, t.k, t.n, t.lanes, c_rtl);
      const int64_t cycles_sc = run_job(*sc[i], a, b, t.m, t.k, t.n, t.lanes, c_sc);
      std::vector<int64_t> a64(a.begin(), a.end()), b64(b.begin(), b.end()), ref(static_cast<size_t>(t.m * t.n));
      golden::gemm_ref(a64.data(), b64.data(), nullptr, t.m, t.k, t.n, ref.data());
      REQUIRE(std::vector<int64_t>(c_rtl.begin(), c_rtl.end()) == ref);
      CHECK(cycles_rtl == cycles_sc);
      CHECK(cycles_rtl == model::array_schedule(cfgs[i], t.m, t.k, t.n, t.lanes).cycles);
    }
}

TEST_CASE("RTL array in binary mode: XNOR-popcount sums equal golden bgemm, and the SystemC array's cycles", "[model][array][rtl][binary]") {
  const std::vector<ArrayConfig> cfgs{{8, 8, Dataflow::ws, true},  {16, 16, Dataflow::is, true}, {8, 8, Dataflow::ws, false},
                                      {8, 8, Dataflow::os, true},  {8, 8, Dataflow::os, false},  {16, 16, Dataflow::os, true}};
  std::vector<std::unique_ptr<model::MacArray>> sc;
  std::vector<std::unique_ptr<model::RtlMacArray>> rtl;
  for (size_t i = 0; i < cfgs.size(); ++i) {
    sc.push_back(std::make_unique<model::MacArray>(("bsc" + std::to_string(i)).c_str(), cfgs[i]));
    rtl.push_back(std::make_unique<model::RtlMacArray>(("brtl" + std::to_string(i)).c_str(), cfgs[i]));
  }
  for (size_t i = 0; i < cfgs.size(); ++i)
    for (const auto& [m, k, n] : {std::tuple{20, 200, 7}, std::tuple{9, 64, 5}, std::tuple{33, 1, 17}, std::tuple{5, 640, 9}, std::tuple{1, 129, 1}}) {
      INFO(cfgs[i].rows << "x" << cfgs[i].cols << " " << model::dataflow_name(cfgs[i].dataflow) << " M=" << m << " K=" << k << " N=" << n);
      std::vector<int32_t> a = draws(m * k, 0, 1, static_cast<uint64_t>(m + k)), w = draws(n * k, 0, 1, static_cast<uint64_t>(n * k));
      for (auto& x : a) x = 2 * x - 1;
      for (auto& x : w) x = 2 * x - 1;
      if (k == 64) std::fill(w.begin(), w.begin() + 64, 1), std::fill(a.begin(), a.begin() + 64, -1);  // all-disagree and all-ones words
      std::vector<int32_t> c_rtl, c_sc;
      const int64_t cycles_rtl = run_job(*rtl[i], a, w, m, k, n, 64, c_rtl);
      const int64_t cycles_sc = run_job(*sc[i], a, w, m, k, n, 64, c_sc);
      const golden::ITensor at({m, k}, std::vector<int64_t>(a.begin(), a.end())), wt({n, k}, std::vector<int64_t>(w.begin(), w.end()));
      REQUIRE(std::vector<int64_t>(c_rtl.begin(), c_rtl.end()) == golden::bgemm(golden::pack_signs(at), golden::pack_signs(wt)).data);
      CHECK(cycles_rtl == cycles_sc);
    }
}

TEST_CASE("RTL array: configurations and operands it cannot take fail clearly", "[model][array][rtl]") {
  CHECK_THAT(model::RtlMacArray::unsupported({12, 12, Dataflow::ws, true}),
             Catch::Contains("no RTL array of 12x12") && Catch::Contains("QTSIM_RTL_ARRAYS"));
  CHECK_THAT(model::RtlMacArray::unsupported({64, 64, Dataflow::os, true}), Catch::Contains("no RTL array of 64x64 os"));
  CHECK(model::RtlMacArray::unsupported({32, 32, Dataflow::os, true}).empty());
  CHECK(model::RtlMacArray::unsupported({16, 16, Dataflow::os, true}).empty());
  CHECK(model::RtlMacArray::unsupported({16, 16, Dataflow::is, false}).empty());
  CHECK_THROWS_WITH(model::RtlMacArray("bad", {12, 12, Dataflow::ws, true}), Catch::Contains("12x12"));
  model::RtlMacArray arr("arr", {8, 8, Dataflow::ws, true});
  std::vector<int32_t> c;
  CHECK_THROWS_WITH(run_job(arr, {70000}, {1}, 1, 1, 1, 1, c), Catch::Contains("17-bit"));
  CHECK_THROWS_WITH(run_job(arr, {1}, {-65537}, 1, 1, 1, 1, c), Catch::Contains("weight -65537"));
  CHECK_THROWS_WITH(run_job(arr, std::vector<int32_t>(64, 2), std::vector<int32_t>(64, 1), 1, 64, 1, 64, c), Catch::Contains("binary operands are +-1"));
  CHECK_THROWS_WITH(run_job(arr, {1}, {1}, 1, 1, 1, 8, c), Catch::Contains("not 8"));
}
