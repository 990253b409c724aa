// LLaMA-2-7B roofline against numbers derived by hand from LLM-Viewer's counting rules (docs/roofline.md) and
// against LLM-Viewer's own output: h = 4096, 32 heads of d = 128, ffn 11008.
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

TEST_CASE("flash attention fuses qk, softmax and sv: K and V reloaded once per row block", "[model][analytic][llm]") {
  LlmQuery q;
  q.compat = true;
  q.flash_attention = true;
  const auto ops = llm_layer_roofline(llm_shape("llama2-7b"), device("nvidia_A100"), q);
  const LlmOp& fa = op(ops, "fused_attention");
  CHECK(fa.ops == 2 * (2.0 * 1024 * 1024 * 128 * 32) + 5.0 * 32 * 1024 * 1024);
  // B_r = min(ceil(27.648e6 / (2 * 128)), 128) = 128: ceil(1024 / 128) = 8 row blocks, K and V each
  CHECK(fa.load_kv_cache == 2 * 8.0 * 1024 * 128 * 32 * 2);
  CHECK(fa.load_act == 1024.0 * 128 * 32 * 2);
  CHECK(fa.store_act == 2 * 1024.0 * 128 * 32 * 2);  // LLM-Viewer: "initialize O and save O"
  CHECK_THROWS_WITH(device("tpu_v9"), Catch::Contains("unknown device"));
  CHECK_THROWS_WITH(llm_shape("gpt5"), Catch::Contains("unknown model"));
}

// LLM-Viewer's own output: its model_analyzer.py at commit df2cba9 (hahnyuan/LLM-Viewer), run unmodified on
// Llama-2-7b's config and nvidia_A100 (ModelAnalyzer.analyze(seqlen, batchsize, w_bit, a_bit, kv_bit,
// use_flashattention)), its "lm_head" and "fused_attention" rows and its total_results, copied as printed.
namespace {
struct ViewerCase {
  int64_t seqlen, batch;
  int w, a, kv;
  bool flash;
  const char* stage;
  // TOTAL: OPs, load_weight, load_act, store_act, load_kv_cache, store_kv_cache, inference_time
  double ops, load_weight, load_act, store_act, load_kv, store_kv, time_s;
};
const ViewerCase kViewer[] = {
    {1024, 1, 16, 16, 16, false, "prefill", 13820530524160, 13214154752, 8506056704, 8153790976, 536870912, 536870912, 0.05079127450596225},
    {1024, 1, 16, 16, 16, false, "decode", 13627555840, 13214154752, 8314880, 8026624, 536870912, 524288, 0.008853949489389067},
    {1024, 1, 16, 16, 16, true, "prefill", 13820530524160, 13214154752, 4211089408, 4127259136, 4294967296, 536870912, 0.047856610356766104},
    {1024, 1, 16, 16, 16, true, "decode", 13627555840, 13214154752, 4120576, 4094464, 536870912, 524288, 0.008848723467524116},
    {1024, 1, 8, 8, 8, false, "prefill", 13820530524160, 6607077376, 4253028352, 4076895488, 268435456, 268435456, 0.025395637252981124},
    {1024, 1, 8, 8, 8, false, "decode", 13627555840, 6607077376, 4157440, 4013312, 268435456, 262144, 0.004426974744694534},
    {1024, 1, 4, 16, 16, true, "prefill", 13820530524160, 3303538688, 4211089408, 4127259136, 4294967296, 536870912, 0.04773017434390437},
    {1024, 1, 4, 16, 16, true, "decode", 13627555840, 3303538688, 4120576, 4094464, 536870912, 524288, 0.0024753369311897107},
    {2048, 4, 8, 8, 8, true, "prefill", 115004716089344, 6607077376, 16844328960, 16508812544, 34359738368, 2147483648, 0.2018843915955532},
    {2048, 4, 8, 8, 8, true, "decode", 56678678528, 6607077376, 8228864, 8092928, 2147483648, 1048576, 0.005641113435369775},
    {512, 2, 4, 4, 4, true, "prefill", 13543099334656, 3303538688, 1052772352, 1031814784, 536870912, 134217728, 0.011618897983403745},
    {512, 2, 4, 4, 4, true, "decode", 26712997888, 3303538688, 2058240, 2031232, 134217728, 262144, 0.0022135742971061086},
};
LlmQuery viewer_query(const ViewerCase& c) {
  LlmQuery q;
  q.compat = true;
  q.stage = c.stage, q.seqlen = c.seqlen, q.batch = c.batch;
  q.w_bits = c.w, q.a_bits = c.a, q.kv_bits = c.kv, q.flash_attention = c.flash;
  return q;
}
}  // namespace

