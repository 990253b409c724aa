// qtsim roofline [CONFIG.yaml]: per-op operations, bytes, intensity, bound and time at three fidelities.
#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "models/analytic/analytic.hpp"
#include "models/compiler/compile.hpp"
#include "models/machine/machine.hpp"
#include "models/analytic/llm_roofline.hpp"
#include "sim/cli.hpp"
#include "sim/cli_args.hpp"
#include "sim/config.hpp"

namespace po = boost::program_options;

namespace qtsim::sim {

namespace {
// One LLaMA-style decoder layer on a device table entry, with LLM-Viewer's counting rules.
int llm_roofline(const std::string& model_name, const std::string& device_name, const model::LlmQuery& q, const std::string& format) {
  const model::LlmShape m = model::llm_shape(model_name);
  const model::Device dev = model::device(device_name);
  std::vector<model::LlmOp> ops = model::llm_layer_roofline(m, dev, q);
  const model::LlmOp total = model::llm_total(ops);
  auto row_json = [](const model::LlmOp& o) {
    return nlohmann::json{{"op", o.name}, {"count", o.count}, {"ops", o.ops}, {"bytes", o.bytes()}, {"load_weight", o.load_weight},
                          {"load_act", o.load_act}, {"store_act", o.store_act}, {"load_kv_cache", o.load_kv_cache},
                          {"store_kv_cache", o.store_kv_cache}, {"load_meta", o.load_meta}, {"intensity", o.intensity},
                          {"bound", o.bound}, {"time_s", o.time_s}};
  };
  if (format == "json") {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& o : ops) rows.push_back(row_json(o));
    const model::LlmFootprint f = model::llm_footprint(m, q);
    std::cout << nlohmann::json{{"model", m.name}, {"device", dev.name}, {"stage", q.stage}, {"rows", rows}, {"total", row_json(total)},
                                {"params", f.params}, {"weight_bytes", f.weight_bytes}, {"meta_bytes", f.meta_bytes},
                                {"kv_cache_bytes", f.kv_cache_bytes}}
                     .dump(2)
              << "\n";
    return 0;
  }
  const bool csv = format == "csv";
  // LLM-Viewer's columns, with each row's count in the whole model; the default mode adds the quantization
  // metadata at the end. The last row is the model's TOTAL (every row times its count).
  if (csv)
    std::printf("op,count,ops,bytes,load_weight,load_act,store_act,load_kv_cache,store_kv_cache,intensity,bound,time_s%s\n",
                q.compat ? "" : ",load_meta");
  else
    std::printf("%s on %s, %s, seqlen %lld, batch %lld, W%dA%d KV%d%s, %s\n%-16s %5s %14s %13s %10s %-8s %12s\n",
                m.name.c_str(), dev.name.c_str(), q.stage.c_str(), static_cast<long long>(q.seqlen), static_cast<long long>(q.batch),
                q.w_bits, q.a_bits, q.kv_bits, q.flash_attention ? ", flash attention" : "",
                q.compat ? "LLM-Viewer rules" : "quirks fixed", "op", "count", "ops", "bytes (B)", "ops/B", "bound", "time (s)");
  ops.push_back(total);
  for (const auto& o : ops) {
    if (csv) {
      std::printf("%s,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%s,%.17g", o.name.c_str(), o.count, o.ops, o.bytes(),
                  o.load_weight, o.load_act, o.store_act, o.load_kv_cache, o.store_kv_cache, o.intensity, o.bound.c_str(), o.time_s);
      if (!q.compat) std::printf(",%.17g", o.load_meta);
      std::printf("\n");
    } else {
      std::printf("%-16s %5.0f %14.4g %13.4g %10.2f %-8s %12.4g\n", o.name.c_str(), o.count, o.ops, o.bytes(), o.intensity, o.bound.c_str(),
                  o.time_s);
    }
  }
  if (!csv) {
    const model::LlmFootprint f = model::llm_footprint(m, q);
    std::printf("memory: %.4g parameters, weights %.4g GB + group metadata %.4g GB + KV cache %.4g GB = %.4g GB\n", f.params,
                f.weight_bytes * 1e-9, f.meta_bytes * 1e-9, f.kv_cache_bytes * 1e-9, f.bytes() * 1e-9);
  }
  return 0;
}
}  // namespace

