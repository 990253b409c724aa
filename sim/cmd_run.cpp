// qtsim run [CONFIG.yaml]: the main job. Lowers the layer, runs the configured executors, compares, reports.
#include <boost/program_options.hpp>
#include <algorithm>
#include <array>
#include <map>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "golden/exec.hpp"
#include "golden/float_ops.hpp"
#include "models/analytic/analytic.hpp"
#include "models/units/accelerator.hpp"
#include "models/compiler/compile.hpp"
#include "models/machine/machine.hpp"
#include "models/verilated/rtl_trace.hpp"
#include "sim/timeline.hpp"
#include "sim/cli.hpp"
#include "sim/cli_args.hpp"
#include "sim/config.hpp"
#include "sim/compare.hpp"
#include "sim/machine_report.hpp"
#include "sim/output.hpp"
#include "sim/progress.hpp"

namespace po = boost::program_options;
using nlohmann::json;

namespace qtsim::sim {

namespace {
// Per unit: cycles busy computing, stalled on DRAM, and idle while other units run (units run one op at a time);
// for the DRAM channel, the cycles it moved data.
json unit_summary(const model::ModelRun& run) {
  std::map<std::string, std::array<int64_t, 2>> u;
  for (const auto& st : run.ops) {
    u["dram"][0] += st.dram_busy_cycles;
    if (st.unit == "layout") continue;
    u[st.unit][0] += st.compute_cycles;
    u[st.unit][1] += st.stall_cycles;
  }
  json out = json::object();
  for (const auto& [name, v] : u)
    out[name] = {{"busy_cycles", v[0]}, {"stall_cycles", v[1]}, {"idle_cycles", run.total_cycles - v[0] - v[1]}};
  return out;
}

// stats.csv: one counter per line with its unit and meaning.
std::string stats_csv(const json& report) {
  std::string csv = "scope,counter,value,unit,description\n";
  auto row = [&](const std::string& scope, const char* counter, const json& v, const char* unit, const char* what) {
    csv += scope + "," + counter + "," + v.dump() + "," + unit + "," + what + "\n";
  };
  if (report.contains("total_cycles")) row("layer", "total_cycles", report["total_cycles"], "cycles", "all ops one after another");
  for (const auto& o : report["ops"]) {
    const std::string scope = "op:" + o["name"].get<std::string>();
    row(scope, "macs", o["macs"], "MAC", "useful multiply-accumulates");
    if (!o.contains("cycles")) continue;
    row(scope, "cycles", o["cycles"], "cycles", "compute plus DRAM stalls");
    row(scope, "compute_cycles", o["compute_cycles"], "cycles", "the unit busy");
    row(scope, "stall_cycles", o["stall_cycles"], "cycles", "waiting for DRAM transfers");
    row(scope, "dram_busy_cycles", o["dram_busy_cycles"], "cycles", "the DRAM channel moving the op's data");
    row(scope, "utilization", o["utilization"], "fraction", "useful MACs over the PEs' product slots (PEs x products per PE per cycle for the op's operand types) x cycles");
    row(scope, "mapping_efficiency", o["mapping_efficiency"], "fraction", "useful MACs over PEs x tile stream cycles");
    row(scope, "dram_read_bytes", o["dram_read_bytes"], "bytes", "read from DRAM");
    row(scope, "dram_weight_bytes", o["dram_weight_bytes"], "bytes", "of the reads: weights and biases");
    row(scope, "dram_meta_bytes", o["dram_meta_bytes"], "bytes", "of the reads: requant multipliers, zero points, per-group scales");
    row(scope, "dram_write_bytes", o["dram_write_bytes"], "bytes", "written to DRAM");
    row(scope, "sram_read_bytes", o["sram_read_bytes"], "bytes", "read from the scratchpads");
    row(scope, "sram_write_bytes", o["sram_write_bytes"], "bytes", "written to the scratchpads");
  }
  if (report.contains("units"))
    for (const auto& [name, u] : report["units"].items()) {
      row("unit:" + name, "busy_cycles", u["busy_cycles"], "cycles", name == "dram" ? "moving data" : "computing");
      row("unit:" + name, "stall_cycles", u["stall_cycles"], "cycles", "stalled on DRAM");
      row("unit:" + name, "idle_cycles", u["idle_cycles"], "cycles", "waiting while other units run");
    }
  if (report.contains("machine")) machine_csv(report["machine"], csv);
  return csv;
}

json op_record(const golden::Program& p, const golden::Op& op) {
  json j{{"name", op.name}, {"kind", golden::op_kind_name(op.kind)}};
  if (op.kind == golden::OpKind::gemm || op.kind == golden::OpKind::gemm_group4 || op.kind == golden::OpKind::bgemm) {
    const auto& a = p.info(op.in[0]).shape;
    const auto& c = p.info(op.out[0]).shape;
    j["M"] = golden::numel(a) / a.back();
    j["K"] = a.back();
    j["N"] = c.back();
  } else if (op.kind == golden::OpKind::bmm_nt) {
    const auto& a = p.info(op.in[0]).shape;
    const auto& b = p.info(op.in[1]).shape;
    j["batch"] = a[0], j["M"] = a[1], j["K"] = a[2], j["N"] = b[1];
  }
  j["macs"] = golden::op_macs(p, op);
  j["out_shape"] = p.info(op.out[0]).shape;
  return j;
}
// The analytic model's estimate of one run's simulated cycles (the progress bars' totals). Unless `force`, a
// job expected to simulate for hours (a typo in a latency, a huge array) is refused before it starts: the
// simulating executors' cycles, the per-op model's once per image.
double check_cost(const Config& c, const golden::Program& p, bool force, bool faults) {
  auto has = [&](const char* e) { return std::find(c.run.executors.begin(), c.run.executors.end(), e) != c.run.executors.end(); };
  const int64_t images = c.workload.kind == WorkloadConfig::Kind::vit ? c.workload.images : 1;
  const double runs = (has("model") ? static_cast<double>(images) : 0) + (has("machine") || faults) + has("rtl");
  const model::Roofline r = model::roofline(p, c.hw);
  const double cycles = static_cast<double>(r.mapped_cycles) * runs;
  if (force || runs == 0 || cycles <= static_cast<double>(c.run.max_cycles)) return static_cast<double>(r.mapped_cycles);
  size_t worst = 0;
  for (size_t i = 0; i < r.rows.size(); ++i)
    if (r.rows[i].mapped_cycles > r.rows[worst].mapped_cycles) worst = i;
  char b[512];
  std::snprintf(b, sizeof b,
                "%s: run.max_cycles: the analytic model estimates %.3g simulated cycles (%.3g a run x %.0f runs; op %s alone %.3g), "
                "above the limit of %.3g: check the config, raise run.max_cycles or add --force",
                c.source.c_str(), cycles, static_cast<double>(r.mapped_cycles), runs, r.rows.empty() ? "-" : r.rows[worst].name.c_str(),
                r.rows.empty() ? 0.0 : static_cast<double>(r.rows[worst].mapped_cycles), static_cast<double>(c.run.max_cycles));
  throw std::invalid_argument(b);
}
}  // namespace

int cmd_run(int argc, const char* const* argv) {
  std::string config, out;
  std::vector<std::string> sets;
  bool dump_taps = false, timeline = false, force = false;
  std::string trace;
  std::vector<std::string> faults;
  po::options_description opts(
      "usage: qtsim run [CONFIG.yaml] [--out DIR] [--set key.path=value ...] [--dump-taps] [--timeline] [--trace fst|vcd]\n"
      "                 [--fault dram:TENSOR:ELEMENT:BIT ...]\n\n"
      "Without CONFIG.yaml runs the built-in default: a DeiT-Tiny INT8 encoder layer (197 tokens) on the golden,\n"
      "on the per-op cycle model of a 16x16 weight-stationary array, on the machine (the compiled instruction\n"
      "stream, its bytes moving through the DMA and the banked scratchpads) and on the per-op accelerator with\n"
      "every unit as Verilated RTL (run.executors: golden, model, machine, rtl), every tap compared and the RTL's\n"
      "cycles against the model's.\n"
      "Prints a summary; with --out writes DIR/report.json, DIR/stats.csv and DIR/config.resolved.yaml.\n"
      "Exit 0 when every tap is bit-exact (and the RTL's cycles equal the model's), 1 on any mismatch, 2 on a bad\n"
      "config or usage.\n\noptions");
  opts.add_options()("help,h", "this help")("out", po::value(&out), "output directory")(
      "set", po::value(&sets)->composing(), "override a config key, e.g. --set run.seed=3")(
      "dump-taps", po::bool_switch(&dump_taps), "also write every tap as DIR/taps/golden/<name>.npy")(
      "force", po::bool_switch(&force), "run even when the analytic model estimates more than run.max_cycles simulated cycles")(
      "timeline", po::bool_switch(&timeline),
      "also write DIR/timeline.json: ops, every unit's compute spans and the DRAM channel's transfers in the Chrome\n"
      "trace-event format (open in ui.perfetto.dev or chrome://tracing)")(
      "trace", po::value(&trace),
      "waves of the units run as RTL (run.impl), DIR/waves/<unit>.fst or .vcd (vcd: converted with GTKWave's\n"
      "fst2vcd); every cycle of every signal, so best on small workloads such as a single GEMM")(
      "fault", po::value(&faults)->composing(),
      "flip bit BIT of element ELEMENT of tensor TENSOR (a name of dram_map.json) in the machine's DRAM image\n"
      "before it starts (repeatable; runs the machine; golden stays clean): the checks locate the first tap it reaches");
  std::vector<std::string> positional;
  if (!parse_args(argc, argv, opts, positional, 1)) return 0;
  if (!positional.empty()) config = positional[0];
  if (dump_taps && out.empty()) throw std::invalid_argument("--dump-taps needs --out DIR");
  if (timeline && out.empty()) throw std::invalid_argument("--timeline needs --out DIR");
  if (!trace.empty() && trace != "fst" && trace != "vcd") throw std::invalid_argument("--trace must be fst or vcd, not '" + trace + "'");
  if (!trace.empty() && out.empty()) throw std::invalid_argument("--trace needs --out DIR");
  if (!out.empty()) check_out_dir(out);
  // The main job on the built-in default also runs the RTL (a --set of run.executors still decides).
  const Config c = load_config(config, sets, config.empty() ? std::vector<std::string>{"run.executors=[golden, model, machine, rtl]"} : std::vector<std::string>{});
  if (!trace.empty()) {
    const model::RtlUnits& r = c.hw.rtl;
    const bool rtl_executor = std::find(c.run.executors.begin(), c.run.executors.end(), "rtl") != c.run.executors.end();
    if (!(r.array || r.ppu || r.shiftmax || r.shiftgelu || r.ilayernorm || rtl_executor))
      throw std::invalid_argument("--trace: no unit runs as RTL (set run.impl, e.g. --set run.impl=rtl, or add the rtl executor)");
    std::filesystem::remove_all(out + "/waves.tmp");  // written as the run goes; renamed when complete
    model::set_rtl_trace_dir(out + "/waves.tmp");
  }
  const Workload w = build_workload(c);
  const golden::Program& p = w.lowered.program;
  const double estimate = check_cost(c, p, force, !faults.empty());
  // a bar on a terminal once a simulation has taken two seconds
  auto simulate = [&](const char* what, auto&& run) {
    Progress bar(estimate, 0, "cycles", 2.0, std::string(what) + ": ", true);
    auto result = run([&](int64_t cycles) { bar.set(static_cast<double>(cycles)); });
    bar.finish();
    return result;
  };

  const auto t0 = std::chrono::steady_clock::now();
  const golden::Taps taps = golden::run_program(p, w.lowered.inputs);
  const double golden_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  json report{{"program", p.name}, {"config", c.source}, {"executors", c.run.executors}};
  json ops = json::array();
  int64_t macs = 0;
  for (const auto& op : p.ops) {
    ops.push_back(op_record(p, op));
    macs += golden::op_macs(p, op);
  }
  report["golden"] = {{"seconds", golden_s}, {"macs", macs}};
  report["checks"] = json::array();
  bool all_exact = true;
  const bool use_model = std::find(c.run.executors.begin(), c.run.executors.end(), "model") != c.run.executors.end();
  const bool use_machine = !faults.empty() || std::find(c.run.executors.begin(), c.run.executors.end(), "machine") != c.run.executors.end();
  if (timeline && !use_model && !use_machine) throw std::invalid_argument("--timeline needs the model or the machine among run.executors");
  std::vector<compiler::DramFault> dram_faults;
  for (const auto& f : faults) dram_faults.push_back(compiler::parse_fault(f));
  if (use_machine) machine::elaborate_machine();  // before any SystemC run starts
  const bool use_rtl = std::find(c.run.executors.begin(), c.run.executors.end(), "rtl") != c.run.executors.end();
  const model::HwConfig hw_rtl = all_rtl(c.hw);
  if (use_model && use_rtl) model::elaborate({c.hw, hw_rtl});  // SystemC elaborates once: both before either runs
  model::ModelRun mrun;
  json model_checks = json::array();
  double model_s = 0;
  if (use_model) {
    const auto m0 = std::chrono::steady_clock::now();
    mrun = simulate("model", [&](auto&& tick) { return model::run_on_model(p, w.lowered.inputs, c.hw, timeline, tick); });
    model_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - m0).count();
    model_checks = compare_taps(taps, mrun.taps, "model", all_exact);
    report["checks"] = model_checks;
    report["total_cycles"] = mrun.total_cycles;
    report["model"] = {{"seconds", model_s}, {"clock_mhz", c.hw.clock_mhz},
                       {"time_us", static_cast<double>(mrun.total_cycles) / c.hw.clock_mhz}};
    for (size_t i = 0; i < ops.size(); ++i) {
      const model::OpStats& st = mrun.ops[i];
      ops[i]["unit"] = st.unit;
      ops[i]["cycles"] = st.cycles;
      ops[i]["compute_cycles"] = st.compute_cycles;
      ops[i]["stall_cycles"] = st.stall_cycles;
      ops[i]["dram_busy_cycles"] = st.dram_busy_cycles;
      ops[i]["utilization"] = st.utilization;
      ops[i]["mapping_efficiency"] = st.mapping_efficiency;
      ops[i]["dram_bytes"] = st.dram_read_bytes + st.dram_write_bytes;
      ops[i]["dram_read_bytes"] = st.dram_read_bytes;
      ops[i]["dram_weight_bytes"] = st.dram_weight_bytes;
      ops[i]["dram_meta_bytes"] = st.dram_meta_bytes;
      ops[i]["dram_write_bytes"] = st.dram_write_bytes;
      ops[i]["sram_read_bytes"] = st.sram_read_bytes;
      ops[i]["sram_write_bytes"] = st.sram_write_bytes;
    }
    report["units"] = unit_summary(mrun);
  }
  report["ops"] = ops;
  // The machine: the compiled instruction stream from its DRAM image (with the faults flipped in), every tensor
  // read back from the DRAM it leaves.
  compiler::Compiled compiled;
  machine::MachineRun mach;
  golden::Taps mtaps;
  json machine_checks = json::array();
  double machine_s = 0;
  if (use_machine) {
    const auto c0 = std::chrono::steady_clock::now();
    compiled = compiler::compile(p, w.lowered.inputs, c.hw);
    const double compile_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
    std::vector<uint8_t> dram = compiled.dram;
    for (const auto& f : dram_faults) compiler::apply_fault(compiled, dram, f);
    const auto m0 = std::chrono::steady_clock::now();
    mach = simulate("machine", [&](auto&& tick) { return machine::run_machine(compiled.code, std::move(dram), compiled.sp_bytes, c.hw, compiled.probes, tick); });
    machine_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - m0).count();
    mtaps = compiler::read_taps(p, compiled, mach.dram, mach.probed);
    machine_checks = compare_taps(taps, mtaps, "machine", all_exact);
    for (const auto& ch : machine_checks) report["checks"].push_back(ch);
    json rec = machine_json(compiled, mach, c.hw.clock_mhz);
    rec["seconds"] = machine_s;
    rec["compile_seconds"] = compile_s;
    if (!faults.empty()) {
      rec["faults"] = faults;
      for (const auto& ch : machine_checks)
        if (!ch["bit_exact"].get<bool>()) {
          rec["first_differing_tap"] = ch["name"];
          break;
        }
    }
    report["machine"] = rec;
  }
  // The rtl executor: every unit as Verilated RTL, its taps against golden and its cycles against the model's,
  // op by op.
  model::ModelRun rrun;
  json rtl_checks = json::array();
  std::string rtl_cycles;
  double rtl_s = 0;
  if (use_rtl) {
    const auto r0 = std::chrono::steady_clock::now();
    rrun = simulate("rtl", [&](auto&& tick) { return model::run_on_model(p, w.lowered.inputs, hw_rtl, false, tick); });
    rtl_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - r0).count();
    rtl_checks = compare_taps(taps, rrun.taps, "rtl", all_exact);
    json rec{{"seconds", rtl_s}, {"total_cycles", rrun.total_cycles}};
    if (use_model) {
      size_t i = 0;
      while (i < rrun.ops.size() && rrun.ops[i].cycles == mrun.ops[i].cycles) ++i;
      const bool same = i == rrun.ops.size();
      rec["cycles_equal_model"] = same;
      rtl_cycles = same ? "; cycles op by op: equal to the model's" : "; cycles differ from the model's at op " + rrun.ops[i].name;
      if (!same) {
        rec["first_cycle_difference"] = {{"op", rrun.ops[i].name}, {"model", mrun.ops[i].cycles}, {"rtl", rrun.ops[i].cycles}};
        all_exact = false;
      }
    }
    report["rtl"] = rec;
    for (const auto& ch : rtl_checks) report["checks"].push_back(ch);
  }

  std::printf("qtsim run: %s (%s)\n", p.name.c_str(), c.source.c_str());
  std::printf("%-14s %-12s %6s %6s %6s %12s %10s %8s %6s\n", "op", "kind", "M", "K", "N", "MACs", "cycles", "stall", "util");
  for (const auto& o : ops) {
    auto num = [&](const char* k) { return o.contains(k) ? std::to_string(o[k].get<int64_t>()) : std::string("-"); };
    const std::string util = o.contains("utilization") && o["macs"].get<int64_t>() > 0
                                 ? std::to_string(static_cast<int>(o["utilization"].get<double>() * 100 + 0.5)) + "%"
                                 : "-";
    std::printf("%-14s %-12s %6s %6s %6s %12s %10s %8s %6s\n", o["name"].get<std::string>().c_str(),
                o["kind"].get<std::string>().c_str(), num("M").c_str(), num("K").c_str(), num("N").c_str(),
                num("macs").c_str(), num("cycles").c_str(), num("stall_cycles").c_str(), util.c_str());
  }
  std::printf("golden: %.3f s, %.1f M MACs, %zu taps\n", golden_s, static_cast<double>(macs) / 1e6, taps.order.size());
  auto exact_of = [](const json& checks) {
    size_t n = 0;
    for (const auto& ch : checks) n += ch["bit_exact"].get<bool>() ? 1 : 0;
    return n;
  };
  if (use_model) {
    const size_t exact = exact_of(model_checks);
    std::printf("model:  %.3f s wall, %lld cycles (%.1f us at %.0f MHz); taps bit-exact against golden: %zu/%zu%s\n",
                model_s, static_cast<long long>(mrun.total_cycles), static_cast<double>(mrun.total_cycles) / c.hw.clock_mhz,
                c.hw.clock_mhz, exact, model_checks.size(), exact == model_checks.size() ? "" : "  MISMATCH");
  }
  if (use_machine) {
    const size_t exact = exact_of(machine_checks);
    const json& m = report["machine"];
    std::printf("machine: %.3f s wall, %lld cycles, %lld instructions, ops overlapping %.2fx, %lld bank-conflict cycles; taps "
                "bit-exact against golden: %zu/%zu%s\n",
                machine_s, static_cast<long long>(mach.cycles), static_cast<long long>(mach.executed), m["op_overlap"].get<double>(),
                static_cast<long long>(mach.bank_conflicts), exact, machine_checks.size(), exact == machine_checks.size() ? "" : "  MISMATCH");
    if (m.contains("first_differing_tap"))
      std::printf("machine: the faults reach tap %s first\n", m["first_differing_tap"].get<std::string>().c_str());
    else if (!faults.empty())
      std::printf("machine: the faults changed no tap\n");
  }
  if (use_rtl) {
    const size_t exact = exact_of(rtl_checks);
    std::printf("rtl:    %.3f s wall, %lld cycles, every unit Verilated; taps bit-exact against golden: %zu/%zu%s%s\n", rtl_s,
                static_cast<long long>(rrun.total_cycles), exact, rtl_checks.size(), exact == rtl_checks.size() ? "" : "  MISMATCH",
                rtl_cycles.c_str());
  }
  if (w.vit) {
    // The whole model on each requested test image: golden and model classes, every tap compared.
    const golden::VitModel& vm = w.vit->model;
    json images = json::array();
    for (int64_t i = c.workload.first_image; i < c.workload.first_image + c.workload.images; ++i) {
      std::map<std::string, golden::ITensor> in = w.lowered.inputs;
      in["patches"] = golden::vit_input(vm, w.vit->cal, w.vit->test.image(i));
      const golden::Taps g = i == c.workload.first_image ? taps : golden::run_program(p, in);
      const int64_t golden_class = golden::vit_class(g.at("logits"));
      json rec{{"image", i}, {"label", w.vit->labels[static_cast<size_t>(i)]}, {"golden_class", golden_class}};
      std::string line = "image " + std::to_string(i) + ": label " + std::to_string(w.vit->labels[static_cast<size_t>(i)]) +
                         ", golden " + std::to_string(golden_class);
      if (use_model) {
        const model::ModelRun r = i == c.workload.first_image ? mrun : model::run_on_model(p, in, c.hw);
        bool exact = true;
        const json checks = compare_taps(g, r.taps, "model", exact);
        const int64_t model_class = golden::vit_class(r.taps.at("logits"));
        all_exact = all_exact && exact && model_class == golden_class;
        rec["model_class"] = model_class;
        rec["cycles"] = r.total_cycles;
        rec["bit_exact"] = exact;
        line += ", model " + std::to_string(model_class) + ", " + std::to_string(r.total_cycles) + " cycles, " +
                (exact ? "all taps bit-exact" : "MISMATCH");
        if (!exact) report["checks_image_" + std::to_string(i)] = checks;
      }
      std::printf("%s\n", line.c_str());
      images.push_back(rec);
    }
    report["images"] = images;
  }
  if (!trace.empty()) {
    model::close_rtl_traces();
    if (trace == "vcd") model::convert_traces_to_vcd(out + "/waves.tmp");
    std::filesystem::remove_all(out + "/waves");
    std::filesystem::rename(out + "/waves.tmp", out + "/waves");
    std::printf("wrote the RTL units' waves to %s/waves (%s)\n", out.c_str(), trace.c_str());
  }
  if (w.has_float) {
    const golden::FTensor ref = golden::encoder_fp32(w.encoder.x_float, w.encoder.weights, w.encoder.dims);
    const golden::ErrorStats e = golden::error_stats(ref, golden::dequantized_output(p, taps.at(p.outputs.at(0))));
    report["quant_error"] = {{"vs", "fp32"}, {"cosine", e.cosine}, {"sqnr_db", e.sqnr_db}, {"max_abs", e.max_abs}, {"mean_abs", e.mean_abs}};
    std::printf("integer output vs FP32 layer: cosine %.6f, SQNR %.2f dB, max |err| %.4f\n", e.cosine, e.sqnr_db, e.max_abs);
  }
  if (!out.empty()) {
    make_dir(out);
    OutputSet files;
    files.add(out + "/report.json", report.dump(2) + "\n");
    files.add(out + "/stats.csv", stats_csv(report));
    files.add(out + "/config.resolved.yaml", YAML::Dump(resolved_yaml(c)) + "\n");
    if (timeline) {
      json tl = use_model ? timeline_json(mrun, p.name, c.hw.clock_mhz) : json{{"displayTimeUnit", "ns"}, {"traceEvents", json::array()}};
      if (use_machine) machine_timeline(compiled, mach, c.hw.clock_mhz, tl);
      files.add(out + "/timeline.json", tl.dump() + "\n");
    }
    if (dump_taps) {
      make_dir(out + "/taps/golden");
      add_taps(files, out + "/taps/golden", p, taps);
      if (use_model) {
        make_dir(out + "/taps/model");
        add_taps(files, out + "/taps/model", p, mrun.taps);
      }
      if (use_machine) {
        make_dir(out + "/taps/machine");
        add_taps(files, out + "/taps/machine", p, mtaps);
      }
      if (use_rtl) {
        make_dir(out + "/taps/rtl");
        add_taps(files, out + "/taps/rtl", p, rrun.taps);
      }
    }
    files.commit();
    std::printf("wrote %s/report.json\n", out.c_str());
  }
  return all_exact ? 0 : 1;
}

}  // namespace qtsim::sim
