// Shiftmax, ShiftGELU and I-LayerNorm: closed forms of corner cases, the spec's worked numbers, and error
// bounds against float math derived from the approximations (docs/accuracy.md).
#include <catch2/catch.hpp>
#include <cmath>

#include "golden/encoder.hpp"
#include "golden/float_ops.hpp"
#include "golden/ilayernorm.hpp"
#include "golden/shiftgelu.hpp"
#include "golden/quantize.hpp"
#include "golden/shiftmax.hpp"

using namespace qtsim::golden;

namespace {
ITensor random_ints(Shape shape, int64_t lo, int64_t hi, uint64_t seed) {
  ITensor t(std::move(shape));
  uint64_t st = seed;
  for (auto& v : t.data) v = lo + static_cast<int64_t>(splitmix64(st) % static_cast<uint64_t>(hi - lo + 1));
  return t;
}
}  // namespace

TEST_CASE("Shiftmax of an all-equal row is the closed form", "[golden][shiftmax]") {
  ShiftmaxParams p;
  p.scale = 0.07f;  // x0 = floor(-14.28..) = -15
  const int64_t x0 = shift_exp_x0(p.scale);
  REQUIRE(x0 == -15);
  for (int64_t len : {1, 2, 3, 49, 197}) {
    const ITensor x({len}, std::vector<int64_t>(static_cast<size_t>(len), 17));
    const int64_t e = -x0 << 15;  // d = 0: (0 - 2 x0) * 2^14
    const int64_t f = (int64_t{1} << 31) / (len * e);
    const ITensor out = shiftmax(x, p);
    for (int64_t v : out.data) REQUIRE(v == (e * f) >> 16);
  }
}

TEST_CASE("Shiftmax of a one-element row is 2^15 exactly when the exp divides 2^31", "[golden][shiftmax]") {
  ShiftmaxParams p;
  p.scale = 1.0f / 16;  // x0 = -16, exp = 16 * 2^15 = 2^19
  CHECK(shiftmax(ITensor({1}, {5}), p).data[0] == 32768);
  p.numerator = Numerator::pow2_31_minus_1;  // floor((2^31-1)/2^19) = 4095
  CHECK(shiftmax(ITensor({1}, {5}), p).data[0] == (int64_t{4095} << 19) >> 16);
}

TEST_CASE("Shiftmax and ShiftGELU take the scales whose x0 fits the 32-bit field, and refuse the rest", "[golden][shiftmax]") {
  // x0 = floor(-1/s) is what the instruction and the RTL's x0 port carry in 32 signed bits: s = 2^-31 gives
  // x0 = -2^31 exactly, the most negative that fits; an infinite scale would give x0 = 0, the divisor of the
  // exponent's split.
  ShiftmaxParams p;
  p.scale = std::ldexp(1.0f, -31);
  CHECK(shift_exp_x0(p.scale) == -(int64_t{1} << 31));
  CHECK_NOTHROW(shiftmax(ITensor({2}, {3, -3}), p));
  for (float bad : {std::ldexp(1.0f, -32), 0.0f, -1.0f, INFINITY, NAN}) {
    p.scale = bad;
    CHECK_THROWS_AS(shiftmax(ITensor({2}, {3, -3}), p), std::invalid_argument);
  }
  ShiftGeluParams g;
  g.scale = 3e38f;  // finite, but its sigmoid scale 1.702 s is not
  CHECK_THROWS_WITH(shiftgelu(ITensor({2}, {3, -3}), g), Catch::Contains("1.702"));
  g.scale = 1e38f;
  CHECK_NOTHROW(shiftgelu(ITensor({2}, {3, -3}), g));
}

TEST_CASE("the row operators refuse a 0-d tensor instead of reading its missing last axis", "[golden][shiftmax]") {
  ShiftmaxParams p;
  p.scale = 0.1f;
  CHECK_THROWS_WITH(shiftmax(ITensor({}, {5}), p), Catch::Contains("non-empty last axis"));
  CHECK_THROWS_WITH(ilayernorm(ITensor({}, {5}), ILayerNormParams{}), Catch::Contains("non-empty last axis"));
}

