// Design-space sweeps: a SWEEP.yaml names a base (an accelerator config, or an LLM query) and blocks of
// key paths with values; its points are the product of its blocks. Each point is costed at a fidelity and
// becomes one CSV row. The process side (workers, resume, shards, merge) is in cmd_sweep.cpp.
#pragma once
#include <yaml-cpp/yaml.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/analytic/llm_roofline.hpp"
#include "models/analytic/op_cost.hpp"
#include "sim/config.hpp"

namespace qtsim::sim {

struct SweepValue {
  std::string text;
  YAML::Mark mark;  // where the value stands in the sweep file
};

struct LlmPoint {
  model::LlmShape shape;
  model::Device device;
  model::LlmQuery query;
};

// One entry of an axis: the values it gives, as (key index, value).
using SweepEntry = std::vector<std::pair<size_t, SweepValue>>;

struct SweepSpec {
  std::string file;
  std::string base_file;   // accelerator mode: the config the keys override ("<built-in default>" if none)
  YAML::Node base;         // the base config, or the LLM query's map
  bool llm = false;        // keys are llm.* on a LLaMA-style model; otherwise config key paths
  std::string fidelity = "mapped";  // roofline, mapped or cycle (accelerator mode)
  std::vector<std::string> keys;    // swept key paths, in column order
  // The axes, the first varying slowest: a grid block gives one axis per key, a zip or list block one axis
  // whose entries set several keys. Points are not stored: point i follows from its digits in the axes'
  // mixed radix, so a grid of millions of points costs its axes' memory only.
  std::vector<std::vector<SweepEntry>> axes;
  size_t points = 0;
  int64_t max_cycles = 0;  // the base config's run.max_cycles (accelerator mode)

  std::vector<SweepValue> point(size_t i) const;  // one value per key
  Config config(size_t i) const;                  // accelerator mode: the base with point i's values
  LlmPoint query(size_t i) const;                 // LLM mode
  std::vector<std::string> columns() const;       // point, the keys, then the metrics
  std::string point_label(size_t i) const;        // "key=value, ..." for messages
};

// The sweeps whose every point is parsed when loaded; beyond, each value is checked with the other axes at
// their first entry, and a point that still fails fails alone when it runs.
constexpr size_t kCheckEveryPoint = 100'000;

// Parses SWEEP.yaml and checks its points (a bad value fails here, naming the sweep file's line and column,
// the point and the reason, before anything runs). Throws ConfigError.
SweepSpec load_sweep(const std::string& path);

// Costs points of one spec; keeps each distinct lowered workload, so points that differ only in hardware
// share one lowering.
class SweepEvaluator {
 public:
  explicit SweepEvaluator(const SweepSpec& spec) : spec_(spec) {}
  // The CSV row of point i (no newline), starting with i. Throws on a point that cannot be costed.
  std::string row(size_t i);
  // Lowers the point's workload into the cache (so that forked workers inherit it).
  void prepare(size_t i);
  // The cycles the machine will simulate for point i at cycle fidelity, as the analytic model maps them (0 at
  // the other fidelities, which simulate nothing).
  double simulated_cycles(size_t i);

 private:
  struct Lowering {
    Workload workload;
    std::vector<model::OpFacts> facts;
  };
  const Lowering& lowering(size_t i, const Config* c = nullptr);  // c: point i's config, if parsed already
  const SweepSpec& spec_;
  std::map<std::string, std::shared_ptr<const Lowering>> cache_;
};

}  // namespace qtsim::sim
