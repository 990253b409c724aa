// qtsim eval CONFIG.yaml: accuracy of a trained ViT on real test images, FP32 and each integer scheme.
#include <boost/program_options.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "golden/exec.hpp"
#include "golden/npy.hpp"
#include "sim/cli.hpp"
#include "sim/cli_args.hpp"
#include "sim/config.hpp"
#include "sim/output.hpp"

namespace po = boost::program_options;
using nlohmann::json;

namespace qtsim::sim {

int cmd_eval(int argc, const char* const* argv) {
  std::string out;
  std::vector<std::string> sets;
  po::options_description opts(
      "usage: qtsim eval CONFIG.yaml [--out DIR] [--set key.path=value ...]\n\n"
      "Runs a trained ViT (workload: {vit: {model: DIR}}) on the first eval.images test images: the FP32\n"
      "forward and, per scheme, the integer-only golden calibrated on training images. Prints accuracy,\n"
      "agreement with the FP32 predictions and time per image; writes DIR/eval.json.\n\noptions");
  opts.add_options()("help,h", "this help")("out", po::value(&out), "output directory")(
      "set", po::value(&sets)->composing(), "override a config key, e.g. --set eval.images=500");
  std::vector<std::string> positional;
  if (!parse_args(argc, argv, opts, positional, 1)) return 0;
  if (positional.size() != 1) throw std::invalid_argument("give CONFIG.yaml (qtsim eval --help)");
  if (!out.empty()) check_out_dir(out);
  const Config c = load_config(positional[0], sets);
  if (c.workload.kind != WorkloadConfig::Kind::vit) throw std::invalid_argument(c.source + ": eval needs workload: {vit: ...}");
  const auto t_load = std::chrono::steady_clock::now();
  const std::shared_ptr<const VitWorkload> v = load_vit_workload(c.workload);
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_load).count();
  const golden::VitModel& m = v->model;
  for (const std::string& scheme : c.eval.schemes) {
    try {
      scheme_options(scheme, c.quant).check(m.cfg.block_dims());
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(c.source + ": eval.schemes: " + scheme + ": " + e.what());
    }
  }
  const int64_t n = std::min(c.eval.images, v->test.count);

  // PyTorch's own predictions, when the model folder has them, for the FP32 agreement.
  std::vector<int64_t> torch_pred;
  const std::string pred_file = c.workload.vit_dir + "/test_predictions.npy";
  struct stat st {};
  if (stat(pred_file.c_str(), &st) == 0) torch_pred = golden::load_npy_int(pred_file).data;

  std::vector<int64_t> fp32_pred(static_cast<size_t>(n));
  json rows = json::array();
  std::printf("%s: %lld test images, calibrated on %lld training images (%.1f s to load and calibrate)\n", c.workload.vit_dir.c_str(),
              static_cast<long long>(n), static_cast<long long>(c.workload.calib_images), load_s);
  std::printf("%-10s %9s %12s %10s %14s\n", "scheme", "accuracy", "vs fp32 pts", "agreement", "ms per image");
  double fp32_acc = -1;
  // FP32 first: the integer schemes' agreement is measured against it.
  std::vector<std::string> schemes = c.eval.schemes;
  std::stable_partition(schemes.begin(), schemes.end(), [](const std::string& s) { return s == "fp32"; });
  const bool have_fp32 = !schemes.empty() && schemes[0] == "fp32";
  if (!have_fp32) schemes.insert(schemes.begin(), "fp32");
  for (const std::string& scheme : schemes) {
    std::vector<int64_t> pred(static_cast<size_t>(n));
    const auto t0 = std::chrono::steady_clock::now();
    if (scheme == "fp32") {
      for (int64_t i = 0; i < n; ++i) {
        pred[static_cast<size_t>(i)] = golden::vit_class(golden::vit_fp32(m, golden::vit_patches(m.cfg, v->test.image(i))));
      }
    } else {
      golden::Lowered l = golden::lower_vit(m, v->cal, scheme_options(scheme, c.quant));
      for (int64_t i = 0; i < n; ++i) {
        l.inputs["patches"] = golden::vit_input(m, v->cal, v->test.image(i));
        const golden::Taps taps = golden::run_program(l.program, l.inputs);
        pred[static_cast<size_t>(i)] = golden::vit_class(taps.at("logits"));
      }
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (scheme == "fp32") fp32_pred = pred;
    int64_t correct = 0, agree = 0, agree_torch = 0;
    for (int64_t i = 0; i < n; ++i) {
      const size_t k = static_cast<size_t>(i);
      correct += pred[k] == v->labels[k];
      agree += pred[k] == fp32_pred[k];
      if (!torch_pred.empty()) agree_torch += pred[k] == torch_pred[k];
    }
    const double acc = static_cast<double>(correct) / static_cast<double>(n);
    if (scheme == "fp32") fp32_acc = acc;
    json row{{"scheme", scheme},
             {"accuracy", acc},
             {"agreement_with_fp32", static_cast<double>(agree) / static_cast<double>(n)},
             {"images", n},
             {"seconds_per_image", secs / static_cast<double>(n)}};
    if (!torch_pred.empty()) row["agreement_with_pytorch"] = static_cast<double>(agree_torch) / static_cast<double>(n);
    if (scheme != "fp32" || have_fp32) rows.push_back(row);
    std::printf("%-10s %8.2f%% %+12.2f %9.2f%% %14.3f", scheme.c_str(), 100 * acc, 100 * (acc - fp32_acc),
                100.0 * static_cast<double>(agree) / static_cast<double>(n), 1e3 * secs / static_cast<double>(n));
    if (!torch_pred.empty()) std::printf("   PyTorch agreement %.2f%%", 100.0 * static_cast<double>(agree_torch) / static_cast<double>(n));
    std::printf("\n");
  }
  if (m.cfg.fp32_accuracy > 0)
    std::printf("PyTorch measured FP32 %.2f%% on all %lld test images\n", 100 * m.cfg.fp32_accuracy,
                static_cast<long long>(v->test.count));
  if (!out.empty()) {
    make_dir(out);
    OutputSet files;
    files.add(out + "/eval.json", json{{"model", c.workload.vit_dir},
                                       {"calib_images", c.workload.calib_images},
                                       {"pytorch_fp32_accuracy", m.cfg.fp32_accuracy},
                                       {"rows", rows}}
                                          .dump(2) +
                                      "\n");
    files.commit();
    std::printf("wrote %s/eval.json\n", out.c_str());
  }
  return 0;
}

}  // namespace qtsim::sim
