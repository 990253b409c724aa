#include "models/analytic/llm_roofline.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace qtsim::model {

LlmShape llm_shape(const std::string& name) {
  LlmShape m;
  m.name = name;
  if (name == "llama2-7b") return m;
  if (name == "llama2-13b") {
    m.hidden = 5120, m.heads = m.kv_heads = 40, m.ffn = 13824, m.layers = 40;
    return m;
  }
  throw std::invalid_argument("unknown model '" + name + "' (llama2-7b, llama2-13b)");
}

Device device(const std::string& name) {
  struct Row {
    const char* name;
    double tbps, fp16, int8, mb;
  };
  static const Row table[] = {{"nvidia_A100", 1.555, 312, 624, 27.65}, {"nvidia_A100_80G", 2.039, 312, 624, 27.65},
                              {"nvidia_H100", 3.072, 989.5, 1979, 33.79}, {"nvidia_H100_PCIe", 2.048, 756.5, 1513, 29.18},
                              {"nvidia_V100", 0.900, 112, 62, 20.48},     {"nvidia_A6000", 0.768, 154.8, 309.7, 21.50},
                              {"nvidia_A40", 0.696, 149.7, 299.3, 21.50}, {"nvidia_L40", 0.864, 181, 362, 36.35}};
  for (const Row& r : table)
    if (name == r.name) return {r.name, r.tbps * 1e12, r.fp16 * 1e12, r.int8 * 1e12, r.mb * 1e6};
  throw std::invalid_argument("unknown device '" + name + "' (nvidia_A100, nvidia_A100_80G, nvidia_H100, nvidia_H100_PCIe, "
                              "nvidia_V100, nvidia_A6000, nvidia_A40, nvidia_L40)");
}

LlmFootprint llm_footprint(const LlmShape& m, const LlmQuery& q) {
  const double h = static_cast<double>(m.hidden), kv = h * static_cast<double>(m.kv_heads) / static_cast<double>(m.heads);
  const double layer = 2 * h * h + 2 * h * kv + 3 * h * static_cast<double>(m.ffn) + 2 * h;  // q,o; k,v; MLP; two norms
  LlmFootprint f;
  f.params = static_cast<double>(m.layers) * layer + 2 * static_cast<double>(m.vocab) * h + h;
  f.weight_bytes = f.params * q.w_bits / 8.0;
  if (q.w_group > 0) {
    const double linears = static_cast<double>(m.layers) * (2 * h * h + 2 * h * kv + 3 * h * static_cast<double>(m.ffn));
    f.meta_bytes = linears / static_cast<double>(q.w_group) * (16 + q.w_bits) / 8.0;
  }
  f.kv_cache_bytes = 2 * static_cast<double>(m.layers * q.batch * q.seqlen) * kv * q.kv_bits / 8.0;
  return f;
}

