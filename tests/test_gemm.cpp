// GEMM kernels against the int64 triple loop; int4 packing over every byte; XNOR-popcount against +-1 dot
// products; the group-wise INT4 accumulator against exact integer and dequantised float sums.
#include <catch2/catch.hpp>
#include <cmath>

#include "golden/bgemm.hpp"
#include "golden/encoder.hpp"
#include "golden/gemm.hpp"
#include "golden/gemm_group4.hpp"
#include "golden/quantize.hpp"

using namespace qtsim::golden;

namespace {
std::vector<int64_t> draws(int64_t n, int64_t lo, int64_t hi, uint64_t seed) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  uint64_t st = seed;
  for (auto& x : v) x = lo + static_cast<int64_t>(splitmix64(st) % static_cast<uint64_t>(hi - lo + 1));
  return v;
}
ITensor ref_gemm(const ITensor& a, const ITensor& b, const std::vector<int64_t>& bias) {
  const int64_t m = a.rows(), k = a.last(), n = b.shape[0];
  ITensor c({m, n});
  gemm_ref(a.data.data(), b.data.data(), bias.empty() ? nullptr : bias.data(), m, k, n, c.data.data());
  return c;
}
}  // namespace

TEST_CASE("int8 GEMM equals the triple loop on odd shapes and extremes", "[golden][gemm]") {
  for (const auto& [m, k, n] : {std::tuple<int64_t, int64_t, int64_t>{1, 1, 1}, {3, 5, 7}, {4, 4, 4}, {5, 17, 9},
                                {197, 192, 576}, {13, 3072, 6}}) {
    const ITensor a({m, k}, draws(m * k, -128, 127, static_cast<uint64_t>(m * 31 + k)));
    const ITensor b({n, k}, draws(n * k, -128, 127, static_cast<uint64_t>(n * 17 + k)));
    const std::vector<int64_t> bias = draws(n, -100000, 100000, 5);
    REQUIRE(gemm(a, b, bias, int_type(8), int_type(8)).data == ref_gemm(a, b, bias).data);
  }
  // All -128 x -128 over K = 3072: 2^14 * 3072 = 50331648 per output, far from int32 overflow.
  const ITensor a({5, 3072}, std::vector<int64_t>(5 * 3072, -128));
  const ITensor b({6, 3072}, std::vector<int64_t>(6 * 3072, -128));
  for (int64_t v : gemm(a, b, {}, int_type(8), int_type(8)).data) REQUIRE(v == 16384 * 3072);
}

TEST_CASE("uint16 x int8 GEMM (probabilities @ v) equals the triple loop", "[golden][gemm]") {
  const ITensor a({9, 197}, draws(9 * 197, 0, 32768, 3));
  const ITensor b({7, 197}, draws(7 * 197, -128, 127, 4));
  REQUIRE(gemm(a, b, {}, uint_type(16), int_type(8)).data == ref_gemm(a, b, {}).data);
  CHECK_THROWS_WITH(gemm(a, b, {}, int_type(8), int_type(8)), Catch::Contains("does not fit int8"));
}

TEST_CASE("batched A @ B^T equals per-head triple loops", "[golden][gemm]") {
  const int64_t h = 3, m = 11, k = 64, n = 13;
  const ITensor a({h, m, k}, draws(h * m * k, -128, 127, 8));
  const ITensor b({h, n, k}, draws(h * n * k, -128, 127, 9));
  const ITensor c = bmm_nt(a, b, int_type(8), int_type(8));
  for (int64_t i = 0; i < h; ++i) {
    const ITensor ai({m, k}, {a.data.begin() + i * m * k, a.data.begin() + (i + 1) * m * k});
    const ITensor bi({n, k}, {b.data.begin() + i * n * k, b.data.begin() + (i + 1) * n * k});
    const ITensor ci = ref_gemm(ai, bi, {});
    REQUIRE(std::vector<int64_t>(c.data.begin() + i * m * n, c.data.begin() + (i + 1) * m * n) == ci.data);
  }
}

TEST_CASE("int4 and uint4 packing round-trips every byte and every value", "[golden][gemm][int4]") {
  for (int byte = 0; byte < 256; ++byte) {
    const std::vector<uint8_t> packed{static_cast<uint8_t>(byte)};
    for (IntType t : {int_type(4), uint_type(4)}) {
      const std::vector<int64_t> v = unpack_nibbles(packed, 2, t);
      for (int64_t x : v) REQUIRE(t.holds(x));
      // low nibble first; two's complement for int4
      const int lo = byte & 0xF, hi = byte >> 4;
      REQUIRE(v[0] == (t.is_signed && lo >= 8 ? lo - 16 : lo));
      REQUIRE(v[1] == (t.is_signed && hi >= 8 ? hi - 16 : hi));
      REQUIRE(pack_nibbles(v, t) == packed);
    }
  }
  CHECK(pack_nibbles({-8, 7, 3}, int_type(4)) == std::vector<uint8_t>{0x78, 0x03});
  CHECK_THROWS(pack_nibbles({8}, int_type(4)));
  CHECK_THROWS(pack_nibbles({-1}, uint_type(4)));
}

