// The XNOR-popcount RTL lanes against golden::bgemm (itself held to +-1 dot products): random rows with K
// tails 1..200, all-ones and all-zeros words, and B + 1 cycles for a row of B words.
#include <catch2/catch.hpp>
#include <memory>

// Verilator's headers first (they switch to SystemC mode when included after <systemc>).
#include "Vqtsim_xnor_popcount.h"
#include "verilated.h"
#include "verilated_dut.hpp"

#include "golden/bgemm.hpp"
#include "golden/quantize.hpp"
#include "models/verilated/verilated_ports.hpp"

using namespace qtsim;
using model::get_field;
using model::put_field;
using model::sign_extend;

namespace {
constexpr int kLanes = 4;  // the parameter set rtl/CMakeLists.txt verilates

using Rtl = test::VerilatedDut<Vqtsim_xnor_popcount>;

// Dot products of lane l's pair (a row of A, a row of B), one word per cycle; returns the cycles from the
// first word to valid_o.
int64_t run_rows(Rtl& r, const golden::BitMatrix& a, const golden::BitMatrix& b, const int64_t (&ra)[kLanes],
                 const int64_t (&rb)[kLanes], int64_t (&dot)[kLanes]) {
  const int64_t wpr = a.words_per_row();
  int64_t cycles = 0;
  for (int64_t w = 0; w < wpr; ++w, ++cycles) {
    r.top->valid_i = 1;
    r.top->first_i = w == 0;
    r.top->last_i = w == wpr - 1;
    r.top->bits_i = static_cast<uint8_t>(w == wpr - 1 ? a.k - 64 * w : 64);
    for (int l = 0; l < kLanes; ++l) {
      put_field(r.top->a_i, 64 * l, 64, a.words[static_cast<size_t>(ra[l] * wpr + w)]);
      put_field(r.top->b_i, 64 * l, 64, b.words[static_cast<size_t>(rb[l] * wpr + w)]);
    }
    r.clock();
    REQUIRE_FALSE(r.top->valid_o);
  }
  r.top->valid_i = 0;
  r.top->first_i = r.top->last_i = 0;
  while (!r.top->valid_o) {
    r.clock();
    ++cycles;
    REQUIRE(cycles <= wpr + 1);
  }
  for (int l = 0; l < kLanes; ++l) dot[l] = sign_extend(get_field(r.top->dot_o, 32 * l, 32), 32);
  return cycles;
}

golden::BitMatrix random_signs(int64_t rows, int64_t k, uint64_t seed) {
  golden::ITensor t({rows, k});
  for (auto& v : t.data) v = (golden::splitmix64(seed) & 1) ? 1 : -1;
  return golden::pack_signs(t);
}
}  // namespace

TEST_CASE("XNOR-popcount RTL equals golden bgemm for K tails 1..200, row after row", "[rtl][binary]") {
  Rtl r;
  for (int64_t k : {1, 2, 63, 64, 65, 127, 128, 129, 200}) {
    const golden::BitMatrix a = random_signs(5, k, static_cast<uint64_t>(k)), b = random_signs(6, k, static_cast<uint64_t>(k) + 99);
    const golden::ITensor ref = golden::bgemm(a, b);
    for (int64_t i = 0; i < 5; ++i) {
      const int64_t ra[kLanes] = {i, i, (i + 1) % 5, (i + 3) % 5};
      const int64_t rb[kLanes] = {0, 5, i, (2 * i) % 6};
      int64_t dot[kLanes];
      const int64_t cycles = run_rows(r, a, b, ra, rb, dot);
      INFO("K " << k << " row " << i);
      CHECK(cycles == a.words_per_row() + 1);  // one word per cycle, then the accumulate stage
      for (int l = 0; l < kLanes; ++l) CHECK(dot[l] == ref[ra[l] * 6 + rb[l]]);
    }
  }
}

TEST_CASE("XNOR-popcount RTL corners: all-ones and all-zeros words, opposite and equal rows", "[rtl][binary]") {
  Rtl r;
  for (int64_t k : {64, 100, 192}) {
    golden::ITensor plus({2, k}, 1), mixed({2, k}, -1);
    for (int64_t j = 0; j < k; ++j) plus[k + j] = -1;          // row 1 all -1 (all-zeros words)
    for (int64_t j = 0; j < k; j += 2) mixed[j] = 1;           // alternating
    const golden::BitMatrix a = golden::pack_signs(plus), b = golden::pack_signs(mixed);
    // lanes: (+1s . +1s) = K, (+1s . -1s) = -K, (-1s . -1s) = K, (+1s . alternating)
    const int64_t ra[kLanes] = {0, 0, 1, 0}, rb[kLanes] = {0, 1, 1, 0};
    int64_t dot[kLanes];
    run_rows(r, a, a, ra, rb, dot);
    CHECK(dot[0] == k);
    CHECK(dot[1] == -k);
    CHECK(dot[2] == k);
    const int64_t ra2[kLanes] = {0, 1, 0, 1}, rb2[kLanes] = {0, 0, 1, 1};
    run_rows(r, a, b, ra2, rb2, dot);
    const golden::ITensor ref = golden::bgemm(a, b);
    for (int l = 0; l < kLanes; ++l) CHECK(dot[l] == ref[ra2[l] * 2 + rb2[l]]);
    CHECK(dot[0] == (k % 2 == 0 ? 0 : 1));  // +1 against alternating +1/-1 starting with +1
  }
}
