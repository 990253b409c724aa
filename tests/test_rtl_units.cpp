// The Verilated nonlinear units inside their clocked units: every element bit-exact against golden's
// operators, and every job exactly as many cycles as the SystemC unit's (itself held to the closed forms
// of docs/cycle-model.md in test_model_units.cpp), on odd lengths, extreme scales and saturating rows. The
// post-processing lanes' valid/ready streams under bubbles and back-pressure: hand-derived cycle counts, and
// SystemC and RTL paced alike by random producers and consumers.
#include <catch2/catch.hpp>
#include <systemc>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "golden/gemm_group4.hpp"
#include "golden/ilayernorm.hpp"
#include "golden/quantize.hpp"
#include "golden/shiftgelu.hpp"
#include "golden/shiftmax.hpp"
#include "models/units/row_units.hpp"
#include "models/verilated/rtl_group4_fold.hpp"
#include "models/verilated/rtl_requant_unit.hpp"
#include "models/verilated/rtl_row_units.hpp"
#include "models/verilated/rtl_shift_add.hpp"
#include "models/verilated/verilated_unit.hpp"

using namespace qtsim;

namespace {
golden::ITensor random_rows(int64_t rows, int64_t len, int64_t lo, int64_t hi, uint64_t seed) {
  golden::ITensor t({rows, len});
  for (auto& v : t.data) v = lo + static_cast<int64_t>(golden::splitmix64(seed) % static_cast<uint64_t>(hi - lo + 1));
  return t;
}

// Rows the generators above miss: constant rows, one hot maximum, the lane extremes.
std::vector<golden::ITensor> corner_rows(int64_t len, int64_t lo, int64_t hi) {
  golden::ITensor same({2, len}), hot({2, len}), ext({2, len});
  for (int64_t j = 0; j < len; ++j) {
    same[j] = lo, same[len + j] = hi;
    hot[j] = j == len / 2 ? hi : lo, hot[len + j] = j == len - 1 ? hi : 0;
    ext[j] = j % 2 ? hi : lo, ext[len + j] = j % 3 ? lo : hi;
  }
  return {same, hot, ext};
}

template <class SysC, class Rtl, class Params>
void same_job(SysC& sc, Rtl& rtl, const golden::ITensor& x, const Params& p, const golden::ITensor& expected) {
  golden::ITensor out_sc, out_rtl;
  rtl.start(x, p, out_rtl);
  const int64_t cycles_rtl = rtl.run_to_done();
  sc.start(x, p, out_sc);
  const int64_t cycles_sc = sc.run_to_done();
  REQUIRE(out_rtl.data == expected.data);
  CHECK(cycles_rtl == cycles_sc);
}

// A SystemC unit and its RTL at every lane count the build verilates (every module of this process made
// before the first run).
template <class Sc, class Rtl>
struct Pairs {
  std::vector<std::unique_ptr<Sc>> sc;
  std::vector<std::unique_ptr<Rtl>> rtl;
  Pairs() {
    for (int64_t lanes : model::rtl_lanes()) {
      sc.push_back(std::make_unique<Sc>(("sc" + std::to_string(lanes)).c_str(), lanes));
      rtl.push_back(std::make_unique<Rtl>(("rtl" + std::to_string(lanes)).c_str(), lanes));
    }
  }
  // f(sc, rtl) for every lane count.
  template <class F>
  void each(F f) {
    for (size_t i = 0; i < sc.size(); ++i) {
      INFO("lanes " << sc[i]->lanes());
      f(*sc[i], *rtl[i]);
    }
  }
};
}  // namespace

TEST_CASE("Shiftmax RTL: golden's values and the SystemC unit's cycles", "[model][rtl][shiftmax]") {
  Pairs<model::ShiftmaxUnit, model::RtlShiftmaxUnit> units;
  units.each([&](auto& sc, auto& rtl) {
    for (int64_t len : {1, 15, 16, 17, 50, 197})
      for (float scale : {0.0007f, 0.05f, 0.3f, 4.0f})  // x0 from -1429 to -1
        for (int out_bits : {16, 8})
          for (auto num : {golden::Numerator::pow2_31, golden::Numerator::pow2_31_minus_1}) {
            INFO("len " << len << " scale " << scale << " out_bits " << out_bits << " numerator " << static_cast<int>(num));
            golden::ShiftmaxParams p;
            p.scale = scale, p.out_bits = out_bits, p.numerator = num;
            const golden::ITensor x = random_rows(3, len, -128, 127, static_cast<uint64_t>(len * 7 + out_bits));
            same_job(sc, rtl, x, p, golden::shiftmax(x, p));
            for (const golden::ITensor& c : corner_rows(len, -128, 127)) same_job(sc, rtl, c, p, golden::shiftmax(c, p));
            // 16-bit logits: long exponent ranges, the 15 x0 clamp
            const golden::ITensor w = random_rows(2, len, -32768, 32767, static_cast<uint64_t>(len + 99));
            same_job(sc, rtl, w, p, golden::shiftmax(w, p));
          }
  });
}

