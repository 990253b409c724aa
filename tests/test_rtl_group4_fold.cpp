// The post-processing unit's wide accumulate lanes (rtl/qtsim_group4_fold.sv), Verilated, against the
// golden's group term accumulated in 128-bit C++: random operands over their full widths, several groups in
// a row, the int64 bounds of the flag, and the pipeline's latency.
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "Vqtsim_group4_fold_l16.h"
#include "golden/gemm_group4.hpp"
#include "golden/quantize.hpp"
#include "models/verilated/verilated_ports.hpp"
#include "verilated_dut.hpp"

using namespace qtsim::golden;
using qtsim::model::get_field;
using qtsim::model::put_field;

namespace {
constexpr int kLanes = 16, kLatency = 4;

struct Operands {
  int64_t p, s, zero, mult;
  __int128 acc;
};

struct Result {
  __int128 acc;
  bool wide;
};

struct Dut : qtsim::test::VerilatedDut<Vqtsim_group4_fold_l16> {
  std::vector<Result> run(const std::vector<Operands>& in, int64_t* cycles = nullptr) {
    std::vector<Result> out;
    size_t next = 0;
    int64_t t = 0;
    top->ready_i = 1;  // a consumer always ready (back-pressure: test_rtl_units.cpp)
    top->eval();
    while (out.size() < in.size()) {
      top->valid_i = next < in.size();
      top->lane_en_i = 0;
      for (int l = 0; l < kLanes && next < in.size(); ++l, ++next) {
        const Operands& o = in[next];
        const auto acc = static_cast<unsigned __int128>(o.acc);
        top->lane_en_i |= static_cast<uint16_t>(1u << l);
        put_field(top->p_i, 32 * l, 32, static_cast<uint32_t>(o.p));
        put_field(top->s_i, 32 * l, 32, static_cast<uint32_t>(o.s));
        put_field(top->zero_i, 32 * l, 32, static_cast<uint32_t>(o.zero));
        put_field(top->mult_i, 16 * l, 16, static_cast<uint64_t>(o.mult));
        put_field(top->acc_i, 128 * l, 64, static_cast<uint64_t>(acc));
        put_field(top->acc_i, 128 * l + 64, 64, static_cast<uint64_t>(acc >> 64));
      }
      clock();
      ++t;
      if (top->valid_o)
        for (int l = 0; l < kLanes; ++l)
          if ((top->lane_en_o >> l) & 1) {
            const unsigned __int128 hi = get_field(top->acc_o, 128 * l + 64, 64), lo = get_field(top->acc_o, 128 * l, 64);
            out.push_back({static_cast<__int128>((hi << 64) | lo), ((top->wide_o >> l) & 1) != 0});
          }
    }
    if (cycles) *cycles = t;
    return out;
  }
};

bool fits_int64(__int128 v) { return v >= INT64_MIN && v <= INT64_MAX; }
}  // namespace

TEST_CASE("group-wise INT4 fold RTL equals golden's group term summed in 128 bits, group after group", "[rtl][group4]") {
  Dut dut;
  uint64_t st = 41;
  const auto r32 = [&] { return static_cast<int64_t>(static_cast<int32_t>(splitmix64(st))); };
  const size_t n = 1003;  // not a multiple of the lanes
  std::vector<__int128> acc(n);
  for (auto& a : acc) a = group4_bias_term(r32());
  for (int g = 0; g < 6; ++g) {
    INFO("group " << g);
    std::vector<Operands> in;
    std::vector<__int128> expect;
    for (size_t i = 0; i < n; ++i) {
      // full-width operands on some elements, the ranges a layer gives on the rest
      const bool full = i % 3 == 0;
      const int64_t p = full ? r32() : r32() >> 12, s = full ? r32() : r32() >> 20;
      const int64_t zero = full ? r32() : static_cast<int64_t>(splitmix64(st) % (16 * 256));
      const int64_t mult = static_cast<int64_t>(splitmix64(st) % ((int64_t{1} << 15) + 1));
      in.push_back({p, s, zero, mult, acc[i]});
      expect.push_back(acc[i] + group4_term(p, s, zero, mult));
    }
    int64_t cycles = 0;
    const std::vector<Result> got = dut.run(in, &cycles);
    REQUIRE(got.size() == n);
    for (size_t i = 0; i < n; ++i) {
      REQUIRE(got[i].acc == expect[i]);
      REQUIRE(got[i].wide == !fits_int64(expect[i]));
    }
    CHECK(cycles == (static_cast<int64_t>(n) + kLanes - 1) / kLanes + kLatency);
    acc = expect;
  }
}

TEST_CASE("group-wise INT4 fold RTL flags exactly the accumulators outside int64", "[rtl][group4]") {
  Dut dut;
  const __int128 max = INT64_MAX, min = INT64_MIN;
  // a zero term leaves the accumulator as it was; a term of one unit (mult 1, p = 1, zero 0: 2^8) steps it
  std::vector<Operands> in = {{0, 0, 0, 0, max}, {0, 0, 0, 0, max + 1}, {0, 0, 0, 0, min}, {0, 0, 0, 0, min - 1},
                              {1, 0, 0, 1, max - 256}, {1, 0, 0, 1, max - 255}, {-1, 0, 0, 1, min + 256}, {-1, 0, 0, 1, min + 255}};
  const std::vector<Result> got = dut.run(in);
  const std::vector<bool> wide = {false, true, false, true, false, true, false, true};
  REQUIRE(got.size() == in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    INFO("case " << i);
    CHECK(got[i].acc == in[i].acc + group4_term(in[i].p, in[i].s, in[i].zero, in[i].mult));
    CHECK(got[i].wide == wide[i]);
  }
}

TEST_CASE("group-wise INT4 fold RTL takes ceil(n / lanes) + 4 cycles, as the cycle model's post-processing unit", "[rtl][group4]") {
  Dut dut;
  for (int n : {1, 15, 16, 17, 240}) {
    int64_t cycles = 0;
    dut.run(std::vector<Operands>(static_cast<size_t>(n), Operands{3, 5, 7, 9, 11}), &cycles);
    CHECK(cycles == (n + kLanes - 1) / kLanes + kLatency);
  }
}
