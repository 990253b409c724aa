#include "sim/config.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "golden/lower_binary.hpp"
#include "golden/quantize.hpp"

namespace qtsim::sim {

using golden::Numerator;
using golden::Rounding;

const char* default_config_yaml() {
  return "hw: {preset: int8_16x16_ws}\n"
         "workload: {model: deit_tiny, layer: encoder, tokens: 197}\n"
         "quant: {w_bits: 8, group: 0, logsqrt2: false, logsqrt2_bits: 4, rounding: half_even, numerator: pow2_31}\n"
         "run: {executors: [golden, model], seed: 1, calib_batches: 4}\n";
}

void set_key(YAML::Node& root, const std::string& path, const YAML::Node& value) {
  std::vector<std::string> keys;
  std::stringstream ss(path);
  for (std::string k; std::getline(ss, k, '.');) keys.push_back(k);
  if (keys.empty() || std::find(keys.begin(), keys.end(), "") != keys.end()) throw ConfigError("'" + path + "': not a key.path");
  // yaml-cpp nodes are handles: walk with fresh handles, never by reassigning one (that would rebind it).
  std::vector<YAML::Node> chain{root};
  for (size_t i = 0; i + 1 < keys.size(); ++i) {
    YAML::Node next = chain.back()[keys[i]];
    if (!next || !next.IsMap()) chain.back()[keys[i]] = YAML::Node(YAML::NodeType::Map);
    chain.push_back(chain.back()[keys[i]]);
  }
  chain.back()[keys.back()] = value;
}

model::HwConfig all_rtl(model::HwConfig hw) {
  hw.rtl = {true, true, true, true, true, true};
  return hw;
}

namespace {
// The units of run.impl, and where each one's choice lives.
constexpr const char* kUnits[] = {"array", "ppu", "shiftmax", "shiftgelu", "ilayernorm", "dma"};
bool* unit_flag(model::RtlUnits& r, const std::string& unit) {
  if (unit == "array") return &r.array;
  if (unit == "ppu") return &r.ppu;
  if (unit == "shiftmax") return &r.shiftmax;
  if (unit == "shiftgelu") return &r.shiftgelu;
  if (unit == "dma") return &r.dma;
  return &r.ilayernorm;
}

void apply_set(YAML::Node& root, const std::string& set) {
  const auto eq = set.find('=');
  if (eq == std::string::npos || eq == 0) throw ConfigError("--set " + set + ": expected key.path=value");
  YAML::Node v;
  try {
    v = YAML::Load(set.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    throw ConfigError("--set " + set + ": " + e.msg);
  }
  set_key(root, set.substr(0, eq), v);
}

template <class E>
E parse_enum(MapReader& r, const std::string& key, const std::vector<std::pair<std::string, E>>& names, E fallback) {
  const std::string def = [&] {
    for (const auto& [n, e] : names)
      if (e == fallback) return n;
    return std::string();
  }();
  const std::string v = r.get<std::string>(key, def);
  std::string all;
  for (const auto& [n, e] : names) {
    if (n == v) return e;
    all += (all.empty() ? "" : ", ") + n;
  }
  r.fail(key, "'" + v + "' is not one of: " + all);
}

int64_t positive(MapReader& r, const std::string& key, int64_t v) {
  if (v < 1) r.fail(key, "must be >= 1, got " + std::to_string(v));
  return v;
}

}  // namespace

model::HwConfig hw_preset(const std::string& name) {
  model::HwConfig h;
  if (name == "int8_16x16_ws") return h;
  if (name == "int8_16x16_os") {
    h.array.dataflow = model::Dataflow::os;
    return h;
  }
  if (name == "w4a8_32x32_ws") {
    h.array.rows = h.array.cols = 32;
    h.ppu_lanes = h.nonlinear_lanes = 32;
    return h;
  }
  if (name == "binary_64") {
    h.array.rows = h.array.cols = 64;
    h.ppu_lanes = h.nonlinear_lanes = 64;
    return h;
  }
  throw std::invalid_argument("unknown hw preset '" + name + "' (int8_16x16_ws, int8_16x16_os, w4a8_32x32_ws, binary_64)");
}

Config parse_config(const YAML::Node& root, const std::string& file, std::shared_ptr<const SetOrigins> sets) {
  if (!root || root.IsNull()) throw ConfigError(file + ": empty config");
  Config c;
  c.source = file;
  MapReader top(root, file, "", sets);

  if (top.has("hw")) {
    MapReader h = top.map("hw");
    c.hw_preset = h.get<std::string>("preset", "int8_16x16_ws");
    try {
      c.hw = hw_preset(c.hw_preset);
    } catch (const std::invalid_argument& e) {
      h.fail("preset", e.what());
    }
    // SCALE-Sim-style timing: tiles preloaded, streamed and drained one after another.
    const std::string compat = h.get<std::string>("compat", "none");
    if (compat != "none" && compat != "scalesim") h.fail("compat", "'" + compat + "' is not one of: none, scalesim");
    if (compat == "scalesim") c.hw.array.overlap = false;
    if (h.has("array")) {
      MapReader a = h.map("array");
      c.hw.array.rows = positive(a, "rows", a.get<int64_t>("rows", c.hw.array.rows));
      c.hw.array.cols = positive(a, "cols", a.get<int64_t>("cols", c.hw.array.cols));
      c.hw.array.dataflow = parse_enum<model::Dataflow>(a, "dataflow", {{"ws", model::Dataflow::ws}, {"os", model::Dataflow::os}, {"is", model::Dataflow::is}},
                                                        c.hw.array.dataflow);
      c.hw.array.overlap = a.get<bool>("overlap", c.hw.array.overlap);
      a.finish();
    }
    if (h.has("memory")) {
      MapReader m = h.map("memory");
      model::MemoryConfig& mc = c.hw.memory;
      mc.input_kib = positive(m, "input_kib", m.get<int64_t>("input_kib", mc.input_kib));
      mc.weight_kib = positive(m, "weight_kib", m.get<int64_t>("weight_kib", mc.weight_kib));
      mc.acc_kib = positive(m, "acc_kib", m.get<int64_t>("acc_kib", mc.acc_kib));
      mc.dram_bytes_per_cycle = m.get<double>("dram_bytes_per_cycle", mc.dram_bytes_per_cycle);
      if (!(mc.dram_bytes_per_cycle > 0)) m.fail("dram_bytes_per_cycle", "must be > 0");
      mc.dram_latency_cycles = m.get<int64_t>("dram_latency_cycles", mc.dram_latency_cycles);
      if (mc.dram_latency_cycles < 0) m.fail("dram_latency_cycles", "must be >= 0");
      mc.double_buffer = m.get<bool>("double_buffer", mc.double_buffer);
      mc.banks = positive(m, "banks", m.get<int64_t>("banks", mc.banks));
      mc.word_bytes = m.get<int64_t>("word_bytes", mc.word_bytes);
      m.finish();
    }
    c.hw.ppu_lanes = positive(h, "ppu_lanes", h.get<int64_t>("ppu_lanes", c.hw.ppu_lanes));
    c.hw.nonlinear_lanes = positive(h, "nonlinear_lanes", h.get<int64_t>("nonlinear_lanes", c.hw.nonlinear_lanes));
    c.hw.clock_mhz = h.get<double>("clock_mhz", c.hw.clock_mhz);
    if (!(c.hw.clock_mhz > 0)) h.fail("clock_mhz", "must be > 0");
    try {
      c.hw.check();
    } catch (const std::invalid_argument& e) {
      // the keys that size the array and its memories, as the file (or a --set) gives them
      h.fail(h.has("array") ? "array" : h.has("memory") ? "memory" : "preset", e.what());
    }
    h.finish();
  }

  MapReader w = top.map("workload");
  if (w.has("vit")) {
    c.workload.kind = WorkloadConfig::Kind::vit;
    MapReader v = w.map("vit");
    WorkloadConfig& wc = c.workload;
    wc.vit_dir = relative_to(file, v.require<std::string>("model"));
    wc.data_dir = v.get<std::string>("data", wc.data_dir);
    wc.images = positive(v, "images", v.get<int64_t>("images", wc.images));
    wc.first_image = v.get<int64_t>("first_image", wc.first_image);
    if (wc.first_image < 0) v.fail("first_image", "must be >= 0");
    wc.calib_images = positive(v, "calib_images", v.get<int64_t>("calib_images", wc.calib_images));
    wc.calib_batch = positive(v, "calib_batch", v.get<int64_t>("calib_batch", wc.calib_batch));
    v.finish();
    for (const char* other : {"gemm", "model"})
      if (w.has(other)) w.fail(other, "a workload is one of: a model layer, a gemm, a vit");
  } else if (w.has("gemm")) {
    c.workload.kind = WorkloadConfig::Kind::gemm;
    MapReader g = w.map("gemm");
    c.workload.m = positive(g, "M", g.require<int64_t>("M"));
    c.workload.k = positive(g, "K", g.require<int64_t>("K"));
    c.workload.n = positive(g, "N", g.require<int64_t>("N"));
    g.finish();
    if (w.has("model")) w.fail("model", "a workload is either a model layer or a gemm, not both");
  } else {
    c.workload.model = w.require<std::string>("model");
    if (c.workload.model != "deit_tiny" && c.workload.model != "deit_small" && c.workload.model != "deit_base")
      w.fail("model", "unknown model '" + c.workload.model + "' (deit_tiny, deit_small, deit_base)");
    c.workload.layer = w.get<std::string>("layer", "encoder");
    if (c.workload.layer != "encoder" && c.workload.layer != "binary_encoder")
      w.fail("layer", "unknown layer '" + c.workload.layer + "' (encoder, binary_encoder)");
    c.workload.tokens = positive(w, "tokens", w.get<int64_t>("tokens", 197));
  }
  w.finish();

  if (top.has("quant")) {
    // The single GEMM is INT8 with its requant, the binary layer is +-1: neither reads a quant key, and
    // config.resolved.yaml would otherwise claim what never ran.
    if (c.workload.kind == WorkloadConfig::Kind::gemm || (c.workload.kind == WorkloadConfig::Kind::encoder && c.workload.layer == "binary_encoder"))
      top.fail("quant", std::string("applies to the encoder and vit workloads; ") +
                            (c.workload.kind == WorkloadConfig::Kind::gemm ? "workload.gemm is an INT8 GEMM" : "layer binary_encoder is +-1") +
                            " and takes no quant keys");
    MapReader q = top.map("quant");
    c.quant.w_bits = q.get<int>("w_bits", 8);
    if (c.quant.w_bits != 8 && c.quant.w_bits != 4) q.fail("w_bits", "unsupported width " + std::to_string(c.quant.w_bits) + " (8 or 4)");
    if (const YAML::Node ob = q.raw("op_w_bits")) {
      if (!ob.IsMap()) q.fail_at(ob, "op_w_bits", "expected a map of linear: bits (qkv, proj, fc1, fc2)");
      MapReader m(ob, file, q.path("op_w_bits"), sets);
      for (const std::string& name : golden::encoder_linears()) {
        if (!m.has(name)) continue;
        const int bits = m.get<int>(name, 8);
        if (bits != 8 && bits != 4) m.fail(name, "unsupported width " + std::to_string(bits) + " (8 or 4)");
        c.quant.op_w_bits[name] = bits;
      }
      m.finish();
      if (c.workload.kind != WorkloadConfig::Kind::encoder || c.workload.layer != "encoder")
        q.fail("op_w_bits", "per-linear weight bits apply to the encoder layer only");
    }
    c.quant.group = q.get<int64_t>("group", 0);
    if (c.quant.group < 0) q.fail("group", "must be >= 0 (0: per channel)");
    if (c.quant.group > 0 && c.quant.w_bits != 4) q.fail("group", "group-wise weights need w_bits: 4");
    if (c.quant.group > 0 && c.workload.kind == WorkloadConfig::Kind::encoder) {  // (vit: checked when lowered)
      const golden::EncoderDims d = golden::encoder_dims(c.workload.model, c.workload.tokens);
      if (d.dim % c.quant.group || d.mlp % c.quant.group)
        q.fail("group", "group size " + std::to_string(c.quant.group) + " does not divide K (" + std::to_string(d.dim) +
                            ", " + std::to_string(d.mlp) + ")");
    }
    c.quant.logsqrt2 = q.get<bool>("logsqrt2", false);
    c.quant.logsqrt2_bits = q.get<int>("logsqrt2_bits", 4);
    if (c.quant.logsqrt2_bits < 2 || c.quant.logsqrt2_bits > golden::kLogSqrt2MaxBits)
      q.fail("logsqrt2_bits", "must be in 2.." + std::to_string(golden::kLogSqrt2MaxBits) + " (attn @ v shifts by 2^(bits-1) into int64 sums)");
    c.quant.rounding = parse_enum<Rounding>(q, "rounding", {{"half_even", Rounding::half_even}, {"half_up", Rounding::half_up}},
                                            Rounding::half_even);
    c.quant.numerator = parse_enum<Numerator>(
        q, "numerator", {{"pow2_31", Numerator::pow2_31}, {"pow2_31_minus_1", Numerator::pow2_31_minus_1}}, Numerator::pow2_31);
    q.finish();
  }

  if (top.has("eval")) {
    MapReader e = top.map("eval");
    c.eval.images = positive(e, "images", e.get<int64_t>("images", c.eval.images));
    if (const YAML::Node sc = e.raw("schemes")) {
      if (!sc.IsSequence() || sc.size() == 0) e.fail_at(sc, "schemes", "expected a non-empty list");
      c.eval.schemes.clear();
      for (const auto& x : sc) {
        const std::string name = x.as<std::string>();
        try {
          scheme_options(name, {});
        } catch (const std::invalid_argument& ex) {
          e.fail_at(x, "schemes", ex.what());
        }
        c.eval.schemes.push_back(name);
      }
    }
    e.finish();
    if (c.workload.kind != WorkloadConfig::Kind::vit) e.fail("images", "eval needs a vit workload");
  }

  if (top.has("run")) {
    MapReader r = top.map("run");
    if (const YAML::Node ex = r.raw("executors")) {
      if (!ex.IsSequence() || ex.size() == 0) r.fail_at(ex, "executors", "expected a non-empty list");
      c.run.executors.clear();
      for (const auto& e : ex) {
        const std::string name = e.as<std::string>();
        if (name != "golden" && name != "model" && name != "machine" && name != "rtl")
          r.fail_at(e, "executors", "unknown executor '" + name + "' (golden, model, machine, rtl)");
        c.run.executors.push_back(name);
      }
      if (std::find(c.run.executors.begin(), c.run.executors.end(), "rtl") != c.run.executors.end()) {
        try {
          all_rtl(c.hw).check();
        } catch (const std::invalid_argument& e) {
          r.fail_at(ex, "executors", std::string("rtl: ") + e.what());
        }
      }
    }
    if (const YAML::Node impl = r.raw("impl")) {
      // Per unit, model (SystemC) or rtl (Verilated); a plain string applies to every unit.
      const std::vector<std::string> units(std::begin(kUnits), std::end(kUnits));
      auto apply = [&](const std::string& unit, const std::string& impl_name, const YAML::Node& at) {
        if (impl_name != "model" && impl_name != "rtl") r.fail_at(at, "impl", "'" + impl_name + "' is not one of: model, rtl");
        *unit_flag(c.hw.rtl, unit) = impl_name == "rtl";
      };
      if (impl.IsScalar()) {
        for (const auto& u : units) apply(u, impl.as<std::string>(), impl);
      } else if (impl.IsMap()) {
        for (const auto& kv : impl) {
          const std::string unit = kv.first.as<std::string>();
          if (std::find(units.begin(), units.end(), unit) == units.end())
            r.fail_at(kv.first, "impl", "unknown unit '" + unit + "' (array, ppu, shiftmax, shiftgelu, ilayernorm, dma)");
          apply(unit, kv.second.as<std::string>(), kv.second);
        }
      } else {
        r.fail_at(impl, "impl", "expected model, rtl or a map of unit: model|rtl");
      }
      try {
        c.hw.check();
      } catch (const std::invalid_argument& e) {
        r.fail_at(impl, "impl", e.what());
      }
    }
    c.run.seed = r.get<uint64_t>("seed", 1);
    c.run.calib_batches = static_cast<int>(positive(r, "calib_batches", r.get<int64_t>("calib_batches", 4)));
    c.run.max_cycles = positive(r, "max_cycles", r.get<int64_t>("max_cycles", c.run.max_cycles));
    r.finish();
  }
  top.finish();
  return c;
}

Config load_config(const std::string& path, const std::vector<std::string>& sets, const std::vector<std::string>& defaults) {
  const std::string file = path.empty() ? "<built-in default>" : path;
  YAML::Node root = path.empty() ? YAML::Load(default_config_yaml()) : load_yaml_map(path, "config");
  for (const auto& s : defaults) apply_set(root, s);
  auto origins = std::make_shared<SetOrigins>();
  for (const auto& s : sets) {
    apply_set(root, s);
    origins->emplace_back(s.substr(0, s.find('=')), s);
  }
  return parse_config(root, file, origins);
}

YAML::Node resolved_yaml(const Config& c) {
  YAML::Node n;
  n["hw"]["preset"] = c.hw_preset;
  n["hw"]["array"]["rows"] = c.hw.array.rows;
  n["hw"]["array"]["cols"] = c.hw.array.cols;
  n["hw"]["array"]["dataflow"] = model::dataflow_name(c.hw.array.dataflow);
  n["hw"]["array"]["overlap"] = c.hw.array.overlap;
  n["hw"]["memory"]["input_kib"] = c.hw.memory.input_kib;
  n["hw"]["memory"]["weight_kib"] = c.hw.memory.weight_kib;
  n["hw"]["memory"]["acc_kib"] = c.hw.memory.acc_kib;
  n["hw"]["memory"]["dram_bytes_per_cycle"] = c.hw.memory.dram_bytes_per_cycle;
  n["hw"]["memory"]["dram_latency_cycles"] = c.hw.memory.dram_latency_cycles;
  n["hw"]["memory"]["double_buffer"] = c.hw.memory.double_buffer;
  n["hw"]["memory"]["banks"] = c.hw.memory.banks;
  n["hw"]["memory"]["word_bytes"] = c.hw.memory.word_bytes;
  n["hw"]["ppu_lanes"] = c.hw.ppu_lanes;
  n["hw"]["nonlinear_lanes"] = c.hw.nonlinear_lanes;
  n["hw"]["clock_mhz"] = c.hw.clock_mhz;
  if (c.workload.kind == WorkloadConfig::Kind::vit) {
    auto v = n["workload"]["vit"];
    v["model"] = c.workload.vit_dir;
    v["data"] = c.workload.data_dir;
    v["images"] = c.workload.images;
    v["first_image"] = c.workload.first_image;
    v["calib_images"] = c.workload.calib_images;
    v["calib_batch"] = c.workload.calib_batch;
    n["eval"]["images"] = c.eval.images;
    for (const auto& sc : c.eval.schemes) n["eval"]["schemes"].push_back(sc);
  } else if (c.workload.kind == WorkloadConfig::Kind::gemm) {
    n["workload"]["gemm"]["M"] = c.workload.m;
    n["workload"]["gemm"]["K"] = c.workload.k;
    n["workload"]["gemm"]["N"] = c.workload.n;
  } else {
    n["workload"]["model"] = c.workload.model;
    n["workload"]["layer"] = c.workload.layer;
    n["workload"]["tokens"] = c.workload.tokens;
  }
  n["quant"]["w_bits"] = c.quant.w_bits;
  for (const auto& [name, bits] : c.quant.op_w_bits) n["quant"]["op_w_bits"][name] = bits;
  n["quant"]["group"] = c.quant.group;
  n["quant"]["logsqrt2"] = c.quant.logsqrt2;
  n["quant"]["logsqrt2_bits"] = c.quant.logsqrt2_bits;
  n["quant"]["rounding"] = c.quant.rounding == Rounding::half_even ? "half_even" : "half_up";
  n["quant"]["numerator"] = c.quant.numerator == Numerator::pow2_31 ? "pow2_31" : "pow2_31_minus_1";
  for (const auto& e : c.run.executors) n["run"]["executors"].push_back(e);
  model::RtlUnits rtl = c.hw.rtl;
  for (const char* unit : kUnits) n["run"]["impl"][unit] = *unit_flag(rtl, unit) ? "rtl" : "model";
  n["run"]["seed"] = c.run.seed;
  n["run"]["calib_batches"] = c.run.calib_batches;
  n["run"]["max_cycles"] = c.run.max_cycles;
  return n;
}

golden::LowerOptions scheme_options(const std::string& scheme, const golden::LowerOptions& base) {
  golden::LowerOptions o = base;
  if (scheme == "fp32" || scheme == "int8") return o;
  if (scheme == "w4a8") return o.w_bits = 4, o;
  if (scheme == "w4a8_g32") return o.w_bits = 4, o.group = 32, o;
  if (scheme == "logsqrt2") return o.logsqrt2 = true, o;
  throw std::invalid_argument("unknown scheme '" + scheme + "' (fp32, int8, w4a8, w4a8_g32, logsqrt2)");
}

std::shared_ptr<const VitWorkload> load_vit_workload(const WorkloadConfig& wc) {
  auto v = std::make_shared<VitWorkload>();
  v->model = golden::load_vit(wc.vit_dir);
  const golden::IdxImages train = golden::read_idx_images(wc.data_dir + "/train-images-idx3-ubyte.gz");
  v->test = golden::read_idx_images(wc.data_dir + "/t10k-images-idx3-ubyte.gz");
  v->labels = golden::read_idx_labels(wc.data_dir + "/t10k-labels-idx1-ubyte.gz");
  for (const golden::IdxImages* im : {&train, static_cast<const golden::IdxImages*>(&v->test)})
    if (im->rows != v->model.cfg.image || im->cols != v->model.cfg.image)
      throw std::runtime_error(wc.data_dir + ": images are " + std::to_string(im->rows) + "x" + std::to_string(im->cols) +
                               ", the model takes " + std::to_string(v->model.cfg.image));
  if (static_cast<int64_t>(v->labels.size()) != v->test.count) throw std::runtime_error(wc.data_dir + ": test images and labels differ in count");
  for (size_t i = 0; i < v->labels.size(); ++i)
    if (v->labels[i] >= v->model.cfg.classes)
      throw std::runtime_error(wc.data_dir + "/t10k-labels-idx1-ubyte.gz: label " + std::to_string(v->labels[i]) + " of test image " + std::to_string(i) +
                               " is not one of the model's " + std::to_string(v->model.cfg.classes) + " classes");
  std::vector<const uint8_t*> calib;
  for (int64_t i = 0; i < std::min(wc.calib_images, train.count); ++i) calib.push_back(train.image(i));
  v->cal = golden::calibrate_vit(v->model, calib, wc.calib_batch);
  return v;
}

Workload build_workload(const Config& c) {
  Workload w;
  if (c.workload.kind == WorkloadConfig::Kind::vit) {
    w.vit = load_vit_workload(c.workload);
    // compared by subtraction: first_image + images may exceed int64
    if (c.workload.first_image > w.vit->test.count || c.workload.images > w.vit->test.count - c.workload.first_image)
      throw std::runtime_error("workload.vit: first_image " + std::to_string(c.workload.first_image) + " with images " +
                               std::to_string(c.workload.images) + " reaches past the " +
                               std::to_string(w.vit->test.count) + " test images");
    w.lowered = golden::lower_vit(w.vit->model, w.vit->cal, c.quant);
    w.lowered.inputs["patches"] = golden::vit_input(w.vit->model, w.vit->cal, w.vit->test.image(c.workload.first_image));
    return w;
  }
  if (c.workload.kind == WorkloadConfig::Kind::gemm) {
    w.lowered = golden::lower_gemm(c.workload.m, c.workload.k, c.workload.n, c.run.seed);
    return w;
  }
  const golden::EncoderDims dims = golden::encoder_dims(c.workload.model, c.workload.tokens);
  if (c.workload.layer == "binary_encoder") {
    w.lowered = golden::make_binary_case(dims, c.run.seed).lowered;
    return w;
  }
  w.encoder = golden::make_encoder_case(dims, c.quant, c.run.seed,
                                        c.run.calib_batches);
  w.lowered = w.encoder.lowered;
  w.has_float = true;
  return w;
}

}  // namespace qtsim::sim