int cmd_roofline(int argc, const char* const* argv) {
  std::string format = "table", fidelity = "mapped", llm, device_name = "nvidia_A100", compat;
  model::LlmQuery q;
  std::vector<std::string> sets;
  po::options_description opts(
      "usage: qtsim roofline [CONFIG.yaml] [--set key.path=value ...] [--format table|csv|json]\n"
      "                      [--fidelity roofline|mapped|cycle]\n\n"
      "Costs the configured layer on the configured accelerator without simulating it: per op the operations\n"
      "(2 per MAC; element-wise ops as LLM-Viewer counts them), DRAM bytes, intensity, bound, the roofline time\n"
      "max(ops / peak, bytes / bandwidth) and the mapped time (array folds, fill, drain, unit latencies,\n"
      "re-fetch). --fidelity cycle also runs the compiled program on the SystemC machine and reports the roofline's\n"
      "and the mapped time's error against it, per op (its span on the machine) and for the layer.\n\n"
      "With --model, one LLaMA-style decoder layer on a GPU table entry instead, LLM-Viewer style:\n"
      "  qtsim roofline --model llama2-7b --device nvidia_A100 --stage prefill --seqlen 1024 --batch 1\n"
      "                 --w-bits 16 --a-bits 16 --kv-bits 16 [--flash-attention] [--compat llmviewer] --format csv\n\noptions");
  opts.add_options()("help,h", "this help")("set", po::value(&sets)->composing(), "override a config key")(
      "format", po::value(&format), "table, csv or json")("fidelity", po::value(&fidelity), "roofline, mapped or cycle")(
      "model", po::value(&llm), "llama2-7b or llama2-13b (LLM layer mode)")("device", po::value(&device_name), "GPU table entry")(
      "stage", po::value(&q.stage), "prefill or decode")("seqlen", po::value(&q.seqlen), "sequence length (KV length in decode)")(
      "batch", po::value(&q.batch), "batch size")("w-bits", po::value(&q.w_bits), "weight bits")(
      "a-bits", po::value(&q.a_bits), "activation bits")("kv-bits", po::value(&q.kv_bits), "KV-cache bits")(
      "flash-attention", po::bool_switch(&q.flash_attention), "fuse qk, softmax and sv")(
      "w-group", po::value(&q.w_group), "group-wise weights: an FP16 scale and a zero point per group (load_meta)")(
      "compat", po::value(&compat), "llmviewer: LLM-Viewer's rules with its quirks (default: quirks fixed)");
  std::vector<std::string> positional;
  if (!parse_args(argc, argv, opts, positional, 1)) return 0;
  if (format != "table" && format != "csv" && format != "json") throw std::invalid_argument("--format must be table, csv or json");
  if (fidelity != "roofline" && fidelity != "mapped" && fidelity != "cycle")
    throw std::invalid_argument("--fidelity must be roofline, mapped or cycle");
  if (!llm.empty()) {
    if (!compat.empty() && compat != "llmviewer") throw std::invalid_argument("--compat takes llmviewer, got " + compat);
    q.compat = compat == "llmviewer";
    if (!positional.empty()) throw std::invalid_argument("--model replaces CONFIG.yaml: give one or the other");
    return llm_roofline(llm, device_name, q, format);
  }
  const Config c = load_config(positional.empty() ? "" : positional[0], sets);
  const Workload w = build_workload(c);
  const golden::Program& p = w.lowered.program;
  const model::Roofline r = model::roofline(p, c.hw);
  // --fidelity cycle: the machine runs the compiled program; an op's cycles are its span there (first issue
  // to last retire), which overlaps its neighbours' where the machine runs them at the same time.
  std::vector<int64_t> cycle;
  int64_t cycle_total = 0;
  if (fidelity == "cycle") {
    const compiler::Compiled compiled = compiler::compile(p, w.lowered.inputs, c.hw);
    const machine::MachineRun run = machine::run_machine(compiled.code, compiled.dram, compiled.sp_bytes, c.hw, compiled.probes);
    for (const machine::OpSpan& s : machine::op_spans(compiled.op_index, p.ops.size(), run)) cycle.push_back(s.cycles());
    cycle_total = run.cycles;
  }
  auto error = [](double estimate, int64_t measured) { return measured > 0 ? (estimate - static_cast<double>(measured)) / static_cast<double>(measured) : 0.0; };
  const bool with_mapped = fidelity != "roofline", with_cycle = fidelity == "cycle";
  if (format == "json") {
    nlohmann::json rows = nlohmann::json::array();
    for (size_t i = 0; i < r.rows.size(); ++i) {
      const auto& x = r.rows[i];
      nlohmann::json j{{"op", x.name}, {"kind", x.kind}, {"unit", x.unit}, {"ops", x.ops}, {"bytes", x.dram_bytes},
                       {"load_weight", x.load_weight}, {"load_act", x.load_act}, {"load_meta", x.load_meta}, {"store_act", x.store_act},
                       {"intensity", x.intensity}, {"peak", x.peak}, {"bound", x.bound}, {"roofline_cycles", x.roofline_cycles}};
      if (with_mapped) j["mapped_cycles"] = x.mapped_cycles;
      if (with_cycle) {
        j["cycle_cycles"] = cycle[i];
        j["roofline_error"] = error(x.roofline_cycles, cycle[i]);
        j["mapped_error"] = error(static_cast<double>(x.mapped_cycles), cycle[i]);
      }
      rows.push_back(j);
    }
    nlohmann::json out{{"program", p.name},
                       {"bandwidth", c.hw.memory.dram_bytes_per_cycle},
                       {"clock_mhz", c.hw.clock_mhz},
                       {"rows", rows},
                       {"ops", r.ops},
                       {"bytes", r.dram_bytes},
                       {"roofline_cycles", r.roofline_cycles}};
    if (with_mapped) out["mapped_cycles"] = r.mapped_cycles;
    if (with_cycle) {
      out["cycle_cycles"] = cycle_total;
      out["roofline_error"] = error(r.roofline_cycles, cycle_total);
      out["mapped_error"] = error(static_cast<double>(r.mapped_cycles), cycle_total);
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  const bool csv = format == "csv";
  if (csv) {
    std::printf("op,kind,unit,ops,bytes,load_weight,load_act,load_meta,store_act,intensity,bound,roofline_cycles%s%s\n", with_mapped ? ",mapped_cycles" : "",
                with_cycle ? ",cycle_cycles" : "");
  } else {
    std::printf("%s on %lldx%lld %s array, %.0f B/cycle\n", p.name.c_str(), static_cast<long long>(c.hw.array.rows),
                static_cast<long long>(c.hw.array.cols), model::dataflow_name(c.hw.array.dataflow),
                c.hw.memory.dram_bytes_per_cycle);
    std::printf("%-14s %-11s %-10s %13s %10s %9s %-8s %12s%s%s\n", "op", "kind", "unit", "ops", "bytes", "intensity", "bound",
                "roofline", with_mapped ? "       mapped" : "", with_cycle ? "        cycle  rf err map err" : "");
    // the units under the names: what a column counts, and the errors' reference
    std::printf("%-14s %-11s %-10s %13s %10s %9s %-8s %12s%s%s\n", "", "", "", "(ops)", "(DRAM B)", "(ops/B)", "", "(cycles)",
                with_mapped ? "     (cycles)" : "", with_cycle ? "     (cycles) (vs cycle)" : "");
  }
  for (size_t i = 0; i < r.rows.size(); ++i) {
    const auto& x = r.rows[i];
    if (csv) {
      std::printf("%s,%s,%s,%.0f,%lld,%lld,%lld,%lld,%lld,%.4f,%s,%.1f", x.name.c_str(), x.kind, x.unit, x.ops,
                  static_cast<long long>(x.dram_bytes), static_cast<long long>(x.load_weight), static_cast<long long>(x.load_act),
                  static_cast<long long>(x.load_meta), static_cast<long long>(x.store_act), x.intensity, x.bound,
                  x.roofline_cycles);
      if (with_mapped) std::printf(",%lld", static_cast<long long>(x.mapped_cycles));
      if (with_cycle) std::printf(",%lld", static_cast<long long>(cycle[i]));
      std::printf("\n");
      continue;
    }
    std::printf("%-14s %-11s %-10s %13.0f %10lld %9.2f %-8s %12.0f", x.name.c_str(), x.kind, x.unit, x.ops,
                static_cast<long long>(x.dram_bytes), x.intensity, x.bound, x.roofline_cycles);
    if (with_mapped) std::printf(" %12lld", static_cast<long long>(x.mapped_cycles));
    if (with_cycle)
      std::printf(" %12lld %6.1f%% %6.1f%%", static_cast<long long>(cycle[i]), error(x.roofline_cycles, cycle[i]) * 100,
                  error(static_cast<double>(x.mapped_cycles), cycle[i]) * 100);
    std::printf("\n");
  }
  if (!csv) {
    std::printf("%-37s %13.0f %10lld %9s %-8s %12.0f", "total", r.ops, static_cast<long long>(r.dram_bytes), "", "", r.roofline_cycles);
    if (with_mapped) std::printf(" %12lld", static_cast<long long>(r.mapped_cycles));
    if (with_cycle)
      std::printf(" %12lld %6.1f%% %6.1f%%", static_cast<long long>(cycle_total), error(r.roofline_cycles, cycle_total) * 100,
                  error(static_cast<double>(r.mapped_cycles), cycle_total) * 100);
    std::printf("\n");
  }
  return 0;
}

}  // namespace qtsim::sim
