// Dyadic requant against exact rational arithmetic (Boost cpp_int), exhaustively over int16 inputs.
#include <boost/multiprecision/cpp_int.hpp>
#include <catch2/catch.hpp>
#include <cmath>

#include "golden/requant.hpp"

using namespace qtsim::golden;
using cpp_int = boost::multiprecision::int256_t;  // fixed width: no heap, wide enough for z*m

namespace {
// round(z * m / 2^e) by long division, ties by the rule: a second implementation in other arithmetic.
int64_t oracle(int64_t z, int64_t m, int e, Rounding r) {
  const cpp_int num = cpp_int(z) * m;
  const cpp_int den = cpp_int(1) << e;
  cpp_int q = num / den;  // truncates toward zero
  cpp_int rem = num - q * den;
  if (rem < 0) q -= 1, rem += den;  // floor
  const cpp_int twice = 2 * rem;
  if (twice > den || (twice == den && (r == Rounding::half_up || (q & 1) != 0))) q += 1;
  return static_cast<int64_t>(q);
}
}  // namespace

TEST_CASE("requant of every int16 input equals exact rational rounding", "[golden][requant]") {
  for (const Dyadic d : {Dyadic{1828586604, 41}, Dyadic{1073741824, 31}, Dyadic{2147483583, 20}, Dyadic{1500000001, 3},
                         Dyadic{-1785619331, 40}, Dyadic{1073741825, 1}}) {
    for (const Rounding r : {Rounding::half_even, Rounding::half_up}) {
      for (int64_t z = -32768; z <= 32767; ++z) {
        const int64_t got = requant_value(z, d, r);
        if (got != oracle(z, d.m, d.e, r)) FAIL("z=" << z << " m=" << d.m << " e=" << d.e);
      }
    }
  }
  SUCCEED();
}

TEST_CASE("requant of wide accumulators equals exact rational rounding", "[golden][requant]") {
  uint64_t st = 12345;
  for (int i = 0; i < 200000; ++i) {
    st = st * 6364136223846793005ull + 1442695040888963407ull;
    const int64_t z = static_cast<int64_t>(st >> 32) - (int64_t{1} << 31);
    const int64_t m = (int64_t{1} << 30) + static_cast<int64_t>((st >> 3) % (int64_t{1} << 30));
    const int e = 1 + static_cast<int>(st % 62);
    REQUIRE(requant_value(z, {m, e}, Rounding::half_even) == oracle(z, m, e, Rounding::half_even));
  }
}

TEST_CASE("half-up and half-even differ exactly at odd-quotient ties", "[golden][requant]") {
  const Dyadic d{1 << 30, 31};  // multiply by 1/2: every odd z is a tie
  CHECK(requant_value(1, d, Rounding::half_even) == 0);
  CHECK(requant_value(1, d, Rounding::half_up) == 1);
  CHECK(requant_value(3, d, Rounding::half_even) == 2);
  CHECK(requant_value(3, d, Rounding::half_up) == 2);
  CHECK(requant_value(-1, d, Rounding::half_even) == 0);
  CHECK(requant_value(-1, d, Rounding::half_up) == 0);  // (-1 + 1) >> 1
  CHECK(requant_value(-3, d, Rounding::half_even) == -2);
}

TEST_CASE("derived multipliers are 31-bit mantissas of the ratio", "[golden][requant]") {
  for (double r : {1.0, 0.5, 3.0e-5, 1e-9, 123.456, 0.7071067811865476, 2.0 - 1e-12}) {
    const Dyadic d = dyadic_from_ratio(r);
    CHECK(d.m >= (int64_t{1} << 30));
    CHECK(d.m < (int64_t{1} << 31));
    // |m/2^e - r| <= half an ulp of the 31-bit mantissa
    CHECK(std::fabs(std::ldexp(static_cast<double>(d.m), -d.e) - r) <= std::ldexp(r, -31));
  }
  CHECK(dyadic_from_ratio(-0.25).m == -(int64_t{1} << 30));
  CHECK(dyadic_from_ratio(1.0) == Dyadic{int64_t{1} << 30, 30});
  CHECK_THROWS(dyadic_from_ratio(0.0));
  CHECK_THROWS(dyadic_from_scales(1.0, 0.0f));
}

TEST_CASE("clamping follows the I-ViT widths", "[golden][requant]") {
  Requant q{{Dyadic{1 << 30, 30}}, 1, 8, Rounding::half_even};  // identity multiplier
  const ITensor z({5}, {-1000, -129, -128, 127, 1000});
  CHECK(requant(z, q).data == std::vector<int64_t>{-128, -128, -128, 127, 127});
  q.bits = 4;
  CHECK(requant(z, q).data == std::vector<int64_t>{-8, -8, -8, 7, 7});
  q.bits = 12;  // not a clamping width in fixedpoint_mul
  CHECK(requant(z, q).data == z.data);
}

TEST_CASE("residual requant rounds each term before the sum", "[golden][requant]") {
  const Dyadic half{1 << 30, 31};
  const Requant q{{half}, 1, 16, Rounding::half_even};
  // 1/2 + 1/2: each term rounds to 0 (half to even), the sum of exact halves would be 1.
  CHECK(requant_add(ITensor({1}, {1}), q, ITensor({1}, {1}), {half}).data == std::vector<int64_t>{0});
  // 3/2 + 5/2 = 2 + 2
  CHECK(requant_add(ITensor({1}, {3}), q, ITensor({1}, {5}), {half}).data == std::vector<int64_t>{4});
  // clamp after the sum
  CHECK(requant_add(ITensor({1}, {60000}), q, ITensor({1}, {60000}), {half}).data == std::vector<int64_t>{32767});
}

TEST_CASE("per-channel and per-group multipliers index the last axis", "[golden][requant]") {
  const Dyadic one{1 << 30, 30}, two{1 << 30, 29};
  Requant q{{one, two}, 2, 32, Rounding::half_even};  // channels 0,1 -> one; 2,3 -> two
  CHECK(requant(ITensor({2, 4}, {1, 1, 1, 1, 5, 6, 7, 8}), q).data == std::vector<int64_t>{1, 1, 2, 2, 5, 6, 14, 16});
  q.group = 3;
  CHECK_THROWS_WITH(requant(ITensor({4}, {1, 2, 3, 4}), q), Catch::Contains("multipliers"));
}
