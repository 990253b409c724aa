// The clocked post-processing and nonlinear units: every output equal to the golden operator, cycles equal
// to the closed forms, over odd lane counts, odd row lengths and corner rows.
#include <catch2/catch.hpp>
#include <memory>
#include <systemc>

#include "golden/quantize.hpp"
#include "golden/requant.hpp"
#include "models/units/row_units.hpp"

using namespace qtsim;
using golden::ITensor;

namespace {
ITensor random_ints(golden::Shape shape, int64_t lo, int64_t hi, uint64_t seed) {
  ITensor t(std::move(shape));
  for (auto& v : t.data) v = lo + static_cast<int64_t>(golden::splitmix64(seed) % static_cast<uint64_t>(hi - lo + 1));
  return t;
}

template <class Unit>
struct Units {
  std::vector<std::unique_ptr<Unit>> u;
  explicit Units(std::initializer_list<int64_t> lanes) {
    for (int64_t l : lanes) {
      u.push_back(std::make_unique<Unit>(("unit" + std::to_string(l)).c_str(), l));
    }
  }
};
}  // namespace

TEST_CASE("Shiftmax unit: golden values, closed-form cycles, saturating and one-hot rows", "[model][units][shiftmax]") {
  Units<model::ShiftmaxUnit> units({1, 3, 16});
  ITensor x = random_ints({2, 3, 49}, -128, 127, 1);
  for (int64_t j = 0; j < 49; ++j) x[j] = j == 7 ? 127 : -128;  // one-hot first row
  for (auto& unit : units.u) {
    for (const float scale : {0x1.2dp-4f, 1.0f / 2048}) {  // the second saturates the row sums (49 x 2^26)
      golden::ShiftmaxParams p;
      p.scale = scale;
      p.out_bits = 8;
      ITensor out;
      unit->start(x, p, out);
      const int64_t cycles = unit->run_to_done();
      REQUIRE(out.data == golden::shiftmax(x, p).data);
      CHECK(cycles == 6 * (3 * ((49 + unit->lanes() - 1) / unit->lanes()) + 32));
    }
  }
}

TEST_CASE("ShiftGELU unit: golden values and closed-form cycles, all-negative tokens", "[model][units][shiftgelu]") {
  Units<model::ShiftGeluUnit> units({1, 5, 16});
  ITensor x = random_ints({4, 37}, -128, 127, 2);
  for (int64_t j = 0; j < 37; ++j) x[j] = -100 - j % 20;  // a token with only negative channels
  for (auto& unit : units.u) {
    golden::ShiftGeluParams p;
    p.scale = 0.02f;
    ITensor out;
    unit->start(x, p, out);
    const int64_t cycles = unit->run_to_done();
    REQUIRE(out.data == golden::shiftgelu(x, p).data);
    CHECK(cycles == 4 * (2 * ((37 + unit->lanes() - 1) / unit->lanes()) + 32));
  }
}

TEST_CASE("I-LayerNorm unit: golden values and closed-form cycles, constant rows", "[model][units][ilayernorm]") {
  Units<model::ILayerNormUnit> units({1, 7, 16});
  ITensor x = random_ints({3, 50}, -20000, 20000, 3);
  for (int64_t j = 0; j < 50; ++j) x[50 + j] = -321;  // var = 0
  golden::ILayerNormParams p;
  for (int64_t j = 0; j < 50; ++j) p.gamma.push_back(0.5f + 0.01f * static_cast<float>(j)), p.beta.push_back(0.001f * static_cast<float>(j));
  for (auto& unit : units.u) {
    ITensor out;
    unit->start(x, p, out);
    const int64_t cycles = unit->run_to_done();
    REQUIRE(out.data == golden::ilayernorm(x, p).data);
    CHECK(cycles == 3 * (3 * ((50 + unit->lanes() - 1) / unit->lanes()) + 12 * 32));
  }
}

namespace {
// v [H, T, D] from v^T [H, D, T], the golden's layout for the shift-add sums.
ITensor untranspose(const ITensor& vt) {
  const int64_t h = vt.shape[0], d = vt.shape[1], t = vt.shape[2];
  ITensor v({h, t, d});
  for (int64_t i = 0; i < h; ++i)
    for (int64_t c = 0; c < d; ++c)
      for (int64_t j = 0; j < t; ++j) v[(i * t + j) * d + c] = vt[(i * d + c) * t + j];
  return v;
}
}  // namespace

TEST_CASE("post-processing unit, shift-add mode: golden's log-sqrt2 attn @ v, one key per cycle per group of lanes",
          "[model][units][ppu][logsqrt2]") {
  Units<model::ShiftAddUnit> units({1, 3, 16});
  for (auto& unit : units.u)
    for (int bits = 2; bits <= golden::kLogSqrt2MaxBits; ++bits) {
      INFO("lanes " << unit->lanes() << ", bits " << bits);
      // 2 heads, 5 query rows, 7 keys, 9 columns: 90 outputs, a partial last group at 16 lanes
      const ITensor codes = random_ints({2, 5, 7}, golden::kLogZero, (int64_t{1} << bits) - 1, static_cast<uint64_t>(bits));
      const ITensor vt = random_ints({2, 9, 7}, -128, 127, static_cast<uint64_t>(bits + 50));
      ITensor even, odd;
      unit->start({&codes, &vt, bits}, even, odd);
      const int64_t cycles = unit->run_to_done();
      const golden::LogSqrt2Acc ref = golden::logsqrt2_attn_v(codes, untranspose(vt), bits);
      REQUIRE(even.data == ref.even.data);
      REQUIRE(odd.data == ref.odd.data);
      CHECK(cycles == (90 + unit->lanes() - 1) / unit->lanes() * 7 + 4);
    }
  const ITensor bad = ITensor({1, 1, 1}, {4}), vt = ITensor({1, 1, 1}, {1});
  ITensor even, odd;
  CHECK_THROWS_WITH(units.u[0]->start({&bad, &vt, 2}, even, odd), Catch::Contains("code 4 outside -1..3"));
}

TEST_CASE("post-processing unit: requant and residual add element by element", "[model][units][ppu]") {
  Units<model::Ppu> units({1, 16, 13});
  const ITensor z = random_ints({5, 48}, -300000, 300000, 4), id = random_ints({5, 48}, -30000, 30000, 5);
  golden::Requant q{{}, 1, 8, golden::Rounding::half_even};
  for (int64_t c = 0; c < 48; ++c) q.mult.push_back(golden::dyadic_from_ratio(1e-4 * static_cast<double>(c + 1)));
  const golden::Dyadic mid = golden::dyadic_from_ratio(0.01);
  for (auto& unit : units.u) {
    ITensor out(z.shape);
    unit->start(z.size(), [&](int64_t i) { return golden::requant_element(z[i], q, i % 48); }, out.data.data());
    CHECK(unit->run_to_done() == (240 + unit->lanes() - 1) / unit->lanes() + 4);
    REQUIRE(out.data == golden::requant(z, q).data);
    unit->start(z.size(), [&](int64_t i) { return golden::requant_add_element(z[i], q, id[i], mid, i % 48); }, out.data.data());
    unit->run_to_done();
    REQUIRE(out.data == golden::requant_add(z, q, id, {mid}).data);
  }
}