TEST_CASE("ShiftGELU RTL: golden's values and the SystemC unit's cycles", "[model][rtl][shiftgelu]") {
  Pairs<model::ShiftGeluUnit, model::RtlShiftGeluUnit> units;
  units.each([&](auto& sc, auto& rtl) {
    for (int64_t len : {1, 15, 16, 17, 50, 192})
      for (float scale : {0.0004f, 0.02f, 0.3f, 5.0f})
        for (auto num : {golden::Numerator::pow2_31, golden::Numerator::pow2_31_minus_1}) {
          INFO("len " << len << " scale " << scale << " numerator " << static_cast<int>(num));
          golden::ShiftGeluParams p;
          p.scale = scale, p.numerator = num;
          const golden::ITensor x = random_rows(3, len, -128, 127, static_cast<uint64_t>(len * 5 + 1));
          same_job(sc, rtl, x, p, golden::shiftgelu(x, p));
          for (const golden::ITensor& c : corner_rows(len, -128, 127)) same_job(sc, rtl, c, p, golden::shiftgelu(c, p));
          // all-negative rows: e^-max with d > 0, saturating for large |max|
          const golden::ITensor neg = random_rows(2, len, -32768, -1, static_cast<uint64_t>(len + 3));
          same_job(sc, rtl, neg, p, golden::shiftgelu(neg, p));
          const golden::ITensor w = random_rows(2, len, -32768, 32767, static_cast<uint64_t>(len + 5));
          same_job(sc, rtl, w, p, golden::shiftgelu(w, p));
        }
  });
}

TEST_CASE("I-LayerNorm RTL: golden's values and the SystemC unit's cycles", "[model][rtl][ilayernorm]") {
  Pairs<model::ILayerNormUnit, model::RtlILayerNormUnit> units;
  units.each([&](auto& sc, auto& rtl) {
    for (int64_t len : {1, 2, 15, 16, 17, 96, 192, 385})
      for (auto num : {golden::Numerator::pow2_31, golden::Numerator::pow2_31_minus_1}) {
        INFO("len " << len << " numerator " << static_cast<int>(num));
        golden::ILayerNormParams p;
        p.numerator = num;
        uint64_t st = static_cast<uint64_t>(len);
        for (int64_t c = 0; c < len; ++c) {  // gammas of both signs; biases up to 0.4 x 2^30 (int32 after golden's scaling)
          const double u = static_cast<double>(golden::splitmix64(st) % 2000) / 1000.0 - 1.0;
          p.gamma.push_back(static_cast<float>(u >= 0 ? 0.5 + u : u - 0.5));
          p.beta.push_back(static_cast<float>(static_cast<double>(golden::splitmix64(st) % 2000) / 5000.0 - 0.2));
        }
        const golden::ITensor x = random_rows(3, len, -128, 127, static_cast<uint64_t>(len * 3 + 1));
        same_job(sc, rtl, x, p, golden::ilayernorm(x, p));
        // the residual stream's int16 range: variances up to 2^30 x len, sums of both signs (mean rounding)
        const golden::ITensor w = random_rows(3, len, -32768, 32767, static_cast<uint64_t>(len + 17));
        same_job(sc, rtl, w, p, golden::ilayernorm(w, p));
        // constant rows (var = 0: the Newton steps halve 2^16 to 64), extremes, a single hot channel
        for (const golden::ITensor& c : corner_rows(len, -32768, 32767)) same_job(sc, rtl, c, p, golden::ilayernorm(c, p));
        // sums that are exact ties of the mean's rounding: x = j for an even-length row gives (len - 1) / 2
        golden::ITensor ramp({1, len});
        for (int64_t j = 0; j < len; ++j) ramp[j] = j - len;
        same_job(sc, rtl, ramp, p, golden::ilayernorm(ramp, p));
      }
  });
}

