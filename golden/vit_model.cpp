#include "golden/vit_model.hpp"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "golden/float_ops.hpp"
#include "golden/program_builder.hpp"
#include "golden/safetensors.hpp"

namespace qtsim::golden {

EncoderDims VitConfig::block_dims() const {
  EncoderDims d;
  d.model = "vit";
  d.tokens = tokens(), d.dim = dim, d.heads = heads, d.mlp = mlp;
  return d;
}

namespace {

// A float tensor of the checkpoint with the shape the architecture says it has.
struct Checkpoint {
  std::string file;
  std::map<std::string, NpyArray> t;
  FTensor get(const std::string& name, const Shape& shape) const {
    const auto it = t.find(name);
    if (it == t.end()) throw std::runtime_error(file + ": no tensor '" + name + "'");
    FTensor f = npy_to_float(it->second, file + ": " + name);
    // Size-1 axes aside ([1, D] for [D], [1, T, D] for [T, D]), the shape must be the architecture's.
    auto squeeze = [](Shape s) {
      s.erase(std::remove(s.begin(), s.end(), int64_t{1}), s.end());
      return s;
    };
    if (squeeze(f.shape) != squeeze(shape)) {
      std::string want, got;
      for (auto v : shape) want += (want.empty() ? "" : "x") + std::to_string(v);
      for (auto v : f.shape) got += (got.empty() ? "" : "x") + std::to_string(v);
      throw std::runtime_error(file + ": " + name + " has shape " + got + ", the architecture needs " + want);
    }
    f.shape = shape;
    return f;
  }
  std::vector<float> vec(const std::string& name, int64_t n) const { return get(name, {n}).data; }
};

}  // namespace

VitModel load_vit(const std::string& dir) {
  const std::string json_file = dir + "/model.json";
  std::ifstream jf(json_file);
  if (!jf) throw std::runtime_error(json_file + ": cannot open");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(jf);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(json_file + ": " + e.what());
  }
  VitModel m;
  VitConfig& c = m.cfg;
  try {
    const auto& a = j.at("architecture");
    // whole numbers only: a float such as 2e33 has no int64 value (its conversion is undefined)
    auto whole = [&](const char* key) {
      const nlohmann::json& v = a.at(key);
      if (!v.is_number_integer()) throw std::runtime_error(json_file + ": architecture." + key + " must be an integer, not " + v.dump());
      return v.get<int64_t>();
    };
    c.image = whole("image"), c.patch = whole("patch"), c.dim = whole("dim"), c.depth = whole("depth");
    c.heads = whole("heads"), c.mlp = whole("mlp"), c.classes = whole("classes");
    if (static_cast<float>(a.at("layernorm_eps").get<double>()) != kLayerNormEps)
      throw std::runtime_error(json_file + ": layernorm_eps must be 1e-6 (the golden's LayerNorm)");
    const auto& in = j.at("input");
    c.pixel_scale = in.at("scale"), c.mean = in.at("mean"), c.std = in.at("std");
    c.fp32_accuracy = j.value("fp32_test_accuracy", 0.0);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(json_file + ": " + e.what());
  }
  if (c.patch < 1 || c.image % c.patch != 0) throw std::runtime_error(json_file + ": patch must divide image");
  try {
    c.block_dims().check();
  } catch (const std::invalid_argument& e) {  // dims that divide no head: the file's fault, named
    throw std::runtime_error(json_file + ": architecture: " + e.what());
  }

  Checkpoint ck{dir + "/model.safetensors", read_safetensors(dir + "/model.safetensors")};
  const int64_t D = c.dim, pp = c.patch * c.patch;
  m.patch_w = ck.get("patch_embed.weight", {D, pp});
  m.patch_b = ck.vec("patch_embed.bias", D);
  m.cls = ck.vec("cls_token", D);
  m.pos = ck.get("pos_embed", {c.tokens(), D});
  for (int64_t i = 0; i < c.depth; ++i) {
    const std::string b = "blocks." + std::to_string(i) + ".";
    EncoderWeights w;
    w.ln1_g = ck.vec(b + "norm1.weight", D), w.ln1_b = ck.vec(b + "norm1.bias", D);
    w.qkv_w = ck.get(b + "qkv.weight", {3 * D, D}), w.qkv_b = ck.vec(b + "qkv.bias", 3 * D);
    w.proj_w = ck.get(b + "proj.weight", {D, D}), w.proj_b = ck.vec(b + "proj.bias", D);
    w.ln2_g = ck.vec(b + "norm2.weight", D), w.ln2_b = ck.vec(b + "norm2.bias", D);
    w.fc1_w = ck.get(b + "fc1.weight", {c.mlp, D}), w.fc1_b = ck.vec(b + "fc1.bias", c.mlp);
    w.fc2_w = ck.get(b + "fc2.weight", {D, c.mlp}), w.fc2_b = ck.vec(b + "fc2.bias", D);
    m.blocks.push_back(std::move(w));
  }
  m.norm_g = ck.vec("norm.weight", D), m.norm_b = ck.vec("norm.bias", D);
  m.head_w = ck.get("head.weight", {c.classes, D});
  m.head_b = ck.vec("head.bias", c.classes);
  return m;
}

