// The requant RTL, Verilated, against the golden's scalar function: every int16 input for several
// multipliers, random 32-bit accumulators, ties, both rounding rules and every clamp width.
#include <catch2/catch.hpp>
#include <memory>

#include "Vqtsim_requant.h"
#include "golden/quantize.hpp"
#include "golden/requant.hpp"
#include "verilated.h"

using namespace qtsim::golden;

namespace {
struct Dut {
  std::unique_ptr<VerilatedContext> ctx = std::make_unique<VerilatedContext>();
  std::unique_ptr<Vqtsim_requant> top = std::make_unique<Vqtsim_requant>(ctx.get());
  Dut() {
    top->clk_i = 0, top->rst_ni = 0;
    top->eval();
    top->rst_ni = 1;
    top->eval();
  }
  // One element through the register stage. Verilator's ports are unsigned: inputs are two's-complement
  // bit patterns, and the 64-bit output is the signed result's bit pattern.
  int64_t run(int64_t z, Dyadic d, Rounding r, int bits) {
    top->valid_i = 1;
    top->z_i = static_cast<uint32_t>(z);
    top->m_i = static_cast<uint32_t>(d.m);
    top->e_i = static_cast<uint8_t>(d.e);
    top->half_up_i = r == Rounding::half_up;
    top->bits_i = static_cast<uint8_t>(bits);
    top->clk_i = 1;
    top->eval();
    top->clk_i = 0;
    top->eval();
    REQUIRE(top->valid_o == 1);
    return static_cast<int64_t>(top->q_o);
  }
};
}  // namespace

TEST_CASE("requant RTL equals the golden over every int16 input", "[rtl][requant]") {
  Dut dut;
  for (const Dyadic d : {Dyadic{1828586604, 41}, Dyadic{1073741824, 31}, Dyadic{-1785619331, 40}, Dyadic{1500000001, 3}})
    for (const Rounding r : {Rounding::half_even, Rounding::half_up})
      for (int bits : {8, 16})
        for (int64_t z = -32768; z <= 32767; ++z) {
          const int64_t want = requant_clamp(requant_value(z, d, r), bits);
          if (dut.run(z, d, r, bits) != want) FAIL("z=" << z << " m=" << d.m << " e=" << d.e << " bits=" << bits);
        }
  SUCCEED();
}

TEST_CASE("requant RTL equals the golden on random accumulators, ties and every clamp width", "[rtl][requant]") {
  Dut dut;
  uint64_t st = 42;
  for (int i = 0; i < 200000; ++i) {
    const auto z = static_cast<int32_t>(splitmix64(st));
    const int64_t mag = (int64_t{1} << 30) + static_cast<int64_t>(splitmix64(st) % (int64_t{1} << 30));
    const Dyadic d{(splitmix64(st) & 1) ? mag : -mag, 1 + static_cast<int>(splitmix64(st) % 62)};
    const int bits = std::array<int, 6>{4, 8, 16, 32, 12, 24}[splitmix64(st) % 6];
    const Rounding r = (splitmix64(st) & 1) ? Rounding::half_up : Rounding::half_even;
    REQUIRE(dut.run(z, d, r, bits) == requant_clamp(requant_value(z, d, r), bits));
  }
  // exact ties: m = 2^30, e = 31 halves z
  for (int64_t z : {-5, -3, -1, 1, 3, 5, 2147483647, -2147483647 - 1})
    for (const Rounding r : {Rounding::half_even, Rounding::half_up})
      REQUIRE(dut.run(z, {int64_t{1} << 30, 31}, r, 32) == requant_clamp(requant_value(z, {int64_t{1} << 30, 31}, r), 32));
}