TEST_CASE("shift-add RTL: golden's log-sqrt2 attn @ v and the SystemC unit's cycles", "[model][rtl][logsqrt2]") {
  Pairs<model::ShiftAddUnit, model::RtlShiftAdd> units;
  units.each([&](auto& sc, auto& rtl) {
    struct Shape {
      int64_t h, m, t, d;
    };
    // one output; a group exactly; odd shapes with a partial last group; one key; DeiT-Tiny's head size
    for (const Shape& s : {Shape{1, 1, 1, 1}, Shape{1, 2, 3, 8}, Shape{2, 5, 7, 9}, Shape{3, 4, 1, 5}, Shape{1, 3, 40, 64}})
      for (int bits = 2; bits <= golden::kLogSqrt2MaxBits; ++bits) {
        INFO("H " << s.h << " M " << s.m << " T " << s.t << " D " << s.d << " bits " << bits);
        uint64_t seed = static_cast<uint64_t>(s.m * 100 + s.d * 10 + bits);
        golden::ITensor codes({s.h, s.m, s.t}), vt({s.h, s.d, s.t}), v({s.h, s.t, s.d});
        for (auto& q : codes.data) q = static_cast<int64_t>(golden::splitmix64(seed) % static_cast<uint64_t>((int64_t{1} << bits) + 1)) - 1;
        for (auto& x : vt.data) x = static_cast<int64_t>(golden::splitmix64(seed) % 256) - 128;
        if (s.t > 1) vt[0] = -128, codes[0] = 0;  // the widest term: -128 << 2^(bits-1)
        for (int64_t i = 0; i < s.h; ++i)
          for (int64_t c = 0; c < s.d; ++c)
            for (int64_t j = 0; j < s.t; ++j) v[(i * s.t + j) * s.d + c] = vt[(i * s.d + c) * s.t + j];
        const golden::LogSqrt2Acc ref = golden::logsqrt2_attn_v(codes, v, bits);
        golden::ITensor even_rtl, odd_rtl, even_sc, odd_sc;
        rtl.start({&codes, &vt, bits}, even_rtl, odd_rtl);
        const int64_t cycles_rtl = rtl.run_to_done();
        sc.start({&codes, &vt, bits}, even_sc, odd_sc);
        const int64_t cycles_sc = sc.run_to_done();
        REQUIRE(even_rtl.data == ref.even.data);
        REQUIRE(odd_rtl.data == ref.odd.data);
        CHECK(cycles_rtl == cycles_sc);
      }
    const golden::ITensor codes({1, 1, 1}, {0}), wide({1, 1, 1}, {200});
    golden::ITensor even, odd;
    CHECK_THROWS_WITH(rtl.start({&codes, &wide, 4}, even, odd), Catch::Contains("int8 values, got 200"));
  });
}

TEST_CASE("row-unit RTL rejects inputs wider than its lanes", "[model][rtl]") {
  model::RtlShiftmaxUnit rtl("rtl", 16);
  golden::ITensor out;
  CHECK_THROWS_WITH(rtl.start(golden::ITensor({1, 2}, {0, 40000}), golden::ShiftmaxParams{}, out), Catch::Contains("16-bit"));
  CHECK_THAT(model::rtl_lanes_unsupported("Shiftmax", 8), Catch::Contains("built for 16, 32 lanes, not 8") && Catch::Contains("QTSIM_RTL_LANES"));
  CHECK(model::rtl_lanes_unsupported("Shiftmax", 32).empty());
}

namespace {
// A deterministic coin per cycle: true with `percent` probability, the same for every unit given the cycle.
std::function<bool(int64_t)> coin(uint64_t seed, int percent) {
  return [seed, percent](int64_t t) {
    uint64_t s = seed ^ (static_cast<uint64_t>(t) * 0x9E3779B97F4A7C15ull);
    return static_cast<int>(golden::splitmix64(s) % 100) < percent;
  };
}

// Cycles and values of a requant stream of `n` elements on the SystemC post-processing unit and on its RTL,
// both paced by `pace`; the values must be golden's.
struct RequantRun {
  int64_t sc = 0, rtl = 0;
};
RequantRun requant_paced(model::Ppu& sc, model::RtlRequantUnit& rtl, int64_t n, const model::StreamPace& pace, uint64_t seed) {
  golden::ITensor z({n});
  for (auto& v : z.data) v = static_cast<int64_t>(golden::splitmix64(seed) % 2000001) - 1000000;
  golden::Requant q;
  q.mult.push_back({static_cast<int64_t>(1000 + 977 * (seed % 7)), 12 + static_cast<int>(seed % 7)});
  golden::ITensor expected(z.shape), out_sc(z.shape), out_rtl;
  for (int64_t i = 0; i < n; ++i) expected[i] = golden::requant_element(z[i], q, 0);
  sc.set_pace(pace), rtl.set_pace(pace);
  RequantRun r;
  rtl.start(z, q, out_rtl);
  r.rtl = rtl.run_to_done();
  sc.start(n, [&](int64_t i) { return golden::requant_element(z[i], q, 0); }, out_sc.data.data());
  r.sc = sc.run_to_done();
  REQUIRE(out_rtl.data == expected.data);
  REQUIRE(out_sc.data == expected.data);
  sc.set_pace({}), rtl.set_pace({});
  return r;
}
}  // namespace

