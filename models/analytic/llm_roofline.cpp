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
  // LLM-Viewer's hardware_params.py (df2cba9): bandwidth TB/s, dense FP16/INT8/INT4 TOPS (0: no such tier),
  // on-chip buffer in kB
  struct Row {
    const char* name;
    double tbps, fp16, int8, int4, kb;
  };
  static const Row table[] = {{"nvidia_V100", 0.900, 112, 62, 0, 20480},
                              {"nvidia_A6000", 0.768, 154.8, 309.7, 619.4, 21504},
                              {"nvidia_A6000_Ada", 0.960, 364.2, 728.5, 1457, 36352},
                              {"nvidia_A100", 1.555, 312, 624, 1248, 27648},
                              {"nvidia_A100_40G", 1.555, 312, 624, 1248, 27648},
                              {"nvidia_A100_80G", 2.039, 312, 624, 1248, 27648},
                              {"nvidia_A800_80G_SXM", 2.039, 312, 624, 1248, 27648},
                              {"nvidia_A40", 0.696, 149.7, 299.3, 598.6, 21504},
                              {"nvidia_H100", 3.072, 1979.0 / 2, 3958.0 / 2, 0, 33792},
                              {"nvidia_H100_SXM", 3.072, 1979.0 / 2, 3958.0 / 2, 0, 33792},
                              {"nvidia_H100_PCIe", 2.048, 1513.0 / 2, 3026.0 / 2, 0, 29184},
                              {"nvidia_L40", 0.864, 181, 362, 724, 36352}};
  std::string names;
  for (const Row& r : table) {
    if (name == r.name) return {r.name, r.tbps * 1e12, r.fp16 * 1e12, r.int8 * 1e12, r.int4 * 1e12, r.kb * 1e3};
    names += (names.empty() ? "" : ", ") + std::string(r.name);
  }
  throw std::invalid_argument("unknown device '" + name + "' (" + names + ")");
}

double Device::peak(int bits) const {
  if (bits <= 4 && int4_ops > 0) return int4_ops;
  if (bits <= 8 && int8_ops > 0) return int8_ops;
  return fp16_ops;
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
    // K and V (H_kv heads each) reloaded once per row block. LLM-Viewer stores the output twice ("initialize
    // O and save O"); fixed: once, since O accumulates on chip.
    o.store_act = (fix ? 1 : 2) * (prefill ? s : 1) * d * b * H * a;
    o.load_kv_cache = 2 * blocks * s * d * b * Hkv * k;
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
  for (LlmOp& o : ops) o.count = static_cast<double>(m.layers);
  {
    // The model's head, once per model. LLM-Viewer counts it for one token per sequence with one OP per MAC
    // and activations not scaled by the batch; fixed: 2 OPs per MAC for every token processed.
    LlmOp o;
    o.name = "lm_head";
    const double V = static_cast<double>(m.vocab);
    o.ops = fix ? 2 * h * V * T : b * h * V;
    o.load_weight = h * V * w;
    o.load_act = h * (fix ? T : 1) * a;
    o.store_act = V * (fix ? T : 1) * a;
    ops.push_back(o);
  }

  // LLM-Viewer: one peak for every op, the tier of the widest of W, A and KV (INT4, INT8 or FP16, where the
  // device has it). Fixed: each op at the precision it computes in (linears: weights and activations;
  // attention: activations and KV; the rest: activations).
  const int widest = std::max({q.w_bits, q.a_bits, q.kv_bits});
  for (LlmOp& o : ops) {
    const bool attention = o.name == "qk_matmul" || o.name == "sv_matmul" || o.name == "fused_attention";
    const int bits = !fix ? widest : o.load_weight > 0 ? std::max(q.w_bits, q.a_bits) : attention ? std::max(q.a_bits, q.kv_bits) : q.a_bits;
    const double peak = dev.peak(bits);
    o.intensity = o.ops / o.bytes();
    o.bound = o.intensity < peak / dev.bandwidth ? "memory" : "compute";
    o.time_s = o.ops / std::min(peak, o.intensity * dev.bandwidth);
  }
  return ops;
}

LlmOp llm_total(const std::vector<LlmOp>& rows) {
  LlmOp t;
  t.name = "TOTAL";
  for (const LlmOp& o : rows) {
    t.ops += o.count * o.ops, t.time_s += o.count * o.time_s;
    t.load_weight += o.count * o.load_weight, t.load_act += o.count * o.load_act, t.store_act += o.count * o.store_act;
    t.load_kv_cache += o.count * o.load_kv_cache, t.store_kv_cache += o.count * o.store_kv_cache, t.load_meta += o.count * o.load_meta;
  }
  t.intensity = t.ops / t.bytes();
  t.bound = "-";
  return t;
}

}  // namespace qtsim::model
