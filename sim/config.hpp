// qtsim run configuration: parsed strictly from YAML (or the built-in default), with --set overrides, and
// echoed back fully resolved.
#pragma once
#include <yaml-cpp/yaml.h>

#include <memory>
#include <string>
#include <vector>

#include "golden/idx.hpp"
#include "golden/lower.hpp"
#include "golden/vit_model.hpp"
#include "models/hw/hw_config.hpp"
#include "sim/yaml_reader.hpp"

namespace qtsim::sim {

struct WorkloadConfig {
  enum class Kind { encoder, gemm, vit } kind = Kind::encoder;
  std::string model = "deit_tiny";
  std::string layer = "encoder";
  int64_t tokens = 197;
  int64_t m = 0, k = 0, n = 0;  // gemm
  // vit: a whole trained model (scripts/train_tiny_vit.py) on real IDX images
  std::string vit_dir;                                        // resolved against the config file's folder
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  int64_t images = 2, first_image = 0;                        // test images `qtsim run` takes
  int64_t calib_images = 512, calib_batch = 32;               // training images for I-ViT calibration
};

// qtsim eval: which schemes, on how many test images.
struct EvalConfig {
  int64_t images = 10000;
  std::vector<std::string> schemes{"fp32", "int8", "w4a8", "w4a8_g32", "logsqrt2"};
};

struct RunConfig {
  // golden; model: the accelerator with run.impl's units; rtl: the same accelerator with every unit as RTL
  std::vector<std::string> executors{"golden", "model"};
  uint64_t seed = 1;
  int calib_batches = 4;
  // The most simulated cycles `qtsim run` starts without --force, as the analytic model estimates them
  // (docs/cli.md, "Limits"): about five minutes of the machine at its 3.4 Mcycles/s.
  int64_t max_cycles = 1'000'000'000;
};

struct Config {
  std::string source = "<built-in default>";
  std::string hw_preset = "int8_16x16_ws";
  model::HwConfig hw;
  WorkloadConfig workload;
  golden::LowerOptions quant;
  RunConfig run;
  EvalConfig eval;
};

// The built-in default: a DeiT-Tiny INT8 encoder layer, 197 tokens, seed 1, on a 16x16 weight-stationary
// array, through the golden and the cycle model (qtsim run adds the rtl executor to it).
const char* default_config_yaml();

// hw with every unit as RTL: the rtl executor's accelerator.
model::HwConfig all_rtl(model::HwConfig hw);

// Sets root[a][b][c] = value for path "a.b.c", creating maps on the way.
void set_key(YAML::Node& root, const std::string& path, const YAML::Node& value);

// `sets` are "key.path=value" overrides applied before validation. Throws ConfigError.
// `defaults` (key.path=value) apply before `sets` and are the command's own: errors in them name the file.
Config load_config(const std::string& path, const std::vector<std::string>& sets, const std::vector<std::string>& defaults = {});
Config parse_config(const YAML::Node& root, const std::string& file, std::shared_ptr<const SetOrigins> sets = nullptr);
// Named accelerator presets (deltas on the default 16x16 weight-stationary array): int8_16x16_ws,
// int8_16x16_os, w4a8_32x32_ws, binary_64. Throws std::invalid_argument for an unknown name.
model::HwConfig hw_preset(const std::string& name);
YAML::Node resolved_yaml(const Config& c);

// The lowered workload, with the float weights and inputs it came from when it is an encoder, or the model,
// its calibration and the test images when it is a whole ViT.
struct VitWorkload {
  golden::VitModel model;
  golden::VitCalibration cal;
  golden::IdxImages test;
  std::vector<uint8_t> labels;
};
struct Workload {
  golden::Lowered lowered;
  bool has_float = false;
  golden::EncoderCase encoder;
  std::shared_ptr<const VitWorkload> vit;  // inputs hold image first_image
};
// The model, calibrated on the first calib_images training images, with the test set.
std::shared_ptr<const VitWorkload> load_vit_workload(const WorkloadConfig& w);
// LowerOptions of an eval scheme: fp32 (none), int8, w4a8, w4a8_g32, logsqrt2.
golden::LowerOptions scheme_options(const std::string& scheme, const golden::LowerOptions& base);
Workload build_workload(const Config& c);

}  // namespace qtsim::sim