TEST_CASE("Shiftmax of a one-hot row sends the small entries to the clamp", "[golden][shiftmax]") {
  ShiftmaxParams p;
  p.scale = 0x1.2dp-4f;  // x0 = -14
  const ITensor x({4}, {127, -128, -128, -128});
  ShiftmaxTaps taps;
  const ITensor out = shiftmax(x, p, &taps);
  // d' = -255 - 127 + 15 = -367 is above the clamp n*x0 = -210? No: -367 < -210, so d' = -210, q = 15, r = 0,
  // exp = (0 + 28) >> 1 = 14.
  CHECK(taps.exp.data == std::vector<int64_t>{14 << 15, 14, 14, 14});
  const int64_t f = (int64_t{1} << 31) / ((14 << 15) + 42);
  CHECK(out.data[0] == ((int64_t{14} << 15) * f) >> 16);
  CHECK(out.data[1] == (14 * f) >> 16);
}

TEST_CASE("Shiftmax row sums saturate at 2^31-1", "[golden][shiftmax]") {
  ShiftmaxParams p;
  p.scale = 1.0f / 1024;  // x0 = -1024, exp at d = 0 is 2^25; 197 of them exceed 2^31
  const ITensor out = shiftmax(ITensor({197}, std::vector<int64_t>(197, 3)), p);
  // factor = floor(2^31 / (2^31 - 1)) = 1, out = 2^25 >> 16 = 512 (the documented upward bias)
  for (int64_t v : out.data) REQUIRE(v == 512);
  p.numerator = Numerator::pow2_31_minus_1;  // factor 1 again
  CHECK(shiftmax(ITensor({197}, std::vector<int64_t>(197, 3)), p).data[0] == 512);
}

TEST_CASE("Shiftmax tracks softmax within the shift-exp approximation bound", "[golden][shiftmax]") {
  // 2^r ~ 1 + r/2 on r in (-1, 0] is off by at most 6.1% relative; log2(e) ~ 1.4375 shrinks exponents by
  // 0.36% (3.7% relative at |d s| = 10). Ratios of two such errors: p' / p in [0.83, 1.2], plus 2^-15 flooring.
  ShiftmaxParams p;
  p.scale = 0.08f;  // logits span +-10
  const ITensor x = random_ints({64, 197}, -127, 127, 7);
  const FTensor ref = softmax(dequantize(x, p.scale));
  const ITensor out = shiftmax(x, p);
  for (int64_t i = 0; i < out.size(); ++i) {
    const double got = static_cast<double>(out[i]) / 32768.0;
    REQUIRE(std::fabs(got - ref[i]) <= 0.2 * ref[i] + 2.0 / 32768);
  }
}

TEST_CASE("ShiftGELU of zero is 64/128 with numerator 2^31 and 63 with 2^31-1", "[golden][shiftgelu]") {
  ShiftGeluParams p;
  p.scale = 0.35f;  // sigmoid scale 0.5957: x0 = floor(-1.68) = -2, sum = 2^25, a power of two
  REQUIRE(shift_exp_x0(p.sigmoid_scale()) == -2);
  ShiftGeluTaps taps;
  shiftgelu(ITensor({4}, {0, 0, 0, 0}), p, &taps);
  CHECK(taps.sigmoid.data == std::vector<int64_t>{64, 64, 64, 64});
  p.numerator = Numerator::pow2_31_minus_1;
  shiftgelu(ITensor({4}, {0, 0, 0, 0}), p, &taps);
  CHECK(taps.sigmoid.data == std::vector<int64_t>{63, 63, 63, 63});
}

TEST_CASE("ShiftGELU tracks GELU within the sigmoid approximation bound", "[golden][shiftgelu]") {
  // x*sigmoid(1.702x) differs from GELU by at most 0.021; the shift-exp sigmoid by at most 6.1% of
  // sigmoid's value relative, and the 2^-7 sigmoid grid by 1/128: |err| <= 0.021 + (0.061 + 1/128) |x|.
  ShiftGeluParams p;
  p.scale = 0.05f;
  const ITensor x = random_ints({32, 768}, -128, 127, 11);
  const FTensor xf = dequantize(x, p.scale);
  const FTensor ref = gelu(xf);
  const ITensor out = shiftgelu(x, p);
  for (int64_t i = 0; i < out.size(); ++i) {
    const double got = static_cast<double>(out[i]) * p.scale / 128.0;
    REQUIRE(std::fabs(got - ref[i]) <= 0.021 + (0.061 + 1.0 / 128) * std::fabs(xf[i]) + 1e-6);
  }
}

TEST_CASE("ShiftGELU saturates e^-max for tokens whose channels are all negative", "[golden][shiftgelu]") {
  ShiftGeluParams p;
  p.scale = 0.02f;  // x0 = -30; -max = 128 puts the shift far beyond 64 bits before saturation
  ShiftGeluTaps taps;
  const ITensor out = shiftgelu(ITensor({3}, {-128, -128, -128}), p, &taps);
  // e1 = 30 * 2^23 (d = 0), e2 saturates, sum clamps to 2^31-1, factor 1: sigmoid = e1 >> 24 = 15
  CHECK(taps.sigmoid.data == std::vector<int64_t>{15, 15, 15});
  CHECK(out.data[0] == -128 * 15);
}

