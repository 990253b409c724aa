// qtsim run configuration: parsed strictly from YAML (or the built-in default), with --set overrides, and
// echoed back fully resolved.
#pragma once
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "golden/lower.hpp"
#include "models/accelerator.hpp"
#include "sim/yaml_reader.hpp"

namespace qtsim::sim {

struct WorkloadConfig {
  enum class Kind { encoder, gemm } kind = Kind::encoder;
  std::string model = "deit_tiny";
  std::string layer = "encoder";
  int64_t tokens = 197;
  int64_t m = 0, k = 0, n = 0;  // gemm
};

struct RunConfig {
  std::vector<std::string> executors{"golden", "model"};
  uint64_t seed = 1;
  int calib_batches = 4;
};

struct Config {
  std::string source = "<built-in default>";
  std::string hw_preset = "int8_16x16_ws";
  model::HwConfig hw;
  WorkloadConfig workload;
  golden::LowerOptions quant;
  RunConfig run;
};

// The built-in default: a DeiT-Tiny INT8 encoder layer, 197 tokens, seed 1, on a 16x16 weight-stationary
// array, through the golden and the cycle model.
const char* default_config_yaml();

// Sets root[a][b][c] = value for path "a.b.c", creating maps on the way.
void set_key(YAML::Node& root, const std::string& path, const YAML::Node& value);

// `sets` are "key.path=value" overrides applied before validation. Throws ConfigError.
Config load_config(const std::string& path, const std::vector<std::string>& sets);
Config parse_config(const YAML::Node& root, const std::string& file);
// Named accelerator presets (deltas on the default 16x16 weight-stationary array): int8_16x16_ws,
// int8_16x16_os, w4a8_32x32_ws, binary_64. Throws std::invalid_argument for an unknown name.
model::HwConfig hw_preset(const std::string& name);
YAML::Node resolved_yaml(const Config& c);

// The lowered workload, with the float weights and inputs it came from when it is an encoder.
struct Workload {
  golden::Lowered lowered;
  bool has_float = false;
  golden::EncoderCase encoder;
};
Workload build_workload(const Config& c);

}  // namespace qtsim::sim
