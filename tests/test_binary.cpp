// The BinaryViT block: every stage of the integer Program against a direct double-precision evaluation of
// the block's definition (docs/intops.md), each stage fed with the Program's own previous integer tap so
// that sign decisions compare exactly.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>

#include "golden/exec.hpp"
#include "golden/lower_binary.hpp"

using namespace qtsim::golden;

namespace {
// sign(a x + b) with the tie at +1, over an integer tensor, in double.
ITensor sign_affine(const ITensor& x, const std::vector<double>& a, const std::vector<double>& b) {
  ITensor out(x.shape);
  const int64_t c = x.last();
  for (int64_t i = 0; i < x.size(); ++i) out[i] = a[static_cast<size_t>(i % c)] * x[i] + b[static_cast<size_t>(i % c)] >= 0 ? 1 : -1;
  return out;
}
// +-1 dot products with plain loops (no packing).
ITensor dots(const ITensor& a, const ITensor& w) {
  const int64_t m = a.rows(), k = a.last(), n = w.shape[0];
  ITensor out({m, n});
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      int64_t s = 0;
      for (int64_t p = 0; p < k; ++p) s += a[i * k + p] * w[j * k + p];
      out[i * n + j] = s;
    }
  return out;
}
std::vector<double> rep(double v, size_t n) { return std::vector<double>(n, v); }
std::vector<double> to_d(const std::vector<float>& v) { return {v.begin(), v.end()}; }
std::vector<double> g_alpha(const BinaryLinear& l) {
  std::vector<double> r;
  for (size_t c = 0; c < l.g.size(); ++c) r.push_back(static_cast<double>(l.g[c]) * l.w.alpha[c]);
  return r;
}
std::vector<double> h_move(const BinaryLinear& l, const std::vector<float>& move) {
  std::vector<double> r;
  for (size_t c = 0; c < l.h.size(); ++c) r.push_back(static_cast<double>(l.h[c]) + move[c]);
  return r;
}
}  // namespace

