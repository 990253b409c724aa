// The requant RTL (16 lanes, four pipeline stages), Verilated, against the golden's scalar function: every int16
// input for several multipliers, random 32-bit accumulators with per-lane multipliers, ties, both rounding rules,
// every clamp width, partial beats; and the pipeline's latency.
#include <catch2/catch.hpp>
#include <memory>
#include <vector>

#include "Vqtsim_requant.h"
#include "golden/quantize.hpp"
#include "golden/requant.hpp"
#include "verilated.h"

using namespace qtsim::golden;

namespace {
constexpr int kLanes = 16, kLatency = 4;

// Verilator hands packed arrays over as words of 32 bits; fields are written and read bit by bit.
template <class W>
void put(W& w, int offset, int width, uint64_t v) {
  for (int b = 0; b < width; ++b) {
    const int bit = offset + b;
    const uint32_t mask = 1u << (bit % 32);
    if ((v >> b) & 1) w[bit / 32] |= mask;
    else w[bit / 32] &= ~mask;
  }
}
template <class W>
uint64_t get(const W& w, int offset, int width) {
  uint64_t v = 0;
  for (int b = 0; b < width; ++b) v |= static_cast<uint64_t>((w[(offset + b) / 32] >> ((offset + b) % 32)) & 1) << b;
  return v;
}

struct Element {
  int64_t z;
  Dyadic d;
};

struct Dut {
  std::unique_ptr<VerilatedContext> ctx = std::make_unique<VerilatedContext>();
  std::unique_ptr<Vqtsim_requant> top = std::make_unique<Vqtsim_requant>(ctx.get());
  Dut() {
    top->clk_i = 0, top->rst_ni = 0;
    top->eval();
    top->rst_ni = 1;
    top->eval();
  }
  void clock() {
    top->clk_i = 1;
    top->eval();
    top->clk_i = 0;
    top->eval();
  }
  // Streams `elems` through, kLanes per beat; returns the results and the cycles until the last one left.
  std::vector<int64_t> run(const std::vector<Element>& elems, Rounding r, int bits, int64_t* cycles = nullptr) {
    top->half_up_i = r == Rounding::half_up;
    top->bits_i = static_cast<uint8_t>(bits);
    std::vector<int64_t> out;
    size_t next = 0;
    int64_t t = 0;
    while (out.size() < elems.size()) {
      top->valid_i = next < elems.size();
      top->lane_en_i = 0;
      for (int l = 0; l < kLanes && next < elems.size(); ++l, ++next) {
        top->lane_en_i |= 1u << l;
        put(top->z_i, 32 * l, 32, static_cast<uint32_t>(elems[next].z));
        put(top->m_i, 32 * l, 32, static_cast<uint32_t>(elems[next].d.m));
        put(top->e_i, 6 * l, 6, static_cast<uint64_t>(elems[next].d.e));
      }
      clock();
      ++t;
      if (top->valid_o)
        for (int l = 0; l < kLanes; ++l)
          if ((top->lane_en_o >> l) & 1) out.push_back(static_cast<int64_t>(get(top->q_o, 64 * l, 64)));
    }
    if (cycles) *cycles = t;
    return out;
  }
};

std::vector<int64_t> golden_of(const std::vector<Element>& elems, Rounding r, int bits) {
  std::vector<int64_t> v;
  for (const auto& e : elems) v.push_back(requant_clamp(requant_value(e.z, e.d, r), bits));
  return v;
}
}  // namespace

TEST_CASE("requant RTL equals the golden over every int16 input", "[rtl][requant]") {
  Dut dut;
  for (const Dyadic d : {Dyadic{1828586604, 41}, Dyadic{1073741824, 31}, Dyadic{-1785619331, 40}, Dyadic{1500000001, 3}})
    for (const Rounding r : {Rounding::half_even, Rounding::half_up})
      for (int bits : {8, 16}) {
        std::vector<Element> elems;
        for (int64_t z = -32768; z <= 32767; ++z) elems.push_back({z, d});
        REQUIRE(dut.run(elems, r, bits) == golden_of(elems, r, bits));
      }
}

TEST_CASE("requant RTL equals the golden on random accumulators, per-lane multipliers, ties and every width", "[rtl][requant]") {
  Dut dut;
  uint64_t st = 42;
  for (int bits : {4, 8, 16, 32, 12, 24})
    for (const Rounding r : {Rounding::half_even, Rounding::half_up}) {
      std::vector<Element> elems;
      for (int i = 0; i < 20001; ++i) {  // not a multiple of the lanes: the last beat is partial
        const int64_t mag = (int64_t{1} << 30) + static_cast<int64_t>(splitmix64(st) % (int64_t{1} << 30));
        elems.push_back({static_cast<int32_t>(splitmix64(st)), {(splitmix64(st) & 1) ? mag : -mag, 1 + static_cast<int>(splitmix64(st) % 62)}});
      }
      for (int64_t z : {-5, -3, -1, 1, 3, 5, 2147483647, -2147483647 - 1}) elems.push_back({z, {int64_t{1} << 30, 31}});  // exact ties
      REQUIRE(dut.run(elems, r, bits) == golden_of(elems, r, bits));
    }
}

TEST_CASE("requant RTL takes ceil(n / lanes) + 4 cycles, as the cycle model's post-processing unit", "[rtl][requant]") {
  Dut dut;
  for (int n : {1, 15, 16, 17, 240}) {
    std::vector<Element> elems(static_cast<size_t>(n), Element{7, {int64_t{1} << 30, 30}});
    int64_t cycles = 0;
    dut.run(elems, Rounding::half_even, 8, &cycles);
    CHECK(cycles == (n + kLanes - 1) / kLanes + kLatency);
  }
}
