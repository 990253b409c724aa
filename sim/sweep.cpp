#include "sim/sweep.hpp"

#include <cmath>
#include <cstdio>
#include <algorithm>
#include <fstream>

#include "golden/exec.hpp"
#include "models/analytic/analytic.hpp"
#include "models/analytic/energy_area.hpp"
#include "models/compiler/compile.hpp"
#include "models/analytic/llm_roofline.hpp"
#include "models/machine/machine.hpp"
#include "sim/compare.hpp"

namespace qtsim::sim {

namespace {

constexpr size_t kMaxPoints = 10'000'000;

SweepValue scalar_value(const MapReader& r, const YAML::Node& n, const std::string& key) {
  if (!n.IsScalar()) r.fail_at(n, key, "sweep values must be scalars");
  const std::string t = n.Scalar();
  if (t.find_first_of(",\"\n\r") != std::string::npos) r.fail_at(n, key, "a value may not hold a comma, quote or newline (CSV)");
  return {t, n.Mark()};
}

LlmPoint parse_llm(const YAML::Node& node, const std::string& file) {
  MapReader r(node, file, "llm");
  LlmPoint p;
  try {
    p.shape = model::llm_shape(r.get<std::string>("model", "llama2-7b"));
  } catch (const std::invalid_argument& e) {
    r.fail("model", e.what());
  }
  try {
    p.device = model::device(r.get<std::string>("device", "nvidia_A100"));
  } catch (const std::invalid_argument& e) {
    r.fail("device", e.what());
  }
  model::LlmQuery& q = p.query;
  q.stage = r.get<std::string>("stage", q.stage);
  q.seqlen = r.get<int64_t>("seqlen", q.seqlen);
  q.batch = r.get<int64_t>("batch", q.batch);
  q.w_bits = r.get<int>("w_bits", q.w_bits);
  q.a_bits = r.get<int>("a_bits", q.a_bits);
  q.kv_bits = r.get<int>("kv_bits", q.kv_bits);
  q.flash_attention = r.get<bool>("flash_attention", q.flash_attention);
  q.compat = r.get<bool>("compat", q.compat);
  q.w_group = r.get<int64_t>("w_group", q.w_group);
  r.finish();
  return p;
}

std::string num(double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%.10g", v);
  return b;
}

}  // namespace

std::vector<std::string> SweepSpec::columns() const {
  std::vector<std::string> c{"point"};
  c.insert(c.end(), keys.begin(), keys.end());
  if (llm) {
    for (const char* m : {"layer_ops", "layer_bytes", "layer_time_s", "model_time_s", "tokens_per_s", "params", "weight_bytes",
                          "kv_cache_bytes", "memory_bytes"})
      c.emplace_back(m);
    return c;
  }
  for (const char* m : {"ops", "dram_bytes", "sram_bytes", "intensity", "roofline_cycles", "mapped_cycles"}) c.emplace_back(m);
  if (fidelity == "cycle") c.insert(c.end(), {"cycle_cycles", "bit_exact"});
  for (const char* m : {"cycles", "latency_us", "gops", "energy_uj", "area_mm2"}) c.emplace_back(m);
  return c;
}

std::vector<SweepValue> SweepSpec::point(size_t i) const {
  std::vector<SweepValue> v(keys.size());
  size_t rest = i;
  for (size_t a = axes.size(); a-- > 0;) {
    for (const auto& [k, value] : axes[a][rest % axes[a].size()]) v[k] = value;
    rest /= axes[a].size();
  }
  return v;
}

std::string SweepSpec::point_label(size_t i) const {
  const std::vector<SweepValue> v = point(i);
  std::string s;
  for (size_t k = 0; k < keys.size(); ++k) s += (k ? ", " : "") + keys[k] + "=" + v[k].text;
  return s;
}

namespace {
// The base with point i's values, read by `parse`; an error points at the value it names, else at the
// point's first value.
template <class Parse>
auto parse_point(const SweepSpec& s, size_t i, Parse&& parse) {
  const std::vector<SweepValue> v = s.point(i);
  try {
    YAML::Node root = YAML::Clone(s.base);
    for (size_t k = 0; k < s.keys.size(); ++k) set_key(root, s.llm ? s.keys[k].substr(4) : s.keys[k], YAML::Node(v[k].text));
    return parse(root);
  } catch (const std::exception& e) {
    YAML::Mark m = v.empty() ? YAML::Mark::null_mark() : v[0].mark;
    for (size_t k = 0; k < s.keys.size(); ++k)
      if (std::string(e.what()).find(s.llm ? s.keys[k].substr(4) : s.keys[k]) != std::string::npos) m = v[k].mark;
    throw ConfigError(where(s.file, m) + ": sweep point " + std::to_string(i) + " (" + s.point_label(i) + "): " + e.what());
  }
}
}  // namespace

Config SweepSpec::config(size_t i) const {
  return parse_point(*this, i, [&](const YAML::Node& root) { return parse_config(root, base_file); });
}

LlmPoint SweepSpec::query(size_t i) const {
  return parse_point(*this, i, [&](const YAML::Node& root) {
    LlmPoint p = parse_llm(root, file);
    model::llm_layer_roofline(p.shape, p.device, p.query);  // a shape the roofline cannot cost fails here too
    return p;
  });
}

SweepSpec load_sweep(const std::string& path) {
  SweepSpec s;
  s.file = path;
  const YAML::Node root = load_yaml_map(path, "sweep file");
  MapReader top(root, path, "");
  s.llm = top.has("llm");
  if (s.llm) {
    if (top.has("base")) top.fail("base", "a sweep has either an llm query or a base config, not both");
    if (top.has("fidelity")) top.fail("fidelity", "LLM sweeps have one fidelity (the roofline); remove the key");
    s.base = top.raw("llm");
    if (!s.base.IsMap()) top.fail("llm", "expected a map (model, device, stage, seqlen, batch, w_bits, a_bits, kv_bits, ...)");
  } else {
    s.base_file = "<built-in default>";
    if (top.has("base")) {
      s.base_file = relative_to(path, top.get<std::string>("base", ""));
      if (!std::ifstream(s.base_file)) top.fail("base", "cannot open '" + s.base_file + "'");
      s.base = load_yaml_map(s.base_file, "config");
    } else {
      s.base = YAML::Load(default_config_yaml());
    }
    // the base's own limit, read without parsing the base whole: a base may leave to the sweep a key it needs
    s.max_cycles = RunConfig{}.max_cycles;
    const YAML::Node limit = s.base["run"] ? s.base["run"]["max_cycles"] : YAML::Node();
    if (limit && limit.IsScalar()) try {
        s.max_cycles = limit.as<int64_t>();
      } catch (const YAML::BadConversion&) {  // the points' parse names it
      }
    s.fidelity = top.get<std::string>("fidelity", "mapped");
    if (s.fidelity != "roofline" && s.fidelity != "mapped" && s.fidelity != "cycle")
      top.fail("fidelity", "'" + s.fidelity + "' is not one of: roofline, mapped, cycle");
  }

  const YAML::Node blocks = top.raw("sweep");
  if (!blocks || !blocks.IsSequence() || blocks.size() == 0)
    top.fail("sweep", "expected a non-empty list of blocks (grid:, zip: or list:)");

  auto key_index = [&](const MapReader& r, const YAML::Node& at, const std::string& key) {
    if (s.llm != (key.rfind("llm.", 0) == 0))
      r.fail_at(at, key, s.llm ? "keys of an LLM sweep start with llm." : "llm.* keys need an llm: query instead of a base config");
    for (size_t k = 0; k < s.keys.size(); ++k)
      if (s.keys[k] == key) r.fail_at(at, key, "swept twice (a key belongs to one block)");
    s.keys.push_back(key);
    return s.keys.size() - 1;
  };
  for (size_t b = 0; b < blocks.size(); ++b) {
    const YAML::Node block = blocks[b];
    const std::string where_b = "sweep[" + std::to_string(b) + "]";
    if (!block.IsMap() || block.size() != 1) throw ConfigError(where(path, block.Mark()) + ": " + where_b + ": expected one of grid:, zip:, list:");
    const std::string kind = block.begin()->first.as<std::string>();
    const YAML::Node body = block.begin()->second;
    MapReader r(block, path, where_b);
    std::vector<SweepEntry> pts;  // a zip or list block's one axis
    if (kind == "grid" || kind == "zip") {
      if (!body.IsMap() || body.size() == 0) r.fail(kind, "expected a map of key.path: [values]");
      size_t zip_len = 0;
      for (const auto& kv : body) {
        const std::string key = kv.first.as<std::string>();
        if (!kv.second.IsSequence() || kv.second.size() == 0) r.fail_at(kv.second, kind + "." + key, "expected a non-empty list of values");
        const size_t k = key_index(r, kv.first, key);
        if (kind == "zip") {
          if (zip_len && kv.second.size() != zip_len)
            r.fail_at(kv.second, kind + "." + key, "zip lists must have equal lengths (" + std::to_string(zip_len) + " before, " +
                                                        std::to_string(kv.second.size()) + " here)");
          zip_len = kv.second.size();
          pts.resize(zip_len);
          for (size_t j = 0; j < zip_len; ++j) pts[j].emplace_back(k, scalar_value(r, kv.second[j], kind + "." + key));
          continue;
        }
        std::vector<SweepEntry> axis;  // a grid key is an axis of its own, varying faster than the one before
        for (const auto& v : kv.second) axis.push_back({{k, scalar_value(r, v, kind + "." + key)}});
        s.axes.push_back(std::move(axis));
      }
      if (kind == "grid") continue;
    } else if (kind == "list") {
      if (!body.IsSequence() || body.size() == 0) r.fail(kind, "expected a non-empty list of {key.path: value} maps");
      std::vector<size_t> first_keys;
      for (size_t j = 0; j < body.size(); ++j) {
        const YAML::Node m = body[j];
        if (!m.IsMap() || m.size() == 0) r.fail_at(m, "list", "expected a map of key.path: value");
        SweepEntry p;
        for (const auto& kv : m) {
          const std::string key = kv.first.as<std::string>();
          size_t k = s.keys.size();
          for (size_t q = 0; q < s.keys.size(); ++q)
            if (s.keys[q] == key) k = q;
          if (j == 0) k = key_index(r, kv.first, key), first_keys.push_back(k);
          else if (std::find(first_keys.begin(), first_keys.end(), k) == first_keys.end())
            r.fail_at(kv.first, "list." + key, "every list entry must set the same keys as the first");
          p.emplace_back(k, scalar_value(r, kv.second, "list." + key));
        }
        if (p.size() != first_keys.size()) r.fail_at(m, "list", "every list entry must set the same keys as the first");
        pts.push_back(std::move(p));
      }
    } else {
      r.fail(kind, "unknown block (grid, zip, list)");
    }
    s.axes.push_back(std::move(pts));
  }
  top.finish();

  s.points = 1;
  for (const auto& a : s.axes) {
    if (s.points > kMaxPoints / a.size()) throw ConfigError(path + ": sweep: more than " + std::to_string(kMaxPoints) + " points");
    s.points *= a.size();
  }
  // Bad values fail before anything runs: every point of a sweep of up to kCheckEveryPoint points, else every
  // entry of every axis with the other axes at their first.
  auto check = [&](size_t i) { s.llm ? static_cast<void>(s.query(i)) : static_cast<void>(s.config(i)); };
  if (s.points <= kCheckEveryPoint) {
    for (size_t i = 0; i < s.points; ++i) check(i);
  } else {
    size_t stride = s.points;
    for (const auto& a : s.axes) {
      stride /= a.size();
      for (size_t e = 0; e < a.size(); ++e) check(e * stride);
    }
  }
  return s;
}

const SweepEvaluator::Lowering& SweepEvaluator::lowering(size_t i, const Config* c) {
  // Every point shares the base, so the swept values of the keys that shape the workload identify it.
  const std::vector<SweepValue> v = spec_.point(i);
  std::string key;
  for (size_t k = 0; k < spec_.keys.size(); ++k) {
    const std::string& name = spec_.keys[k];
    if (name.rfind("workload.", 0) == 0 || name.rfind("quant.", 0) == 0 || name.rfind("run.", 0) == 0)
      key += name + "=" + v[k].text + "\n";
  }
  std::shared_ptr<const Lowering>& l = cache_[key];
  if (!l) {
    Workload w = build_workload(c ? *c : spec_.config(i));  // parsed only when the workload is new
    std::vector<model::OpFacts> facts = model::program_facts(w.lowered.program);
    l = std::make_shared<const Lowering>(Lowering{std::move(w), std::move(facts)});
  }
  return *l;
}

void SweepEvaluator::prepare(size_t i) {
  if (!spec_.llm) lowering(i);
}

double SweepEvaluator::simulated_cycles(size_t i) {
  if (spec_.llm || spec_.fidelity != "cycle") return 0;
  const Config c = spec_.config(i);
  const Lowering& l = lowering(i, &c);
  return static_cast<double>(model::roofline(l.workload.lowered.program, l.facts, c.hw).mapped_cycles);
}

std::string SweepEvaluator::row(size_t i) {
  std::string out = std::to_string(i);
  for (const SweepValue& v : spec_.point(i)) out += "," + v.text;
  auto put = [&](const std::string& v) { out += "," + v; };
  if (spec_.llm) {
    const LlmPoint p = spec_.query(i);
    const std::vector<model::LlmOp> rows = model::llm_layer_roofline(p.shape, p.device, p.query);
    double ops = 0, bytes = 0, layer = 0;
    for (const auto& o : rows)
      if (o.name != "lm_head") ops += o.ops, bytes += o.bytes(), layer += o.time_s;
    const double total = model::llm_total(rows).time_s;
    const double tokens = static_cast<double>(p.query.batch * (p.query.stage == "prefill" ? p.query.seqlen : 1));
    const model::LlmFootprint f = model::llm_footprint(p.shape, p.query);
    for (double v : {ops, bytes, layer, total, tokens / total, f.params, f.weight_bytes, f.kv_cache_bytes, f.bytes()}) put(num(v));
    return out;
  }
  const Config c = spec_.config(i);
  const Lowering& l = lowering(i, &c);
  const Workload& w = l.workload;
  const golden::Program& p = w.lowered.program;
  const model::Roofline r = model::roofline(p, l.facts, c.hw);
  for (double v : {r.ops, static_cast<double>(r.dram_bytes), static_cast<double>(r.sram_bytes), r.ops / static_cast<double>(r.dram_bytes),
                   r.roofline_cycles, static_cast<double>(r.mapped_cycles)})
    put(num(v));
  double cycles = spec_.fidelity == "roofline" ? std::ceil(r.roofline_cycles) : static_cast<double>(r.mapped_cycles);
  if (spec_.fidelity == "cycle") {
    // the compiled program on the machine, every tap against golden
    const compiler::Compiled compiled = compiler::compile(p, w.lowered.inputs, c.hw);
    const machine::MachineRun run = machine::run_machine(compiled.code, compiled.dram, compiled.sp_bytes, c.hw, compiled.probes);
    bool exact = true;
    compare_taps(golden::run_program(p, w.lowered.inputs), compiler::read_taps(p, compiled, run.dram, run.probed), "machine", exact);
    cycles = static_cast<double>(run.cycles);
    put(num(cycles));
    put(exact ? "true" : "false");
  }
  const double latency_us = cycles / c.hw.clock_mhz;
  for (double v : {cycles, latency_us, r.ops / latency_us * 1e-3, r.energy_pj * 1e-6, model::area_mm2(c.hw)}) put(num(v));
  return out;
}

}  // namespace qtsim::sim
