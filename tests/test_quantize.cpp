// Quantizers against closed forms, brute force and statistics.
#include <catch2/catch.hpp>
#include <cmath>

#include "golden/encoder.hpp"
#include "golden/quantize.hpp"

using namespace qtsim::golden;

TEST_CASE("QuantAct observer: first batch copied, then EMA with momentum 0.95", "[golden][quantize]") {
  ActObserver o;
  const float b1[] = {-2.0f, 1.0f, 3.0f}, b2[] = {-1.0f, 0.0f, 7.0f};
  o.observe(b1, 3);
  CHECK(o.min == -2.0f);
  CHECK(o.max == 3.0f);
  o.observe(b2, 3);
  CHECK(o.min == Approx(0.95 * -2.0 + 0.05 * -1.0));
  CHECK(o.max == Approx(0.95 * 3.0 + 0.05 * 7.0));
  CHECK(o.scale(8) == Approx(o.max / 127));
  ActObserver zero;
  CHECK(zero.scale(8) == kScaleFloor);
}

TEST_CASE("symmetric quantization rounds half to even and clamps to the signed range", "[golden][quantize]") {
  const FTensor x({7}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 1000.0f, -1000.0f});
  CHECK(quantize_symmetric(x, 1.0f, 8).data == std::vector<int64_t>{0, 2, 2, 0, -2, 127, -128});
  // per-channel weights: s = max|w| / 127, the largest weight maps to +-127
  const FTensor w({2, 3}, {0.1f, -0.2f, 0.05f, 3.0f, 1.0f, -1.5f});
  const std::vector<float> s = weight_scales(w, 8);
  CHECK(s[0] == 0.2f / 127);
  const ITensor q = quantize_weight(w, s, 8);
  CHECK(q.data[1] == -127);
  CHECK(q.data[3] == 127);
  CHECK(quantize_weight(w, weight_scales(w, 4), 4).data[3] == 7);
}

TEST_CASE("group int4 quantizer: range contains zero and every code is in 0..15", "[golden][quantize][int4]") {
  const FTensor w({2, 8}, {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 1.5f,  // all positive: lo = 0
                           -1.0f, -0.5f, 0.0f, 0.5f, 2.0f, 0.25f, -0.25f, 0.75f});
  const GroupInt4Weights g = quantize_group_int4(w, 8);
  CHECK(g.scale[0] == Approx(1.5 / 15));
  CHECK(g.zero[0] == 0);
  CHECK(g.scale[1] == Approx(3.0 / 15));
  CHECK(g.zero[1] == 5);  // -lo / scale = 1 / 0.2
  const FTensor deq = dequantize_group_int4(g);
  for (int64_t i = 0; i < w.size(); ++i) CHECK(std::fabs(deq[i] - w[i]) <= g.scale[static_cast<size_t>(i / 8)] / 2 + 1e-6);
  CHECK_THROWS_WITH(quantize_group_int4(w, 3), Catch::Contains("does not divide"));
  const GroupInt4Weights zeros = quantize_group_int4(FTensor({1, 4}, {0, 0, 0, 0}), 4);
  CHECK(zeros.scale[0] == Approx(2.0 / 15));  // [-1, 1] when the group is all zero
}

TEST_CASE("a LoRA merge moves the zero by the adapter's group contribution", "[golden][quantize][int4]") {
  GroupInt4Weights g = quantize_group_int4(FTensor({1, 4}, {-1.0f, 0.0f, 0.5f, 1.0f}), 4);
  const double z0 = g.zero[0];
  merge_lora_into_zeros(g, FTensor({1, 1}, {0.8f}), 0.25f);
  CHECK(g.zero[0] == Approx(z0 - 0.8 * 0.25 / 4 / g.scale[0]));
  // dequantised weights shift by exactly the adapter's per-column contribution
  const FTensor deq = dequantize_group_int4(g);
  CHECK(deq[3] - 1.0f == Approx(0.8f * 0.25f / 4).margin(g.scale[0] / 2));
}

TEST_CASE("log-sqrt2: the integer comparator bank equals the float code for every probability", "[golden][logsqrt2]") {
  for (float delta : {1.0f, 0.6f, 0.13f}) {
    for (int bits : {3, 4}) {
      const std::vector<int64_t> th = logsqrt2_thresholds(delta, bits);
      for (int64_t p = 0; p <= 32768; ++p)
        REQUIRE(logsqrt2_code_int(p, th) == logsqrt2_code(static_cast<float>(p) / 32768.0f, delta, bits));
    }
  }
  CHECK(logsqrt2_code(0.0f, 1.0f, 4) == kLogZero);
  CHECK(logsqrt2_code(2.0f, 1.0f, 4) == 0);  // above delta saturates at code 0
  CHECK(logsqrt2_code(0.5f, 1.0f, 4) == 2);  // 2^(-2/2)
  CHECK(logsqrt2_value(3, 1.0f) == Approx(std::pow(2.0, -1.5)));
}