TEST_CASE("post-processing stream, requant: back-pressure and bubbles cost the closed-form cycles in SystemC and RTL alike",
          "[model][rtl][stream]") {
  Pairs<model::Ppu, model::RtlRequantUnit> units;
  units.each([&](auto& sc, auto& rtl) {
    const int64_t lanes = sc.lanes();
    for (int64_t n : {int64_t{1}, lanes, 5 * lanes + 3}) {
      const int64_t b = (n + lanes - 1) / lanes;
      INFO("elements " << n << " beats " << b);
      // The ends always ready: B + 4.
      RequantRun r = requant_paced(sc, rtl, n, {}, 1);
      CHECK(r.sc == b + 4);
      CHECK(r.rtl == b + 4);
      // A consumer taking a result every other cycle (odd cycles): beat j leaves in cycle 5 + 2j, so 2B + 4.
      r = requant_paced(sc, rtl, n, {nullptr, [](int64_t t) { return t % 2 == 1; }}, 2);
      CHECK(r.sc == 2 * b + 4);
      CHECK(r.rtl == 2 * b + 4);
      // A producer offering a beat every third cycle: the last enters in cycle 3(B - 1), so 3B + 2.
      r = requant_paced(sc, rtl, n, {[](int64_t t) { return t % 3 == 0; }, nullptr}, 3);
      CHECK(r.sc == 3 * b + 2);
      CHECK(r.rtl == 3 * b + 2);
      // The consumer refusing while nothing waits (the first four cycles) costs nothing.
      r = requant_paced(sc, rtl, n, {nullptr, [](int64_t t) { return t >= 4; }}, 4);
      CHECK(r.sc == b + 4);
      CHECK(r.rtl == b + 4);
      // Refusing for w cycles from cycle 4, while results wait, stalls the whole pipeline w cycles: B + 4 + w.
      for (int64_t w : {1, 3, 10}) {
        r = requant_paced(sc, rtl, n, {nullptr, [w](int64_t t) { return t < 4 || t >= 4 + w; }}, 5);
        CHECK(r.sc == b + 4 + w);
        CHECK(r.rtl == b + 4 + w);
      }
    }
    // Random bubbles and back-pressure: the same cycles, golden's values (checked inside).
    for (uint64_t seed = 1; seed <= 12; ++seed) {
      const int in = 30 + static_cast<int>(seed * 5), out = 25 + static_cast<int>(seed * 6);
      INFO("seed " << seed << " producer " << in << "% consumer " << out << "%");
      const RequantRun r = requant_paced(sc, rtl, 4 * lanes + static_cast<int64_t>(seed), {coin(seed, in), coin(seed * 31, out)}, seed);
      CHECK(r.sc == r.rtl);
      CHECK(r.sc > (4 * lanes + static_cast<int64_t>(seed) + lanes - 1) / lanes + 4);
    }
  });
}

