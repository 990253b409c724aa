// The I-ViT authors' reference vectors (tests/data/ivit/README.md): our exact-integer operators must
// reproduce the exact evaluation (numerator 2^31 by default, 2^31-1 as the named variant) bit for bit.
#include <catch2/catch.hpp>

#include "golden/ilayernorm.hpp"
#include "golden/npy.hpp"
#include "golden/requant.hpp"
#include "golden/shiftgelu.hpp"
#include "golden/shiftmax.hpp"

using namespace qtsim::golden;

namespace {
std::string vec(const std::string& name) { return std::string(QTSIM_TEST_DATA) + "/ivit/" + name + ".npy"; }
ITensor ivec(const std::string& name) { return load_npy_int(vec(name)); }
FTensor fvec(const std::string& name) { return load_npy_float(vec(name)); }
}  // namespace

TEST_CASE("requant per tensor matches the authors' multiplier and outputs", "[golden][requant][vectors]") {
  const FTensor s_in = fvec("requant_per_tensor_i8_scale_in");
  const float s_out = 0x1.886594p-5f;
  const Dyadic d = dyadic_from_scales(s_in[0], s_out);
  REQUIRE(d.m == ivec("requant_per_tensor_i8_m")[0]);
  REQUIRE(d.e == ivec("requant_per_tensor_i8_e")[0]);
  Requant q{{d}, 1, 8, Rounding::half_even};
  const ITensor out = requant(ivec("requant_per_tensor_i8_z_int"), q);
  REQUIRE(out.data == ivec("requant_per_tensor_i8_out_int_exact").data);
  REQUIRE(out.data == ivec("requant_per_tensor_i8_out_int_authors").data);
}

TEST_CASE("requant per channel matches the authors' multipliers and outputs", "[golden][requant][vectors]") {
  const FTensor s_in = fvec("requant_per_channel_i8_scale_in");
  const float s_out = 0x1.fd8adap-6f;
  const ITensor m = ivec("requant_per_channel_i8_m"), e = ivec("requant_per_channel_i8_e");
  Requant q;
  for (int64_t c = 0; c < s_in.size(); ++c) {
    q.mult.push_back(dyadic_from_scales(s_in[c], s_out));
    REQUIRE(q.mult.back().m == m[c]);
    REQUIRE(q.mult.back().e == e[c]);
  }
  const ITensor out = requant(ivec("requant_per_channel_i8_z_int"), q);
  REQUIRE(out.data == ivec("requant_per_channel_i8_out_int_exact").data);
}

TEST_CASE("Shiftmax reproduces the authors' ViT (B=16) and Swin (B=8) vectors", "[golden][shiftmax][vectors]") {
  for (const auto& [name, bits] : {std::pair<std::string, int>{"softmax_vit_b16_rand", 16}, {"softmax_swin_b8_rand", 8}}) {
    SECTION(name) {
      ShiftmaxParams p;
      p.scale = 0x1.2dp-4f;
      p.out_bits = bits;
      REQUIRE(shift_exp_x0(p.scale) == -14);
      ShiftmaxTaps taps;
      const ITensor out = shiftmax(ivec(name + "_x_int"), p, &taps);
      REQUIRE(taps.exp.data == ivec(name + "_exp_int_exact").data);
      REQUIRE(taps.factor.data == ivec(name + "_factor_exact_p31").data);
      REQUIRE(out.data == ivec(name + "_out_int_exact_p31").data);
      REQUIRE(out.data == ivec(name + "_out_int_authors").data);
      p.numerator = Numerator::pow2_31_minus_1;
      REQUIRE(shiftmax(ivec(name + "_x_int"), p).data == ivec(name + "_out_int_exact").data);
    }
  }
}

TEST_CASE("ShiftGELU reproduces the authors' DeiT vectors", "[golden][shiftgelu][vectors]") {
  ShiftGeluParams p;
  p.scale = 0x1.52p-5f;
  REQUIRE(p.sigmoid_scale() == 0x1.1fa354p-4f);
  ShiftGeluTaps taps;
  const ITensor x = ivec("gelu_deit_rand_x_int");
  const ITensor out = shiftgelu(x, p, &taps);
  REQUIRE(taps.sigmoid.data == ivec("gelu_deit_rand_sigmoid_int_exact_p31").data);
  REQUIRE(out.data == ivec("gelu_deit_rand_out_int_exact_p31").data);
  p.numerator = Numerator::pow2_31_minus_1;
  REQUIRE(shiftgelu(x, p).data == ivec("gelu_deit_rand_out_int_exact").data);
}

TEST_CASE("I-LayerNorm reproduces the authors' DeiT-Tiny vectors", "[golden][ilayernorm][vectors]") {
  ILayerNormParams p;
  p.scale = 0x1.13p-9f;
  const FTensor g = fvec("layernorm_deit_t_rand_weight"), b = fvec("layernorm_deit_t_rand_bias");
  p.gamma = g.data;
  p.beta = b.data;
  ILayerNormTaps taps;
  const ITensor x = ivec("layernorm_deit_t_rand_x_int");
  const ITensor out = ilayernorm(x, p, &taps);
  REQUIRE(taps.mean.data == ivec("layernorm_deit_t_rand_mean_exact").data);
  REQUIRE(taps.var.data == ivec("layernorm_deit_t_rand_var_exact").data);
  REQUIRE(taps.std.data == ivec("layernorm_deit_t_rand_std_exact").data);
  REQUIRE(taps.bias_int == ivec("layernorm_deit_t_rand_bias_int").data);
  REQUIRE(out.data == ivec("layernorm_deit_t_rand_out_int_exact_p31").data);
  REQUIRE(ilayernorm_out_scale(p, 192) == fvec("layernorm_deit_t_rand_out_scale").data);
  // The authors' float32 emulation rounds intermediates above 2^24: close, not equal.
  const ITensor authors = ivec("layernorm_deit_t_rand_out_int_authors");
  for (int64_t i = 0; i < out.size(); ++i)
    REQUIRE(std::abs(static_cast<double>(out[i] - authors[i])) <= 1e-4 * std::abs(static_cast<double>(authors[i])) + 1);
  p.numerator = Numerator::pow2_31_minus_1;
  REQUIRE(ilayernorm(x, p).data == ivec("layernorm_deit_t_rand_out_int_exact").data);
}
