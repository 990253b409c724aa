// qtsim run [CONFIG.yaml]: the main job. Lowers the layer, runs the configured executors, compares, reports.
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "golden/exec.hpp"
#include "golden/float_ops.hpp"
#include "sim/cli.hpp"
#include "sim/config.hpp"
#include "sim/output.hpp"

namespace po = boost::program_options;
using nlohmann::json;

namespace qtsim::sim {

namespace {
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
}  // namespace

int cmd_run(int argc, const char* const* argv) {
  std::string config, out;
  std::vector<std::string> sets;
  bool dump_taps = false;
  po::options_description opts(
      "usage: qtsim run [CONFIG.yaml] [--out DIR] [--set key.path=value ...] [--dump-taps]\n\n"
      "Without CONFIG.yaml runs the built-in default (DeiT-Tiny INT8 encoder layer, 197 tokens).\n"
      "Prints a summary; with --out writes DIR/report.json and DIR/config.resolved.yaml.\n\noptions");
  opts.add_options()("help,h", "this help")("out", po::value(&out), "output directory")(
      "set", po::value(&sets)->composing(), "override a config key, e.g. --set run.seed=3")(
      "dump-taps", po::bool_switch(&dump_taps), "also write every tap as DIR/taps/golden/<name>.npy");
  po::options_description all;
  all.add(opts).add_options()("config", po::value(&config));
  po::positional_options_description pos;
  pos.add("config", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << opts;
    return 0;
  }
  if (dump_taps && out.empty()) throw std::invalid_argument("--dump-taps needs --out DIR");
  const Config c = load_config(config, sets);
  const Workload w = build_workload(c);
  const golden::Program& p = w.lowered.program;

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
  report["ops"] = ops;
  report["checks"] = json::array();
  report["golden"] = {{"seconds", golden_s}, {"macs", macs}};

  std::printf("qtsim run: %s (%s)\n", p.name.c_str(), c.source.c_str());
  std::printf("%-14s %-12s %6s %6s %6s %12s\n", "op", "kind", "M", "K", "N", "MACs");
  for (const auto& o : ops) {
    auto num = [&](const char* k) { return o.contains(k) ? std::to_string(o[k].get<int64_t>()) : std::string("-"); };
    std::printf("%-14s %-12s %6s %6s %6s %12s\n", o["name"].get<std::string>().c_str(), o["kind"].get<std::string>().c_str(),
                num("M").c_str(), num("K").c_str(), num("N").c_str(), num("macs").c_str());
  }
  std::printf("golden: %.3f s, %.1f M MACs, %zu taps\n", golden_s, static_cast<double>(macs) / 1e6, taps.order.size());
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
    files.add(out + "/config.resolved.yaml", YAML::Dump(resolved_yaml(c)) + "\n");
    if (dump_taps) {
      make_dir(out + "/taps/golden");
      add_taps(files, out + "/taps/golden", p, taps);
    }
    files.commit();
    std::printf("wrote %s/report.json\n", out.c_str());
  }
  return 0;
}

}  // namespace qtsim::sim