TEST_CASE("post-processing stream, shift-add: back-pressure bites only while a group's sums wait, in SystemC and RTL alike",
          "[model][rtl][stream][logsqrt2]") {
  Pairs<model::ShiftAddUnit, model::RtlShiftAdd> units;
  units.each([&](auto& sc, auto& rtl) {
    const int64_t h = 2, m = 3, t = 9, d = 11, bits = 4;
    uint64_t seed = 77;
    golden::ITensor codes({h, m, t}), vt({h, d, t}), v({h, t, d});
    for (auto& q : codes.data) q = static_cast<int64_t>(golden::splitmix64(seed) % 17) - 1;
    for (auto& x : vt.data) x = static_cast<int64_t>(golden::splitmix64(seed) % 256) - 128;
    for (int64_t i = 0; i < h; ++i)
      for (int64_t c = 0; c < d; ++c)
        for (int64_t j = 0; j < t; ++j) v[(i * t + j) * d + c] = vt[(i * d + c) * t + j];
    const golden::LogSqrt2Acc ref = golden::logsqrt2_attn_v(codes, v, bits);
    const int64_t groups = (h * m * d + sc.lanes() - 1) / sc.lanes();
    auto run = [&](const model::StreamPace& pace) {
      golden::ITensor even_rtl, odd_rtl, even_sc, odd_sc;
      sc.set_pace(pace), rtl.set_pace(pace);
      rtl.start({&codes, &vt, static_cast<int>(bits)}, even_rtl, odd_rtl);
      const int64_t cycles_rtl = rtl.run_to_done();
      sc.start({&codes, &vt, static_cast<int>(bits)}, even_sc, odd_sc);
      const int64_t cycles_sc = sc.run_to_done();
      sc.set_pace({}), rtl.set_pace({});
      REQUIRE(even_rtl.data == ref.even.data);
      REQUIRE(odd_rtl.data == ref.odd.data);
      REQUIRE(even_sc.data == ref.even.data);
      REQUIRE(odd_sc.data == ref.odd.data);
      CHECK(cycles_rtl == cycles_sc);
      return cycles_sc;
    };
    INFO("lanes " << sc.lanes() << " groups " << groups);
    CHECK(run({}) == groups * t + 4);
    // The first group's sums reach the last stage in cycle T + 3: a consumer refusing until then costs nothing,
    // and refusing until cycle X > T + 3 stalls X - T - 3 cycles.
    CHECK(run({nullptr, [&](int64_t c) { return c >= t + 3; }}) == groups * t + 4);
    for (int64_t x : {t + 4, t + 10})
      CHECK(run({nullptr, [&](int64_t c) { return c >= x; }}) == groups * t + 4 + (x - t - 3));
    // A producer offering a key every other cycle: the last enters in cycle 2(G T - 1), so 2 G T + 3.
    CHECK(run({[](int64_t c) { return c % 2 == 0; }, nullptr}) == 2 * groups * t + 3);
    for (uint64_t s = 1; s <= 6; ++s) run({coin(s, 60), coin(s * 7, 40)});
  });
}

TEST_CASE("post-processing stream, group-wise fold: back-pressure in SystemC and RTL alike, golden's 128-bit sums",
          "[model][rtl][stream][group4]") {
  Pairs<model::Ppu, model::RtlGroup4Fold> units;
  units.each([&](auto& sc, auto& rtl) {
    const int64_t m = 5, n = 13;
    uint64_t seed = 5;
    std::vector<int32_t> ps(static_cast<size_t>(m * (n + 1)));
    for (auto& x : ps) x = static_cast<int32_t>(golden::splitmix64(seed) % 200001) - 100000;
    std::vector<int64_t> zero(static_cast<size_t>(n)), mult(static_cast<size_t>(n));
    for (auto& x : zero) x = static_cast<int64_t>(golden::splitmix64(seed) % 4096) - 2048;
    for (auto& x : mult) x = static_cast<int64_t>(golden::splitmix64(seed) % 32768);
    std::vector<__int128> start(static_cast<size_t>(m * n));
    for (auto& x : start) x = static_cast<__int128>(golden::splitmix64(seed) % 1000000);
    std::vector<__int128> expected = start;  // golden's term summed in 128 bits
    for (int64_t i = 0; i < m * n; ++i)
      expected[static_cast<size_t>(i)] +=
          golden::group4_term(ps[static_cast<size_t>(i / n * (n + 1) + i % n)], ps[static_cast<size_t>(i / n * (n + 1) + n)], zero[static_cast<size_t>(i % n)],
                              mult[static_cast<size_t>(i % n)]);
    for (uint64_t s = 0; s <= 6; ++s) {
      INFO("seed " << s);
      const model::StreamPace pace = s == 0 ? model::StreamPace{} : model::StreamPace{coin(s, 50), coin(s * 3, 50)};
      std::vector<__int128> acc_rtl = start, acc_sc = start;
      std::vector<int64_t> out_rtl(static_cast<size_t>(m * n)), out_sc(static_cast<size_t>(m * n));
      const model::Group4Fold fold_rtl{m, n, ps.data(), zero.data(), mult.data(), acc_rtl.data(), out_rtl.data()};
      const model::Group4Fold fold_sc{m, n, ps.data(), zero.data(), mult.data(), acc_sc.data(), out_sc.data()};
      sc.set_pace(pace), rtl.set_pace(pace);
      rtl.start(fold_rtl, true);
      const int64_t cycles_rtl = rtl.run_to_done();
      sc.start(m * n, [&](int64_t i) { return golden::group4_narrow(acc_sc[static_cast<size_t>(i)] = fold_sc.folded(i)); }, out_sc.data());
      const int64_t cycles_sc = sc.run_to_done();
      sc.set_pace({}), rtl.set_pace({});
      CHECK(acc_rtl == expected);
      CHECK(acc_sc == expected);
      CHECK(out_rtl == out_sc);
      CHECK(cycles_rtl == cycles_sc);
      if (s == 0) CHECK(cycles_sc == (m * n + sc.lanes() - 1) / sc.lanes() + 4);
    }
  });
}
