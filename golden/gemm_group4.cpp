#include "golden/gemm_group4.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "golden/gemm.hpp"

namespace qtsim::golden {

void GroupInt4Weights::check() const {
  if (n < 1 || k < 1) throw std::invalid_argument("group int4 weights need N, K >= 1");
  if (group < 1 || k % group != 0)
    throw std::invalid_argument("group size " + std::to_string(group) + " does not divide K=" + std::to_string(k));
  if (static_cast<int64_t>(packed.size()) != (n * k + 1) / 2) throw std::invalid_argument("group int4 codes: wrong size");
  if (static_cast<int64_t>(scale.size()) != n * groups() || static_cast<int64_t>(zero.size()) != n * groups())
    throw std::invalid_argument("group int4 scale/zero: need N*K/group values");
  for (float s : scale)
    if (!(s > 0) || !std::isfinite(s)) throw std::invalid_argument("group int4 scales must be positive and finite");
}

Group4Consts group4_consts(const GroupInt4Weights& w) {
  w.check();
  Group4Consts c;
  const int64_t g = w.groups();
  c.zero_fx.resize(w.zero.size());
  c.mult.resize(w.scale.size());
  c.s_max.resize(static_cast<size_t>(w.n));
  for (size_t i = 0; i < w.zero.size(); ++i)
    c.zero_fx[i] = static_cast<int64_t>(std::nearbyint(std::ldexp(w.zero[i], Group4Consts::kZeroFrac)));
  for (int64_t r = 0; r < w.n; ++r) {
    const float* s = &w.scale[static_cast<size_t>(r * g)];
    const float mx = *std::max_element(s, s + g);
    c.s_max[static_cast<size_t>(r)] = mx;
    for (int64_t j = 0; j < g; ++j)
      c.mult[static_cast<size_t>(r * g + j)] =
          static_cast<int64_t>(std::nearbyint(std::ldexp(static_cast<double>(s[j]) / mx, Group4Consts::kMultBits)));
  }
  return c;
}

int64_t group4_narrow(__int128 acc) {
  if (acc > INT64_MAX || acc < INT64_MIN) throw std::overflow_error("group gemm accumulator exceeds 64 bits");
  return static_cast<int64_t>(acc);
}

double group4_acc_scale(float s_a, const Group4Consts& c, int64_t n) {
  return static_cast<double>(s_a) * c.s_max[static_cast<size_t>(n)] *
         std::ldexp(1.0, -(Group4Consts::kZeroFrac + Group4Consts::kMultBits));
}

ITensor gemm_group4(const ITensor& a, const GroupInt4Weights& w, const Group4Consts& c, const std::vector<int64_t>& bias) {
  w.check();
  if (a.last() != w.k) throw std::invalid_argument("group gemm K mismatch: A " + shape_str(a.shape) + ", K=" + std::to_string(w.k));
  if (!bias.empty() && static_cast<int64_t>(bias.size()) != w.n) throw std::invalid_argument("group gemm bias size");
  const int64_t m = a.rows(), g = w.groups(), gs = w.group;
  const std::vector<int64_t> codes = unpack_nibbles(w.packed, w.n * w.k, uint_type(4));
  Shape os = a.shape;
  os.back() = w.n;
  ITensor out(os);
  std::vector<int64_t> asum(static_cast<size_t>(g));
  for (int64_t i = 0; i < m; ++i) {
    const int64_t* ar = &a[i * w.k];
    for (int64_t j = 0; j < g; ++j) {
      int64_t s = 0;
      for (int64_t p = 0; p < gs; ++p) s += ar[j * gs + p];
      asum[static_cast<size_t>(j)] = s;
    }
    for (int64_t r = 0; r < w.n; ++r) {
      __int128 acc = bias.empty() ? 0 : group4_bias_term(bias[static_cast<size_t>(r)]);
      for (int64_t j = 0; j < g; ++j) {
        int64_t pdot = 0;
        const int64_t* wr = &codes[static_cast<size_t>(r * w.k + j * gs)];
        for (int64_t p = 0; p < gs; ++p) pdot += ar[j * gs + p] * wr[p];
        const size_t gi = static_cast<size_t>(r * g + j);
        acc += group4_term(pdot, asum[static_cast<size_t>(j)], c.zero_fx[gi], c.mult[gi]);
      }
      out[i * w.n + r] = group4_narrow(acc);
    }
  }
  return out;
}

}  // namespace qtsim::golden
