// The requant RTL (16 lanes, four pipeline stages), Verilated, against the golden's scalar function: every int16
// input for several multipliers, random 32-bit accumulators with per-lane multipliers, ties, both rounding rules,
// every clamp width, partial beats; and the pipeline's latency.
#include <catch2/catch.hpp>
#include <memory>
#include <vector>

#include "Vqtsim_requant_l16.h"
#include "golden/quantize.hpp"
#include "golden/requant.hpp"
#include "models/verilated/verilated_ports.hpp"
#include "verilated.h"
#include "verilated_dut.hpp"

using namespace qtsim::golden;
using qtsim::model::get_field;
using qtsim::model::put_field;
using qtsim::model::sign_extend;

namespace {
constexpr int kLanes = 16, kLatency = 4;

struct Element {
  int64_t z;
  Dyadic d;
  int64_t id = 0;  // the residual form's second term (Dut::mid set)
};

struct Dut : qtsim::test::VerilatedDut<Vqtsim_requant_l16> {
  // Streams `elems` through, kLanes per beat; returns the results and the cycles until the last one left.
  const Dyadic* mid = nullptr;  // residual form: id rounded with this multiplier and added before the clamp
  int op = 0;                   // op_i: 0 requant, 1 binarize, 2 affine, 3 mask (m and id lanes as operands)
  std::vector<int64_t> run(const std::vector<Element>& elems, Rounding r, int bits, int64_t* cycles = nullptr) {
    top->half_up_i = r == Rounding::half_up;
    top->bits_i = static_cast<uint8_t>(bits);
    top->add_i = mid != nullptr;
    top->op_i = static_cast<uint8_t>(op);
    if (mid) top->mid_m_i = static_cast<uint32_t>(mid->m), top->mid_e_i = static_cast<uint8_t>(mid->e);
    top->ready_i = 1;  // a consumer always ready (back-pressure: test_rtl_units.cpp)
    top->eval();
    std::vector<int64_t> out;
    size_t next = 0;
    int64_t t = 0;
    while (out.size() < elems.size()) {
      top->valid_i = next < elems.size();
      top->lane_en_i = 0;
      for (int l = 0; l < kLanes && next < elems.size(); ++l, ++next) {
        top->lane_en_i |= 1u << l;
        put_field(top->z_i, 64 * l, 64, static_cast<uint64_t>(elems[next].z));
        put_field(top->m_i, 32 * l, 32, static_cast<uint32_t>(elems[next].d.m));
        put_field(top->e_i, 6 * l, 6, static_cast<uint64_t>(elems[next].d.e));
        put_field(top->id_i, 64 * l, 64, static_cast<uint64_t>(elems[next].id));
      }
      clock();
      ++t;
      if (top->valid_o)
        for (int l = 0; l < kLanes; ++l)
          if ((top->lane_en_o >> l) & 1) out.push_back(sign_extend(get_field(top->q_o, 96 * l, 64), 64));
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

TEST_CASE("requant RTL takes the int64 accumulators of group-wise INT4 GEMMs: products of 94 bits, ties", "[rtl][requant][group4]") {
  Dut dut;
  uint64_t st = 43;
  for (int bits : {8, 16, 40})  // 40: no clamp, the rounded value itself
    for (const Rounding r : {Rounding::half_even, Rounding::half_up}) {
      std::vector<Element> elems;
      for (int i = 0; i < 5001; ++i) {
        const int64_t mag = (int64_t{1} << 30) + static_cast<int64_t>(splitmix64(st) % (int64_t{1} << 30));
        const auto z = static_cast<int64_t>(splitmix64(st)) >> (i % 40);  // every magnitude up to 2^63
        elems.push_back({z, {(splitmix64(st) & 1) ? mag : -mag, 1 + static_cast<int>(splitmix64(st) % 62)}});
      }
      for (int64_t z : {INT64_MAX, INT64_MIN, INT64_MIN + 1, (int64_t{1} << 40) + (int64_t{1} << 20), -(int64_t{1} << 40) - (int64_t{1} << 20)})
        elems.push_back({z, {int64_t{1} << 30, 51}});  // the last two: exact ties at 2^-51 steps
      const std::vector<int64_t> got = dut.run(elems, r, bits), expect = golden_of(elems, r, bits);
      for (size_t i = 0; i < elems.size(); ++i) {
        INFO("z " << elems[i].z << " m " << elems[i].d.m << " e " << elems[i].d.e << " bits " << bits);
        REQUIRE(got[i] == expect[i]);
      }
    }
}

TEST_CASE("requant RTL residual form equals golden's requant_add_element: two terms rounded apart, one clamp", "[rtl][requant]") {
  Dut dut;
  uint64_t st = 7;
  for (const Dyadic mid : {Dyadic{1518500250, 31}, Dyadic{-1073741824, 30}, Dyadic{1999999999, 45}, Dyadic{1, 1}})
    for (int bits : {8, 16, 32})
      for (const Rounding r : {Rounding::half_even, Rounding::half_up}) {
        dut.mid = &mid;
        std::vector<Element> elems;
        for (int i = 0; i < 5003; ++i) {
          const Dyadic d{static_cast<int64_t>(splitmix64(st) % (int64_t{1} << 31)), 1 + static_cast<int>(splitmix64(st) % 50)};
          elems.push_back({static_cast<int32_t>(splitmix64(st)), d, static_cast<int32_t>(splitmix64(st))});
        }
        for (int64_t v : {-3, -1, 1, 3, 32767, -32768}) elems.push_back({v, {int64_t{1} << 30, 31}, v});  // ties in both terms
        Requant q;
        q.bits = bits, q.rounding = r;
        std::vector<int64_t> expect;
        for (const auto& e : elems) {
          q.mult = {e.d};
          expect.push_back(requant_add_element(e.z, q, e.id, mid, 0));
        }
        REQUIRE(dut.run(elems, r, bits) == expect);
      }
}

TEST_CASE("post-processing RTL element ops equal golden's binarize, affine and mask values", "[rtl][requant]") {
  Dut dut;
  uint64_t st = 11;
  std::vector<Element> elems;
  for (int i = 0; i < 4001; ++i) {
    const auto r32 = [&] { return static_cast<int64_t>(static_cast<int32_t>(splitmix64(st))); };
    elems.push_back({r32() >> (i % 24), {r32() >> (i % 17), 1}, r32()});
  }
  for (int64_t v : {-5, 0, 5}) elems.push_back({v, {-v, 1}, 0}), elems.push_back({v, {v, 1}, 0});  // x + beta = 0, x == threshold
  for (int op : {1, 2, 3}) {
    INFO("op " << op);
    dut.op = op;
    std::vector<int64_t> expect;
    for (const auto& e : elems)
      expect.push_back(op == 1 ? binarize_value(e.z, e.d.m) : op == 2 ? affine_value(e.z, e.d.m, e.id) : mask_value(e.z, e.d.m));
    int64_t cycles = 0;
    REQUIRE(dut.run(elems, Rounding::half_even, 8, &cycles) == expect);
    CHECK(cycles == (static_cast<int64_t>(elems.size()) + kLanes - 1) / kLanes + kLatency);
  }
}

TEST_CASE("post-processing RTL log-sqrt2 codes equal golden's comparator bank for every probability and width", "[rtl][requant][logsqrt2]") {
  Dut dut;
  dut.op = 4;
  auto load = [&](const std::vector<int64_t>& th) {
    for (size_t j = 0; j < th.size(); ++j) put_field(dut.top->th_i, 32 * static_cast<int>(j), 32, static_cast<uint32_t>(th[j]));
    dut.top->th_n_i = static_cast<uint8_t>(th.size());
  };
  auto check = [&](const std::vector<int64_t>& th, const std::vector<int64_t>& probs) {
    load(th);
    std::vector<Element> elems;
    std::vector<int64_t> expect;
    for (int64_t p : probs) elems.push_back({p, {0, 1}}), expect.push_back(logsqrt2_code_int(p, th));
    int64_t cycles = 0;
    REQUIRE(dut.run(elems, Rounding::half_even, 8, &cycles) == expect);
    CHECK(cycles == (static_cast<int64_t>(elems.size()) + kLanes - 1) / kLanes + kLatency);
  };
  // Shiftmax probabilities are uint16 at 2^-15: every one of them, and a few outside, at every code width
  std::vector<int64_t> probs;
  for (int64_t p = -3; p <= 32770; ++p) probs.push_back(p);
  for (int bits = 2; bits <= kLogSqrt2MaxBits; ++bits)
    for (float delta : {1.0f, 0.37f, 0.004f}) {
      INFO("bits " << bits << ", delta " << delta);
      check(logsqrt2_thresholds(delta, bits), probs);
    }
  // The bank's rule (the first threshold exceeded) holds for any thresholds, not only decreasing ones
  uint64_t st = 3;
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<int64_t> th(static_cast<size_t>(1 + splitmix64(st) % 64)), p(500);
    for (auto& t : th) t = static_cast<int64_t>(splitmix64(st) % 4000) - 100;
    for (auto& x : p) x = static_cast<int64_t>(splitmix64(st) % 4200) - 150;
    check(th, p);
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

TEST_CASE("Verilator port fields: sign extension and fields across 32-bit word boundaries", "[rtl][ports]") {
  CHECK(sign_extend(0xFF, 8) == -1);
  CHECK(sign_extend(0x80, 8) == -128);
  CHECK(sign_extend(0x7F, 8) == 127);
  CHECK(sign_extend(0x1FF, 8) == -1);  // bits above the width are ignored
  CHECK(sign_extend(0x8000000000000000ull, 64) == INT64_MIN);
  CHECK(sign_extend(0xFFFFFFFF80000000ull, 64) == -2147483648LL);  // 2^64 - 0xFFFFFFFF80000000 = 2^31
  uint32_t words[3] = {0, 0, 0};
  put_field(words, 26, 12, 0xABC);  // straddles words 0 and 1
  CHECK(get_field(words, 26, 12) == 0xABC);
  CHECK(words[0] == 0xF0000000u);
  CHECK(words[1] == 0x2Au);
  put_field(words, 60, 6, 0x3F);
  CHECK(get_field(words, 26, 12) == 0xABC);
  CHECK(sign_extend(get_field(words, 60, 6), 6) == -1);
}

TEST_CASE("Verilator port fields equal a bit-by-bit reference for every offset and width", "[rtl][ports]") {
  // The oracle sets and reads one bit at a time; put_field/get_field move word pieces.
  uint64_t seed = 9;
  for (int width = 1; width <= 64; ++width)
    for (int offset = 0; offset + width <= 160; offset += 3) {
      uint32_t fast[5], slow[5];
      for (int i = 0; i < 5; ++i) fast[i] = slow[i] = static_cast<uint32_t>(qtsim::golden::splitmix64(seed));
      const uint64_t v = qtsim::golden::splitmix64(seed);
      put_field(fast, offset, width, v);
      for (int b = 0; b < width; ++b) {
        const int bit = offset + b;
        if ((v >> b) & 1) slow[bit / 32] |= 1u << (bit % 32);
        else slow[bit / 32] &= ~(1u << (bit % 32));
      }
      INFO("offset " << offset << " width " << width);
      for (int i = 0; i < 5; ++i) REQUIRE(fast[i] == slow[i]);
      uint64_t back = 0;
      for (int b = 0; b < width; ++b) back |= static_cast<uint64_t>((slow[(offset + b) / 32] >> ((offset + b) % 32)) & 1) << b;
      REQUIRE(get_field(fast, offset, width) == back);
    }
}
