// A whole DeiT-style ViT for small grey images (the Fashion-MNIST model of scripts/train_tiny_vit.py): loaded
// from model.json + model.safetensors, run in FP32 the way PyTorch runs it, calibrated I-ViT style on real
// images, and lowered to one integer Program (I-ViT's graph, SPEC 1.1: embedding, blocks, head).
#pragma once
#include <array>
#include <string>
#include <vector>

#include "golden/encoder.hpp"
#include "golden/lower.hpp"

namespace qtsim::golden {

struct VitConfig {
  int64_t image = 28, patch = 7, dim = 96, depth = 4, heads = 3, mlp = 192, classes = 10;
  float pixel_scale = 1.0f / 255, mean = 0, std = 1;  // input = (pixel * pixel_scale - mean) / std
  double fp32_accuracy = 0;                           // what PyTorch measured on the test set
  int64_t patches() const { return (image / patch) * (image / patch); }
  int64_t tokens() const { return patches() + 1; }
  EncoderDims block_dims() const;
};

struct VitModel {
  VitConfig cfg;
  FTensor patch_w;  // [dim, patch * patch], pixels in (row, col) order
  std::vector<float> patch_b;
  std::vector<float> cls;  // [dim]
  FTensor pos;             // [tokens, dim]
  std::vector<EncoderWeights> blocks;
  std::vector<float> norm_g, norm_b;
  FTensor head_w;  // [classes, dim]
  std::vector<float> head_b;
};

// DIR/model.json and DIR/model.safetensors; errors name the file, the tensor and what is wrong.
VitModel load_vit(const std::string& dir);

// One image (rows x cols uint8) as normalised float patches [patches, patch * patch], raster order.
FTensor vit_patches(const VitConfig& c, const uint8_t* pixels);

// The QuantAct sites outside the blocks: the normalised image, the patch embedding, the position embedding,
// the embedded tokens (block 0's input is this site), and the final LayerNorm's cls row before the head.
enum VitSite { v_image, v_patch, v_pos, v_embed, v_head_in, kVitSites };
struct VitObservers {
  std::array<ActObserver, kVitSites> model{};
  std::vector<EncoderObservers> blocks;
  std::vector<float> probs_max;  // per block, the largest attention probability (log-sqrt2 calibration)
};

// FP32 logits [classes]; observers see every site when given.
std::vector<float> vit_fp32(const VitModel& m, const FTensor& patches, VitObservers* obs = nullptr);

// The predicted class: the first largest logit (as torch.argmax), of the FP32 or the integer logits.
int64_t vit_class(const std::vector<float>& logits);
int64_t vit_class(const ITensor& logits);

// I-ViT calibration (EMA min/max, momentum 0.95) over `images` in batches of `batch`.
struct VitCalibration {
  std::array<float, kVitSites> scales{};
  std::vector<Calibration> blocks;
};
VitCalibration calibrate_vit(const VitModel& m, const std::vector<const uint8_t*>& images, int64_t batch = 32);

// The integer model: input "patches" (int8 at the calibrated image scale, [patches, patch * patch]), constant
// inputs "cls" ([1, dim] int16 at the patch-embedding scale) and "pos" ([tokens, dim] int16), output "logits"
// ([1, classes] int32 accumulators). Blocks are prefixed b0., b1., ...
Lowered lower_vit(const VitModel& m, const VitCalibration& cal, const LowerOptions& o);
// The image's integer patches for a lowered model (quantised at the image site's scale).
ITensor vit_input(const VitModel& m, const VitCalibration& cal, const uint8_t* pixels);

}  // namespace qtsim::golden
