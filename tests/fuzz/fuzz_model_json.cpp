// model.json, the architecture and input normalisation of a trained ViT, as `qtsim eval` and the vit workload
// read it. The weights beside it are a fixed tiny checkpoint (image 4, patch 2, dim 4, one block of one head,
// mlp 8, two classes), so that a well-formed architecture reaches the shape checks against real tensors.
#include <sys/stat.h>

#include <map>
#include <stdexcept>

#include "golden/safetensors.hpp"
#include "golden/vit_model.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace {
using namespace qtsim;

std::string model_dir() {
  const std::string dir = fuzz::scratch_path("vit_dir");
  mkdir(dir.c_str(), 0755);
  fuzz::scratch().add(dir + "/model.safetensors");
  fuzz::scratch().add(dir + "/model.json");
  std::map<std::string, golden::NpyArray> t;
  auto put = [&](const std::string& name, golden::Shape shape) {
    golden::NpyArray a;
    a.dtype = golden::DType::f32;
    a.shape = shape;
    a.bytes.assign(static_cast<size_t>(golden::numel(shape) * 4), 0);
    t[name] = a;
  };
  const int64_t D = 4, mlp = 8, tokens = 5, classes = 2;
  put("patch_embed.weight", {D, 4}), put("patch_embed.bias", {D}), put("cls_token", {1, D}), put("pos_embed", {tokens, D});
  const std::string b = "blocks.0.";
  put(b + "norm1.weight", {D}), put(b + "norm1.bias", {D}), put(b + "qkv.weight", {3 * D, D}), put(b + "qkv.bias", {3 * D});
  put(b + "proj.weight", {D, D}), put(b + "proj.bias", {D}), put(b + "norm2.weight", {D}), put(b + "norm2.bias", {D});
  put(b + "fc1.weight", {mlp, D}), put(b + "fc1.bias", {mlp}), put(b + "fc2.weight", {D, mlp}), put(b + "fc2.bias", {D});
  put("norm.weight", {D}), put("norm.bias", {D}), put("head.weight", {classes, D}), put("head.bias", {classes});
  golden::write_file_atomic(dir + "/model.safetensors", golden::encode_safetensors(t));
  return dir;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string dir = model_dir();
  const std::string json = fuzz::input_file("vit.json", data, size);
  if (std::rename(json.c_str(), (dir + "/model.json").c_str()) != 0) __builtin_trap();
  try {
    golden::load_vit(dir);
  } catch (const std::runtime_error&) {
  }
  return 0;
}
