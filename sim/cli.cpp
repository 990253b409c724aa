#include "sim/cli.hpp"

#include <cstring>
#include <iostream>
#include <stdexcept>
#include <string>

#include "sim/yaml_reader.hpp"

namespace qtsim::sim {

namespace {
const char* kUsage =
    "usage: qtsim <command> [options]\n"
    "\n"
    "commands:\n"
    "  run [CONFIG.yaml]     run a layer on the golden and the cycle model, compare every tap, report cycles\n"
    "                        (default: DeiT-Tiny INT8 encoder layer on a 16x16 weight-stationary array)\n"
    "  golden CONFIG.yaml    lower and run the configured layer on the golden, write its taps as .npy\n"
    "  op NAME               run one golden operator on tensors from .npy files\n"
    "  compare DIR_A DIR_B   compare two tap directories tap by tap\n"
    "  roofline [CONFIG]     per-op operations, bytes, intensity, bound, roofline and mapped time\n"
    "  sweep SWEEP.yaml      cost a design space point by point into a CSV (-j, --shard, --resume, merge)\n"
    "  eval CONFIG.yaml      accuracy of a trained ViT on real test images: FP32 and the integer schemes\n"
    "  area [CONFIG.yaml]    the configuration's RTL units synthesized by yosys: cells and NAND2 equivalents\n"
    "  compile [CONFIG.yaml] the accelerator's instruction stream and DRAM image (--check: run and compare with golden)\n"
    "\n"
    "`qtsim <command> --help` explains every option.\n";
}

int cli_main(int argc, const char* const* argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string cmd = argv[1];
  try {
    if (cmd == "op") return cmd_op(argc - 1, argv + 1);
    if (cmd == "golden") return cmd_golden(argc - 1, argv + 1);
    if (cmd == "run") return cmd_run(argc - 1, argv + 1);
    if (cmd == "compare") return cmd_compare(argc - 1, argv + 1);
    if (cmd == "roofline") return cmd_roofline(argc - 1, argv + 1);
    if (cmd == "sweep") return cmd_sweep(argc - 1, argv + 1);
    if (cmd == "eval") return cmd_eval(argc - 1, argv + 1);
    if (cmd == "area") return cmd_area(argc - 1, argv + 1);
    if (cmd == "compile") return cmd_compile(argc - 1, argv + 1);
    std::cerr << "qtsim: unknown command '" << cmd << "'\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "qtsim " << cmd << ": error: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace qtsim::sim