TEST_CASE("compat mode equals LLM-Viewer's own TOTAL on twelve queries", "[model][analytic][llm]") {
  for (const ViewerCase& c : kViewer) {
    INFO("seqlen " << c.seqlen << " batch " << c.batch << " W" << c.w << "A" << c.a << "KV" << c.kv << (c.flash ? " flash " : " ") << c.stage);
    const auto rows = llm_layer_roofline(llm_shape("llama2-7b"), device("nvidia_A100"), viewer_query(c));
    const LlmOp t = llm_total(rows);
    // byte and OP counters are integers in both tools: equal exactly
    CHECK(t.ops == c.ops);
    CHECK(t.load_weight == c.load_weight);
    CHECK(t.load_act == c.load_act);
    CHECK(t.store_act == c.store_act);
    CHECK(t.load_kv_cache == c.load_kv);
    CHECK(t.store_kv_cache == c.store_kv);
    CHECK(t.time_s == Approx(c.time_s).epsilon(1e-12));  // a sum of quotients, summed in another order
  }
}

TEST_CASE("compat lm_head and fused_attention rows equal LLM-Viewer's", "[model][analytic][llm]") {
  // decode and prefill alike: one token per sequence, one OP per MAC, activations not scaled by the batch
  for (const char* stage : {"prefill", "decode"}) {
    const ViewerCase& c = kViewer[8];  // seqlen 2048, batch 4, W8A8KV8, flash
    LlmQuery q = viewer_query(c);
    q.stage = stage;
    const auto rows = llm_layer_roofline(llm_shape("llama2-7b"), device("nvidia_A100"), q);
    const LlmOp& head = op(rows, "lm_head");
    CHECK(head.count == 1);
    CHECK(head.ops == 524288000);
    CHECK(head.load_weight == 131072000);
    CHECK(head.load_act == 4096);
    CHECK(head.store_act == 32000);
    CHECK(head.time_s == Approx(8.43138881028939e-05).epsilon(1e-12));
    const LlmOp& fa = op(rows, "fused_attention");
    CHECK(fa.count == 32);
    const bool prefill = std::string(stage) == "prefill";
    CHECK(fa.ops == (prefill ? 277562261504 : 135528448));
    CHECK(fa.load_act == (prefill ? 33554432 : 16384));
    CHECK(fa.store_act == (prefill ? 67108864 : 32768));
    CHECK(fa.load_kv_cache == (prefill ? 1073741824 : 67108864));
    CHECK(fa.time_s == Approx(prefill ? 0.0007552444501607717 : 4.31884347266881e-05).epsilon(1e-12));
  }
  // W4A4KV4: every op at the INT4 peak (1248 TOPS); prefill q_proj is compute bound there
  const auto w4 = llm_layer_roofline(llm_shape("llama2-7b"), device("nvidia_A100"), viewer_query(kViewer[10]));
  CHECK(op(w4, "q_proj").bound == "compute");
  CHECK(op(w4, "q_proj").time_s == Approx(2.7531841641025642e-05).epsilon(1e-12));
  // H100 has no INT4 tier: the INT8 one
  CHECK(device("nvidia_H100").peak(4) == 3958e12 / 2);
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
  CHECK(fa.store_act == 1024.0 * 128 * 32 * 2);  // stored once
  CHECK(fa.load_kv_cache == 2 * 8.0 * 1024 * 128 * 32 * 2);
  // the whole model: 32 layers and lm_head once
  const auto rows = llm_layer_roofline(llm_shape("llama2-7b"), device("nvidia_A100"), q);
  double layer = 0;
  for (const auto& o : rows)
    if (o.name != "lm_head") layer += o.ops;
  CHECK(llm_total(rows).ops == 32 * layer + 2.0 * 4096 * 32000 * 1024);
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