FTensor vit_patches(const VitConfig& c, const uint8_t* pixels) {
  const int64_t p = c.patch, per_row = c.image / p;
  FTensor out({c.patches(), p * p});
  for (int64_t py = 0; py < per_row; ++py)
    for (int64_t px = 0; px < per_row; ++px)
      for (int64_t y = 0; y < p; ++y)
        for (int64_t x = 0; x < p; ++x) {
          // float32 as PyTorch computes it: (pixel / 255 - mean) / std
          const float v = static_cast<float>(pixels[(py * p + y) * c.image + px * p + x]) / 255.0f;
          out[(py * per_row + px) * p * p + y * p + x] = (v - c.mean) / c.std;
        }
  return out;
}

std::vector<float> vit_fp32(const VitModel& m, const FTensor& patches, VitObservers* obs) {
  const VitConfig& c = m.cfg;
  const int64_t T = c.tokens(), D = c.dim;
  auto site = [&](int s, const FTensor& v) {
    if (obs) obs->model[static_cast<size_t>(s)].observe(v);
  };
  site(v_image, patches);
  const FTensor pe = linear(patches, m.patch_w, m.patch_b);
  site(v_patch, pe);
  site(v_pos, m.pos);
  FTensor x({T, D});
  std::copy(m.cls.begin(), m.cls.end(), x.data.begin());
  std::copy(pe.data.begin(), pe.data.end(), x.data.begin() + D);
  x = add(x, m.pos);
  site(v_embed, x);
  if (obs) obs->blocks.resize(static_cast<size_t>(c.depth)), obs->probs_max.resize(static_cast<size_t>(c.depth), 0.0f);
  for (int64_t i = 0; i < c.depth; ++i) {
    const size_t k = static_cast<size_t>(i);
    x = encoder_fp32(x, m.blocks[k], c.block_dims(), obs ? &obs->blocks[k] : nullptr, nullptr, obs ? &obs->probs_max[k] : nullptr);
  }
  const FTensor normed = layernorm(x, m.norm_g, m.norm_b, kLayerNormEps);
  FTensor cls({1, D});
  std::copy(normed.data.begin(), normed.data.begin() + D, cls.data.begin());
  site(v_head_in, cls);
  return linear(cls, m.head_w, m.head_b).data;
}

int64_t vit_class(const std::vector<float>& logits) {
  return std::max_element(logits.begin(), logits.end()) - logits.begin();
}
int64_t vit_class(const ITensor& logits) { return std::max_element(logits.data.begin(), logits.data.end()) - logits.data.begin(); }