std::vector<LlmOp> llm_layer_roofline(const LlmShape& m, const Device& dev, const LlmQuery& q) {
  if (q.stage != "prefill" && q.stage != "decode") throw std::invalid_argument("stage must be prefill or decode");
  if (q.seqlen < 1 || q.batch < 1) throw std::invalid_argument("seqlen and batch must be >= 1");
  for (int bits : {q.w_bits, q.a_bits, q.kv_bits})
    if (bits != 16 && bits != 8 && bits != 4 && bits != 2 && bits != 1) throw std::invalid_argument("bit widths must be 16, 8, 4, 2 or 1");
  if (q.w_group < 0) throw std::invalid_argument("w_group must be >= 0");
  if (q.w_group > 0 && q.compat) throw std::invalid_argument("w_group: LLM-Viewer counts no quantization metadata; drop compat");
  const bool prefill = q.stage == "prefill";
  const double w = q.w_bits / 8.0, a = q.a_bits / 8.0, k = q.kv_bits / 8.0;
  const double b = static_cast<double>(q.batch), s = static_cast<double>(q.seqlen);
  const double h = static_cast<double>(m.hidden), H = static_cast<double>(m.heads), Hkv = static_cast<double>(m.kv_heads);
  const double f = static_cast<double>(m.ffn), d = h / H;
  const double T = prefill ? b * s : b;  // tokens processed
  const bool fix = !q.compat;
  std::vector<LlmOp> ops;

  auto linear = [&](const char* name, double ic, double oc, bool to_kv) {
    LlmOp o;
    o.name = name;
    o.ops = 2 * ic * oc * T;
    o.load_weight = ic * oc * w;
    if (q.w_group > 0) o.load_meta = ic * oc / static_cast<double>(q.w_group) * (16 + q.w_bits) / 8.0;
    o.load_act = ic * T * a;
    if (to_kv) o.store_kv_cache = oc * T * k;  // k_proj and v_proj write the KV cache instead of activations
    else o.store_act = oc * T * a;
    ops.push_back(o);
  };
  linear("q_proj", h, h, false);
  linear("k_proj", h, h * Hkv / H, true);
  linear("v_proj", h, h * Hkv / H, true);
  linear("out_proj", h, h, false);
  linear("gate_proj", h, f, false);
  linear("up_proj", h, f, false);
  linear("down_proj", f, h, false);

  const double scores = prefill ? s * s * H * b : s * H * b;
  const double mm_ops = prefill ? 2 * s * s * d * H * b : 2 * s * d * H * b;
  if (q.flash_attention) {
    LlmOp o;
    o.name = "fused_attention";
    o.ops = 2 * mm_ops + 5 * scores;
    const double block_r = std::min(std::ceil(dev.onchip_bytes / (k * d)), d);
    const double blocks = prefill ? std::ceil(s / block_r) : 1;
    o.load_act = (prefill ? s : 1) * d * b * H * a;  // Q read once
    // LLM-Viewer charges two score-sized output stores and reloads K/V with H heads; fixed: the output is
    // s x d per head, and K and V (H_kv heads each) are reloaded once per row block.
    o.store_act = fix ? (prefill ? s : 1) * d * b * H * a : 2 * (prefill ? s * s : s) * b * H * a;
    o.load_kv_cache = fix ? 2 * blocks * s * d * b * Hkv * k : blocks * s * d * b * H * k;
    ops.push_back(o);
  } else {
    LlmOp qk;
    qk.name = "qk_matmul";
    qk.ops = mm_ops;
    // LLM-Viewer's prefill reads Q with H_kv heads; fixed: H heads
    qk.load_act = prefill ? s * d * (fix ? H : Hkv) * b * a : d * H * b * a;
    qk.store_act = scores * a;
    qk.load_kv_cache = s * d * Hkv * b * k;
    ops.push_back(qk);
    LlmOp sv;
    sv.name = "sv_matmul";
    sv.ops = mm_ops;
    sv.load_act = scores * a;
    sv.load_kv_cache = s * d * Hkv * b * k;
    sv.store_act = (prefill ? s : 1) * d * H * b * a;
    ops.push_back(sv);
    LlmOp sm;
    sm.name = "softmax";
    sm.ops = 5 * scores;
    sm.load_act = sm.store_act = scores * a;
    ops.push_back(sm);
  }
  auto elementwise = [&](const char* name, double per_element, double loads, double width) {
    LlmOp o;
    o.name = name;
    o.ops = per_element * T * width;
    o.load_act = loads * T * width * a;
    o.store_act = T * width * a;
    ops.push_back(o);
  };
  elementwise("attn_norm", 7, 1, h);
  elementwise("mlp_norm", 7, 1, h);
  elementwise("attn_add", 1, 1, h);
  elementwise("mlp_add", 1, 1, h);
  elementwise("mlp_act", 2, 2, fix ? f : h);  // LLM-Viewer sizes it by the hidden width; fixed: the ffn width
  if (fix) {  // the model's head, for every token processed (LLM-Viewer counts MACs of one token, per model)
    LlmOp o;
    o.name = "lm_head";
    const double V = static_cast<double>(m.vocab);
    o.ops = 2 * h * V * T;
    o.load_weight = h * V * w;
    o.load_act = h * T * a;
    o.store_act = V * T * a;
    ops.push_back(o);
  }

  // LLM-Viewer: the INT8 peak only when weights, activations and KV cache are all 8 bits or fewer. Fixed: each
  // op at the precision it computes in (linears: weights and activations; attention: activations and KV).
  const bool all8 = q.w_bits <= 8 && q.a_bits <= 8 && q.kv_bits <= 8;
  for (LlmOp& o : ops) {
    const bool attention = o.name == "qk_matmul" || o.name == "sv_matmul" || o.name == "fused_attention";
    const bool weights = o.load_weight > 0;
    const bool int8 = !fix ? all8
                           : (weights ? q.w_bits <= 8 && q.a_bits <= 8
                                      : attention ? q.a_bits <= 8 && q.kv_bits <= 8 : q.a_bits <= 8);
    const double peak = int8 ? dev.int8_ops : dev.fp16_ops;
    o.intensity = o.ops / o.bytes();
    o.bound = o.intensity < peak / dev.bandwidth ? "memory" : "compute";
    o.time_s = o.ops / std::min(peak, o.intensity * dev.bandwidth);
  }
  return ops;
}

}  // namespace qtsim::model