TEST_CASE("the ten-step Newton square root matches the spec's worked numbers and brute force", "[golden][ilayernorm]") {
  CHECK(ilayernorm_sqrt(0) == 64);
  CHECK(ilayernorm_sqrt(501) == 65);
  CHECK(ilayernorm_sqrt(21856) == 150);
  // Converged range (brute force: about [2^15.2, 2^45.89]; tested on [2^15.5, 2^45.8]): floor(sqrt(var)), or one
  // more where integer Newton alternates (var = (s+1)^2 - 1). Outside it ten steps are not enough.
  CHECK(ilayernorm_sqrt(33064) > 182);           // isqrt 181: below the range, not converged
  CHECK(ilayernorm_sqrt(65838650564897) > 8114102);  // isqrt 8114101: above it
  for (int64_t s : {300, 1000, 65535}) CHECK(ilayernorm_sqrt((s + 1) * (s + 1) - 1) == s + 1);
  uint64_t st = 99;
  for (int i = 0; i < 100000; ++i) {
    const double lg = 15.5 + 30.3 * static_cast<double>(splitmix64(st) >> 11) * 0x1p-53;
    const auto var = static_cast<int64_t>(std::pow(2.0, lg));
    auto root = static_cast<int64_t>(std::sqrt(static_cast<double>(var)));
    while (root * root > var) --root;
    while ((root + 1) * (root + 1) <= var) ++root;
    const int64_t k = ilayernorm_sqrt(var);
    REQUIRE((k == root || k == root + 1));
  }
}

TEST_CASE("I-LayerNorm of a constant row gives var 0, std 64 and the bias alone", "[golden][ilayernorm]") {
  ILayerNormParams p;
  p.gamma = {1.0f, 2.0f, -0.5f, 1.0f};
  p.beta = {0.0f, 0.001f, 0.002f, -0.003f};
  ILayerNormTaps taps;
  const ITensor out = ilayernorm(ITensor({1, 4}, {-700, -700, -700, -700}), p, &taps);
  CHECK(taps.mean.data[0] == -700);
  CHECK(taps.var.data[0] == 0);
  CHECK(taps.std.data[0] == 64);
  CHECK(out.data == taps.bias_int);
}

TEST_CASE("I-LayerNorm mean rounds half to even", "[golden][ilayernorm]") {
  CHECK(round_div_half_even(5, 2) == 2);
  CHECK(round_div_half_even(7, 2) == 4);
  CHECK(round_div_half_even(-5, 2) == -2);
  CHECK(round_div_half_even(-7, 2) == -4);
  CHECK(round_div_half_even(10, 4) == 2);
  CHECK(round_div_half_even(11, 4) == 3);
}

TEST_CASE("I-LayerNorm tracks LayerNorm within the closed-form bound", "[golden][ilayernorm]") {
  // z_int - z is bounded by |z| (1/k + 2^-15) from the square root (k within 1 of sqrt(var)) and the
  // factor's floor, plus (0.5 sqrt(C) + 1)/k from the rounded mean (docs/accuracy.md).
  const int64_t c = 192;
  ILayerNormParams p;
  p.gamma = normal_draws(c, 3, 0.2f);
  for (auto& g : p.gamma) g += 1.0f;
  p.beta = normal_draws(c, 4, 0.1f);
  const ITensor x = random_ints({16, c}, -6000, 6000, 5);
  const FTensor ref = layernorm(dequantize(x, 1.0f), p.gamma, p.beta, 0.0f);
  ILayerNormTaps taps;
  const ITensor out = ilayernorm(x, p, &taps);
  const std::vector<float> os = ilayernorm_out_scale(p, c);
  for (int64_t r = 0; r < 16; ++r) {
    const double k = static_cast<double>(taps.std[r]);
    for (int64_t j = 0; j < c; ++j) {
      const double g = p.gamma[static_cast<size_t>(j)];
      const double z = (ref[r * c + j] - p.beta[static_cast<size_t>(j)]) / g;
      const double bound = std::fabs(z) * (1 / k + 0x1p-15) + (0.5 * std::sqrt(c) + 1) / k;
      REQUIRE(std::fabs(out[r * c + j] * static_cast<double>(os[static_cast<size_t>(j)]) - ref[r * c + j]) <=
              std::fabs(g) * bound + 1e-6);
    }
  }
}
