// LLaMA-2-7B decoder-layer roofline against numbers derived by hand from LLM-Viewer's counting rules
// (docs/roofline.md): h = 4096, 32 heads of d = 128, ffn 11008.
#include <catch2/catch.hpp>

#include "models/analytic/llm_roofline.hpp"

using namespace qtsim::model;

namespace {
const LlmOp& op(const std::vector<LlmOp>& ops, const std::string& name) {
  for (const auto& o : ops)
    if (o.name == name) return o;
  FAIL("no op " << name);
  return ops.front();
}
}  // namespace

TEST_CASE("LLaMA-2-7B prefill on A100, W16A16, against hand-derived counters", "[model][analytic][llm]") {
  LlmQuery q;  // prefill, s = 1024, b = 1, 16 bits
  q.compat = true;
  const auto ops = llm_layer_roofline(llm_shape("llama2-7b"), device("nvidia_A100"), q);
  // q_proj: 2*4096*4096*1024 OPs, weights 4096^2 * 2 B, activations in and out 4096*1024*2 B
  const LlmOp& qp = op(ops, "q_proj");
  CHECK(qp.ops == 34359738368.0);
  CHECK(qp.load_weight == 33554432.0);
  CHECK(qp.load_act == 8388608.0);
  CHECK(qp.store_act == 8388608.0);
  CHECK(qp.bound == "compute");  // 682.7 OPs/B > ridge 312e12 / 1.555e12 = 200.6
  CHECK(qp.time_s == Approx(34359738368.0 / 312e12).epsilon(1e-12));
  // k_proj writes the KV cache instead of activations
  const LlmOp& kp = op(ops, "k_proj");
  CHECK(kp.store_act == 0);
  CHECK(kp.store_kv_cache == 8388608.0);
  // down_proj: 11008 -> 4096
  CHECK(op(ops, "down_proj").load_weight == 11008.0 * 4096 * 2);
  // qk: 2 s^2 d H b OPs; Q read with H_kv heads; scores stored s^2 H b a; K read s d H_kv b k
  const LlmOp& qk = op(ops, "qk_matmul");
  CHECK(qk.ops == 2.0 * 1024 * 1024 * 128 * 32);
  CHECK(qk.load_act == 1024.0 * 128 * 32 * 2);
  CHECK(qk.store_act == 1024.0 * 1024 * 32 * 2);
  CHECK(qk.load_kv_cache == 1024.0 * 128 * 32 * 2);
  CHECK(qk.bound == "memory");  // 8.59e9 / 83.9e6 = 102.4 < 200.6
  CHECK(qk.time_s == Approx(qk.bytes() / 1.555e12).epsilon(1e-12));
  // softmax: 5 OPs per score, one score tensor in and out
  CHECK(op(ops, "softmax").ops == 5.0 * 32 * 1024 * 1024);
  CHECK(op(ops, "softmax").load_act == 32.0 * 1024 * 1024 * 2);
  // norms 7 OPs per element of T x h; mlp_act sized by h (LLM-Viewer's quirk), two loads
  CHECK(op(ops, "attn_norm").ops == 7.0 * 1024 * 4096);
  CHECK(op(ops, "mlp_act").ops == 2.0 * 1024 * 4096);
  CHECK(op(ops, "mlp_act").load_act == 2.0 * 1024 * 4096 * 2);
}

TEST_CASE("LLaMA-2-7B decode on H100 and the peak-selection rule", "[model][analytic][llm]") {
  LlmQuery q;
  q.compat = true;
  q.stage = "decode";
  const auto ops = llm_layer_roofline(llm_shape("llama2-7b"), device("nvidia_H100"), q);
  // decode qk: 2 s d H b OPs, Q d H b a, scores s H b a, K s d H_kv b k
  const LlmOp& qk = op(ops, "qk_matmul");
  CHECK(qk.ops == 2.0 * 1024 * 128 * 32);
  CHECK(qk.load_act == 128.0 * 32 * 2);
  CHECK(qk.store_act == 1024.0 * 32 * 2);
  CHECK(qk.load_kv_cache == 1024.0 * 128 * 32 * 2);
  CHECK(op(ops, "sv_matmul").store_act == 128.0 * 32 * 2);
  // one token: q_proj is memory bound, time = bytes / bandwidth
  const LlmOp& qp = op(ops, "q_proj");
  CHECK(qp.ops == 2.0 * 4096 * 4096);
  CHECK(qp.time_s == Approx((4096.0 * 4096 * 2 + 2 * 4096 * 2) / 3.072e12).epsilon(1e-12));
  // W8A8 with a 16-bit KV cache stays on the FP16 peak; all 8-bit moves to the INT8 peak
  LlmQuery p;
  p.compat = true;
  p.w_bits = p.a_bits = 8;
  const double t16 = op(llm_layer_roofline(llm_shape("llama2-7b"), device("nvidia_H100"), p), "q_proj").time_s;
  p.kv_bits = 8;
  const double t8 = op(llm_layer_roofline(llm_shape("llama2-7b"), device("nvidia_H100"), p), "q_proj").time_s;
  CHECK(t16 == Approx(34359738368.0 / 989.5e12).epsilon(1e-12));
  CHECK(t8 == Approx(34359738368.0 / 1979e12).epsilon(1e-12));
}