TEST_CASE("W4A8 and W4A4 GEMMs on int4 extremes equal the triple loop", "[golden][gemm][int4]") {
  const ITensor a8({6, 33}, draws(6 * 33, -128, 127, 21));
  const ITensor a4({6, 33}, draws(6 * 33, -8, 7, 22));
  const ITensor w({5, 33}, draws(5 * 33, -8, 7, 23));
  const ITensor w_packed({5, 33}, unpack_nibbles(pack_nibbles(w.data, int_type(4)), 5 * 33, int_type(4)));
  REQUIRE(gemm(a8, w_packed, {}, int_type(8), int_type(4)).data == ref_gemm(a8, w, {}).data);
  REQUIRE(gemm(a4, w_packed, {}, int_type(4), int_type(4)).data == ref_gemm(a4, w, {}).data);
  const ITensor ext({2, 4}, {-8, -8, 7, 7, -8, 7, -8, 7});
  // 64+64+49+49 = 226 on the diagonal; 64 - 56 - 56 + 49 = 1 off it
  CHECK(gemm(ext, ext, {}, int_type(4), int_type(4)).data == std::vector<int64_t>{226, 1, 1, 226});
}

TEST_CASE("XNOR-popcount equals the +-1 dot product for every K tail", "[golden][bgemm]") {
  for (int64_t k : {1, 2, 63, 64, 65, 127, 128, 129, 200}) {
    std::vector<int64_t> av = draws(3 * k, 0, 1, static_cast<uint64_t>(k)), bv = draws(4 * k, 0, 1, static_cast<uint64_t>(k + 1000));
    for (auto& x : av) x = 2 * x - 1;
    for (auto& x : bv) x = 2 * x - 1;
    const ITensor a({3, k}, av), b({4, k}, bv);
    REQUIRE(bgemm(pack_signs(a), pack_signs(b)).data == ref_gemm(a, b, {}).data);
    // all-ones and all-zeros words: full agreement and full disagreement
    const ITensor ones({1, k}, std::vector<int64_t>(static_cast<size_t>(k), 1));
    const ITensor neg({1, k}, std::vector<int64_t>(static_cast<size_t>(k), -1));
    REQUIRE(bgemm(pack_signs(ones), pack_signs(ones)).data[0] == k);
    REQUIRE(bgemm(pack_signs(neg), pack_signs(neg)).data[0] == k);
    REQUIRE(bgemm(pack_signs(ones), pack_signs(neg)).data[0] == -k);
  }
  CHECK_THROWS_WITH(pack_signs(ITensor({1, 2}, {1, 0})), Catch::Contains("+-1"));
}

TEST_CASE("group-wise INT4 accumulator is exact for integer zeros and equal group scales", "[golden][gemm][int4]") {
  const int64_t m = 5, k = 96, n = 7, g = 32;
  GroupInt4Weights w;
  w.n = n, w.k = k, w.group = g;
  const std::vector<int64_t> q = draws(n * k, 0, 15, 31);
  w.packed = pack_nibbles(q, uint_type(4));
  w.scale.assign(static_cast<size_t>(n * k / g), 0.01f);
  for (int64_t i = 0; i < n * k / g; ++i) w.zero.push_back(static_cast<double>(draws(1, 0, 15, static_cast<uint64_t>(i + 50))[0]));
  const ITensor a({m, k}, draws(m * k, -128, 127, 32));
  const std::vector<int64_t> bias = draws(n, -5000, 5000, 33);
  const ITensor acc = gemm_group4(a, w, group4_consts(w), bias);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t r = 0; r < n; ++r) {
      int64_t s = bias[static_cast<size_t>(r)];
      for (int64_t p = 0; p < k; ++p)
        s += a[i * k + p] * (q[static_cast<size_t>(r * k + p)] - static_cast<int64_t>(w.zero[static_cast<size_t>(r * (k / g) + p / g)]));
      REQUIRE(acc[i * n + r] == s * (int64_t{1} << 23));
    }
}

TEST_CASE("group-wise INT4 accumulator tracks the dequantised float GEMM", "[golden][gemm][int4]") {
  // Quantised from float weights, with a LoRA merge making zeros fractional. Error sources: the 15-bit group
  // multipliers (2^-16 relative per group) and the 8 fractional bits of the zeros (2^-9 per code unit).
  const int64_t m = 4, k = 128, n = 6, g = 32;
  const FTensor wf({n, k}, normal_draws(n * k, 41, 0.05f));
  GroupInt4Weights w = quantize_group_int4(wf, g);
  merge_lora_into_zeros(w, FTensor({n, k / g}, normal_draws(n * k / g, 42, 0.02f)), 0.25f);
  const Group4Consts c = group4_consts(w);
  const FTensor deq = dequantize_group_int4(w);
  const ITensor a({m, k}, draws(m * k, -128, 127, 43));
  const float s_a = 0.03f;
  const ITensor acc = gemm_group4(a, w, c, {});
  for (int64_t i = 0; i < m; ++i)
    for (int64_t r = 0; r < n; ++r) {
      double ref = 0, mag = 0, asum = 0;
      for (int64_t p = 0; p < k; ++p) {
        ref += s_a * a[i * k + p] * static_cast<double>(deq[r * k + p]);
        mag += std::fabs(s_a * a[i * k + p] * static_cast<double>(deq[r * k + p]));
        asum += std::fabs(static_cast<double>(a[i * k + p]));
      }
      const double got = static_cast<double>(acc[i * n + r]) * group4_acc_scale(s_a, c, r);
      const double zero_err = asum * s_a * c.s_max[static_cast<size_t>(r)] * 0x1p-9;
      REQUIRE(std::fabs(got - ref) <= mag * 0x1p-15 + zero_err + 1e-9);
    }
}