TEST_CASE("log-sqrt2 shift-add attn @ v equals the dequantised product", "[golden][logsqrt2]") {
  // bits 6 is the widest: codes up to 63 shift v by up to 2^5 = 32 bits into the int64 sums
  for (const int bits : {4, kLogSqrt2MaxBits}) {
    const int64_t h = 2, m = 3, t = 9, d = 5, codes_n = int64_t{1} << bits;
    ITensor codes({h, m, t}), v({h, t, d});
    uint64_t st = 5;
    for (auto& c : codes.data) c = static_cast<int64_t>(splitmix64(st) % static_cast<uint64_t>(codes_n + 1)) - 1;  // -1 (zero) .. 2^b-1
    for (auto& x : v.data) x = static_cast<int64_t>(splitmix64(st) % 256) - 128;
    const LogSqrt2Acc acc = logsqrt2_attn_v(codes, v, bits);
    const double delta = 0.7;
    for (int64_t hh = 0; hh < h; ++hh)
      for (int64_t i = 0; i < m; ++i)
        for (int64_t c = 0; c < d; ++c) {
          double ref = 0;
          for (int64_t j = 0; j < t; ++j)
            ref += logsqrt2_value(codes[(hh * m + i) * t + j], static_cast<float>(delta)) * static_cast<double>(v[(hh * t + j) * d + c]);
          const int64_t idx = (hh * m + i) * d + c;
          const double got = delta * std::ldexp(static_cast<double>(acc.even[idx]) + std::sqrt(2.0) * static_cast<double>(acc.odd[idx]),
                                                -(1 << (bits - 1)));
          REQUIRE(got == Approx(ref).margin(1e-5));
        }
  }
  CHECK_THROWS_AS(logsqrt2_attn_v(ITensor({1, 1, 1}, {0}), ITensor({1, 1, 1}, {1}), kLogSqrt2MaxBits + 1), std::invalid_argument);
}

TEST_CASE("BinaryViT binarisation: alpha is mean |W|, sign of the centred row, sign(0) = 0", "[golden][binary]") {
  const BinaryWeights b = binarize_weight(FTensor({1, 4}, {1.0f, 3.0f, -2.0f, 2.0f}));  // mean 1
  CHECK(b.alpha[0] == Approx(2.0));
  CHECK(b.sign.data == std::vector<int64_t>{0, 1, -1, 1});
  CHECK(sign_shift(ITensor({4}, {-3, -2, 0, 5}), {2, 2, 2, -5}).data == std::vector<int64_t>{-1, 0, 1, 0});
  CHECK(binarize_probs(FTensor({4}, {0.0f, 0.0024f, 0.0026f, 0.9f}), 0.005f).data ==
        std::vector<float>{0.0f, 0.0f, 0.005f, 0.005f});
}

TEST_CASE("stochastic rounding is seeded, unbiased, and equals nearest without randomness", "[golden][quantize]") {
  const FTensor w({256}, normal_draws(256, 77, 1.0f));
  const Uint8Groups a = quantize_uint8_groups(w, 256, true, 9), b = quantize_uint8_groups(w, 256, true, 9);
  CHECK(a.q == b.q);
  CHECK(a.q != quantize_uint8_groups(w, 256, true, 10).q);
  // Unbiased: averaged over 2000 seeds, the code of each element approaches w/scale + zero; the standard
  // deviation of one draw is at most 1/2, of the mean 0.5/sqrt(2000) = 0.011: allow 5 sigma.
  std::vector<double> mean(256, 0.0);
  for (uint64_t s = 0; s < 2000; ++s) {
    const Uint8Groups g = quantize_uint8_groups(w, 256, true, s);
    for (size_t i = 0; i < 256; ++i) mean[i] += static_cast<double>(g.q[i]) / 2000;
  }
  for (size_t i = 0; i < 256; ++i) {
    const double exact = static_cast<double>(w.data[i]) / a.scale[0] + a.zero[0];
    if (exact > 0.5 && exact < 254.5) REQUIRE(std::fabs(mean[i] - exact) < 0.056);
  }
  const Uint8Groups n = quantize_uint8_groups(w, 256, false, 0);
  for (size_t i = 0; i < 256; ++i)
    REQUIRE(n.q[i] == std::min<int64_t>(255, std::max<int64_t>(0, static_cast<int64_t>(std::nearbyint(w.data[i] / n.scale[0]) + n.zero[0]))));
}