TEST_CASE("flash attention fuses qk, softmax and sv with LLM-Viewer's K/V reload count", "[model][analytic][llm]") {
  LlmQuery q;
  q.compat = true;
  q.flash_attention = true;
  const auto ops = llm_layer_roofline(llm_shape("llama2-7b"), device("nvidia_A100"), q);
  const LlmOp& fa = op(ops, "fused_attention");
  CHECK(fa.ops == 2 * (2.0 * 1024 * 1024 * 128 * 32) + 5.0 * 32 * 1024 * 1024);
  // B_r = min(ceil(27.65e6 / (2 * 128)), 128) = 128: ceil(1024 / 128) = 8 row blocks
  CHECK(fa.load_kv_cache == 8.0 * 1024 * 128 * 32 * 2);
  CHECK(fa.load_act == 1024.0 * 128 * 32 * 2);
  CHECK(fa.store_act == 2.0 * 1024 * 1024 * 32 * 2);
  CHECK_THROWS_WITH(device("tpu_v9"), Catch::Contains("unknown device"));
  CHECK_THROWS_WITH(llm_shape("gpt5"), Catch::Contains("unknown model"));
}

TEST_CASE("default mode fixes LLM-Viewer's quirks, each by the hand-derived amount", "[model][analytic][llm]") {
  LlmQuery q;  // compat off
  const auto ops = llm_layer_roofline(llm_shape("llama2-7b"), device("nvidia_A100"), q);
  CHECK(op(ops, "mlp_act").ops == 2.0 * 1024 * 11008);  // sized by the ffn width
  CHECK(op(ops, "lm_head").ops == 2.0 * 4096 * 32000 * 1024);  // 2 per MAC, every prefill token
  CHECK(op(ops, "lm_head").load_weight == 4096.0 * 32000 * 2);
  // W8A8 with a 16-bit KV cache: the linears run at the INT8 peak, attention at the FP16 one
  LlmQuery p;
  p.w_bits = p.a_bits = 8;
  const auto w8 = llm_layer_roofline(llm_shape("llama2-7b"), device("nvidia_A100"), p);
  CHECK(op(w8, "q_proj").time_s == Approx(34359738368.0 / 624e12).epsilon(1e-12));
  // flash attention: output s x d per head, K and V reloaded with H_kv heads per row block
  q.flash_attention = true;
  const LlmOp& fa = op(llm_layer_roofline(llm_shape("llama2-7b"), device("nvidia_A100"), q), "fused_attention");
  CHECK(fa.store_act == 1024.0 * 128 * 32 * 2);
  CHECK(fa.load_kv_cache == 2 * 8.0 * 1024 * 128 * 32 * 2);
}

TEST_CASE("model footprint: parameter counts as published, KV cache in closed form", "[model][analytic][llm]") {
  // Meta's published parameter counts (the checkpoints' tensor sizes summed).
  LlmQuery q;
  const LlmFootprint f7 = llm_footprint(llm_shape("llama2-7b"), q);
  CHECK(f7.params == 6738415616.0);
  CHECK(f7.weight_bytes == 2 * 6738415616.0);
  CHECK(llm_footprint(llm_shape("llama2-13b"), q).params == 13015864320.0);
  // KV cache: K and V, 32 layers, 4096 values per token each, at 8 bits: 256 KiB per token.
  q.kv_bits = 8;
  q.seqlen = 4096;
  q.batch = 3;
  CHECK(llm_footprint(llm_shape("llama2-7b"), q).kv_cache_bytes == 3.0 * 4096 * 256 * 1024);
}

TEST_CASE("group-wise weight metadata: an FP16 scale and a zero point per group of each linear", "[model][analytic][llm]") {
  LlmQuery q;
  q.stage = "decode";
  q.w_bits = 4;
  const LlmShape m = llm_shape("llama2-7b");
  const Device d = device("nvidia_A100");
  const std::vector<LlmOp> plain = llm_layer_roofline(m, d, q);
  q.w_group = 128;
  const std::vector<LlmOp> grouped = llm_layer_roofline(m, d, q);
  // q_proj: 4096 x 4096 weights in groups of 128 -> 131072 groups x (2 + 0.5) bytes = 327680 bytes
  CHECK(op(grouped, "q_proj").load_meta == 327680);
  CHECK(op(grouped, "q_proj").bytes() == op(plain, "q_proj").bytes() + 327680);
  // down_proj: 11008 x 4096 / 128 = 352256 groups
  CHECK(op(grouped, "down_proj").load_meta == 352256 * 2.5);
  CHECK(op(grouped, "qk_matmul").load_meta == 0);
  CHECK(op(grouped, "q_proj").time_s > op(plain, "q_proj").time_s);  // decode linears are memory bound
  // footprint: 32 layers x 202375168 linear weights / 128 x 2.5 bytes
  CHECK(llm_footprint(m, q).meta_bytes == 32.0 * 202375168 / 128 * 2.5);
  q.compat = true;
  CHECK_THROWS_WITH(llm_layer_roofline(m, d, q), Catch::Contains("no quantization metadata"));
}