TEST_CASE("BinaryViT block: every stage equals the double-precision definition", "[golden][binary]") {
  const EncoderDims d = encoder_dims("deit_tiny", 50);
  const BinaryCase c = make_binary_case(d, 3);
  const BinaryEncoderWeights& w = c.weights;
  const Taps t = run_program(c.lowered.program, c.lowered.inputs);
  const double s_x = c.s_x, s_x1 = 2 * s_x, s_out = 4 * s_x;

  // The case is not degenerate: every binary tensor holds both values.
  for (const char* name : {"xb", "qkvb", "mask", "ctxb", "x1b", "hb"}) {
    const auto& v = t.at(name).data;
    INFO(name);
    REQUIRE(std::count(v.begin(), v.end(), v.front()) < static_cast<std::ptrdiff_t>(v.size()));
  }
  REQUIRE(t.at("xb").data == sign_affine(t.at("x"), rep(s_x, 192), to_d(w.move_x)).data);
  REQUIRE(t.at("qkv_dot").data == dots(t.at("xb"), w.qkv.w.sign).data);
  REQUIRE(t.at("qkvb").data == sign_affine(t.at("qkv_dot"), g_alpha(w.qkv), h_move(w.qkv, w.move_qkv)).data);
  // scores: q . k per head, q = qkvb[:, h*64 + j], k = qkvb[:, 192 + h*64 + j]
  const ITensor& qkvb = t.at("qkvb");
  const ITensor& scores = t.at("scores");
  for (int64_t h = 0; h < 3; ++h)
    for (int64_t i = 0; i < 50; ++i)
      for (int64_t j = 0; j < 50; ++j) {
        int64_t s = 0;
        for (int64_t p = 0; p < 64; ++p) s += qkvb[i * 576 + h * 64 + p] * qkvb[j * 576 + 192 + h * 64 + p];
        REQUIRE(scores[(h * 50 + i) * 50 + j] == s);
      }
  // mask: p * 2^-15 >= alpha_p / 2
  const ITensor& probs = t.at("probs");
  for (int64_t i = 0; i < probs.size(); ++i)
    REQUIRE(t.at("mask")[i] == (probs[i] / 32768.0 >= w.alpha_p / 2.0 ? 1 : 0));
  // ctx[i][h*64+p] = sum_j mask[h][i][j] * v[j][h*64+p]
  const ITensor& ctx = t.at("ctx");
  for (int64_t h = 0; h < 3; ++h)
    for (int64_t i = 0; i < 50; ++i)
      for (int64_t p = 0; p < 64; ++p) {
        int64_t s = 0;
        for (int64_t j = 0; j < 50; ++j) s += t.at("mask")[(h * 50 + i) * 50 + j] * qkvb[j * 576 + 384 + h * 64 + p];
        REQUIRE(ctx[i * 192 + h * 64 + p] == s);
      }
  REQUIRE(t.at("ctxb").data == sign_affine(ctx, rep(w.alpha_p, 192), to_d(w.move_ctx)).data);
  REQUIRE(t.at("proj_dot").data == dots(t.at("ctxb"), w.proj.w.sign).data);
  // x1 = x + g alpha dot + h: fixed point (unit s_x/256) and two rounded requant terms. Error bound: the
  // multiplier and offset are rounded to the unit (|dot| + 1) * unit / 2, the requant rounds to s_x1 / 2 twice.
  const ITensor& pd = t.at("proj_dot");
  const double unit = s_x / 256;
  for (int64_t i = 0; i < pd.size(); ++i) {
    const size_t ch = static_cast<size_t>(i % 192);
    const double real = t.at("x")[i] * s_x + g_alpha(w.proj)[ch] * pd[i] + w.proj.h[ch];
    const double bound = (std::abs(pd[i]) + 1) * unit / 2 + s_x1 + 1e-12;
    if (std::fabs(real) < 32767 * s_x1) REQUIRE(std::fabs(t.at("x1")[i] * s_x1 - real) <= bound);
  }
  REQUIRE(t.at("x1b").data == sign_affine(t.at("x1"), rep(s_x1, 192), to_d(w.move_x1)).data);
  REQUIRE(t.at("fc1_dot").data == dots(t.at("x1b"), w.fc1.w.sign).data);
  REQUIRE(t.at("hb").data == sign_affine(t.at("fc1_dot"), g_alpha(w.fc1), h_move(w.fc1, w.move_h)).data);
  REQUIRE(t.at("fc2_dot").data == dots(t.at("hb"), w.fc2.w.sign).data);
  const ITensor& fd = t.at("fc2_dot");
  for (int64_t i = 0; i < fd.size(); ++i) {
    const size_t ch = static_cast<size_t>(i % 192);
    const double real = t.at("x1")[i] * s_x1 + g_alpha(w.fc2)[ch] * fd[i] + w.fc2.h[ch];
    const double bound = (std::abs(fd[i]) + 1) * unit / 2 + s_out + 1e-12;
    if (std::fabs(real) < 32767 * s_out) REQUIRE(std::fabs(t.at("out")[i] * s_out - real) <= bound);
  }
}

TEST_CASE("binary thresholds: sign(a v + b) over integers", "[golden][binary]") {
  // a v + b >= 0 with a = 0.5, b = 1.2: v >= -2.4, so v >= -2: beta = 2
  CHECK(sign_threshold_beta(0.5, 1.2) == 2);
  CHECK(sign_threshold_beta(0.5, -1.0) == -2);  // v >= 2
  CHECK(sign_threshold_beta(1.0, 0.0) == 0);    // the tie at 0 goes to +1
  CHECK(prob_mask_threshold(0.005f) == 82);     // ceil(0.0025 * 32768) = ceil(81.92)
  CHECK_THROWS(sign_threshold_beta(-1.0, 0.0));
}