VitCalibration calibrate_vit(const VitModel& m, const std::vector<const uint8_t*>& images, int64_t batch) {
  if (images.empty()) throw std::invalid_argument("calibration needs at least one image");
  if (batch < 1) throw std::invalid_argument("calibration batch must be >= 1");
  // I-ViT's QuantAct takes each batch's min and max and folds them into an EMA; here a batch is `batch`
  // images run one by one, their extremes combined before the EMA step.
  VitObservers ema;
  ema.blocks.resize(static_cast<size_t>(m.cfg.depth));
  std::vector<float> probs_max(static_cast<size_t>(m.cfg.depth), 0.0f);
  auto fold = [](ActObserver& into, const ActObserver& batch_obs) {
    const float mm[2] = {batch_obs.min, batch_obs.max};
    into.observe(mm, 2);
  };
  for (size_t b0 = 0; b0 < images.size(); b0 += static_cast<size_t>(batch)) {
    VitObservers ext;  // extremes of this batch
    bool first = true;
    for (size_t i = b0; i < std::min(images.size(), b0 + static_cast<size_t>(batch)); ++i) {
      VitObservers one;
      vit_fp32(m, vit_patches(m.cfg, images[i]), &one);
      for (size_t k = 0; k < probs_max.size(); ++k) probs_max[k] = std::max(probs_max[k], one.probs_max[k]);
      if (first) {
        ext = one;
        first = false;
        continue;
      }
      auto widen = [](ActObserver& e, const ActObserver& o) { e.min = std::min(e.min, o.min), e.max = std::max(e.max, o.max); };
      for (size_t s = 0; s < kVitSites; ++s) widen(ext.model[s], one.model[s]);
      for (size_t k = 0; k < ext.blocks.size(); ++k)
        for (size_t s = 0; s < kSites; ++s) widen(ext.blocks[k][s], one.blocks[k][s]);
    }
    for (size_t s = 0; s < kVitSites; ++s) fold(ema.model[s], ext.model[s]);
    for (size_t k = 0; k < ext.blocks.size(); ++k)
      for (size_t s = 0; s < kSites; ++s) fold(ema.blocks[k][s], ext.blocks[k][s]);
  }
  VitCalibration cal;
  const int bits[kVitSites] = {8, 16, 16, 16, 8};
  for (size_t s = 0; s < kVitSites; ++s) cal.scales[s] = ema.model[s].scale(bits[s]);
  for (size_t k = 0; k < ema.blocks.size(); ++k) {
    Calibration c;
    for (int s = 0; s < kSites; ++s) c.scales[static_cast<size_t>(s)] = ema.blocks[k][static_cast<size_t>(s)].scale(site_bits(s));
    c.probs_max = probs_max[k];
    cal.blocks.push_back(c);
  }
  return cal;
}

Lowered lower_vit(const VitModel& m, const VitCalibration& cal, const LowerOptions& o) {
  const VitConfig& c = m.cfg;
  const int64_t T = c.tokens(), D = c.dim;
  const auto& s = cal.scales;
  Lowered l;
  Program& p = l.program;
  p.name = "vit";
  // The patch embedding and the head keep 8-bit per-channel weights in every scheme, as is usual for the
  // first and last layers; the schemes differ in the blocks.
  LowerOptions o8;
  o8.rounding = o.rounding, o8.numerator = o.numerator;
  ProgramBuilder b{p, o8, "", {}};
  b.tensor("patches", {c.patches(), c.patch * c.patch}, int_type(8), {s[v_image]});
  b.linear("patch_embed", "patches", s[v_image], m.patch_w, m.patch_b, "patch_tokens", s[v_patch], 16);
  // The cls token joins in the float domain at the patch embedding's scale; the position embedding has its
  // own 16-bit scale and is added by a two-term residual (SPEC 1.1, embedding).
  b.tensor("cls", {1, D}, int_type(16), {s[v_patch]});
  b.tensor("tokens", {T, D}, int_type(16), {s[v_patch]});
  b.op(OpKind::concat_rows, "concat_cls", {"cls", "patch_tokens"}, {"tokens"});
  b.tensor("pos", {T, D}, int_type(16), {s[v_pos]});
  b.residual("embed", "pos", s[v_pos], "tokens", s[v_patch], s[v_embed]);
  std::string x = "embed";
  for (int64_t i = 0; i < c.depth; ++i) {
    const std::string prefix = "b" + std::to_string(i) + ".";
    lower_encoder_block(p, prefix, x, prefix + "out", c.block_dims(), m.blocks[static_cast<size_t>(i)],
                        cal.blocks[static_cast<size_t>(i)], o);
    x = prefix + "out";
  }
  b.layernorm("norm", x, m.norm_g, m.norm_b, "normed", s[v_head_in]);
  b.tensor("cls_out", {1, D}, int_type(8), {s[v_head_in]});
  b.op(OpKind::take_rows, "take_cls", {"normed"}, {"cls_out"}).row0 = 0;
  b.linear("head", "cls_out", s[v_head_in], m.head_w, m.head_b, "logits", 0, 0);
  p.inputs = {"patches", "cls", "pos"};
  p.outputs = {"logits"};
  p.check();
  l.inputs["cls"] = quantize_symmetric(FTensor({1, D}, m.cls), s[v_patch], 16);
  l.inputs["pos"] = quantize_symmetric(m.pos, s[v_pos], 16);
  return l;
}

ITensor vit_input(const VitModel& m, const VitCalibration& cal, const uint8_t* pixels) {
  return quantize_symmetric(vit_patches(m.cfg, pixels), cal.scales[v_image], 8);
}

}  // namespace qtsim::golden
