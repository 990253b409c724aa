// Roofline of one LLaMA-style decoder layer on a device, with LLM-Viewer's counting rules (docs/roofline.md):
// per op the operations, the five byte counters, intensity, bound and time.
#pragma once
#include <string>
#include <vector>

namespace qtsim::model {

struct LlmShape {
  std::string name;
  int64_t hidden = 4096, heads = 32, kv_heads = 32, ffn = 11008, layers = 32, vocab = 32000;
};
LlmShape llm_shape(const std::string& name);  // llama2-7b, llama2-13b; throws for others

struct Device {
  std::string name;
  double bandwidth = 0;            // bytes per second
  double fp16_ops = 0, int8_ops = 0, int4_ops = 0;  // operations per second (dense; 0: the device has no such tier)
  double onchip_bytes = 0;
  // The peak of the narrowest tier that holds `bits`-bit operands (INT4, INT8, else FP16).
  double peak(int bits) const;
};
Device device(const std::string& name);  // LLM-Viewer's table: nvidia_A100, nvidia_H100, ...

struct LlmQuery {
  std::string stage = "prefill";  // prefill or decode
  int64_t seqlen = 1024, batch = 1;
  int w_bits = 16, a_bits = 16, kv_bits = 16;
  bool flash_attention = false;
  // Group-wise weights (as in GPTQ/AWQ/QA-LoRA): each group of w_group weights of a decoder linear carries an
  // FP16 scale and a w_bits zero point, loaded with the weights (load_meta). 0: none, as LLM-Viewer counts.
  int64_t w_group = 0;
  // true: LLM-Viewer's rules, quirks included (as its model_analyzer.py at df2cba9 counts). false (default):
  // the quirks fixed (docs/roofline.md lists each difference).
  bool compat = false;
};

struct LlmOp {
  std::string name;
  double ops = 0, load_weight = 0, load_act = 0, store_act = 0, load_kv_cache = 0, store_kv_cache = 0, load_meta = 0;
  double bytes() const { return load_weight + load_act + store_act + load_kv_cache + store_kv_cache + load_meta; }
  double intensity = 0, time_s = 0;
  std::string bound;
  double count = 1;  // times the row counts in the whole model: the layer count for a decoder row, 1 for lm_head
};

// What the whole model holds in memory: every parameter (decoder layers with their norms, embedding, final
// norm, lm_head) at w_bits, and the KV cache of `batch` sequences of `seqlen` tokens at kv_bits.
struct LlmFootprint {
  double params = 0, weight_bytes = 0, meta_bytes = 0, kv_cache_bytes = 0;  // meta: group scales and zeros
  double bytes() const { return weight_bytes + meta_bytes + kv_cache_bytes; }
};
LlmFootprint llm_footprint(const LlmShape& m, const LlmQuery& q);

// One decoder layer, op by op, in LLM-Viewer's order and names, then lm_head (count 1).
std::vector<LlmOp> llm_layer_roofline(const LlmShape& m, const Device& d, const LlmQuery& q);
// The whole model as LLM-Viewer totals it: every row's counters and time times its count, summed (the time is
// the sum of the rows' times, not the roofline of the sums); bound "-".
LlmOp llm_total(const std::vector<LlmOp>& rows);

}  // namespace qtsim::model
