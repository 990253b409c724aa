// qtsim compile: a layer's Program and the accelerator configuration compiled into the instruction stream and
// DRAM image of docs/isa.md; with --check, run on the instruction set's reference semantics and compared with
// the golden tensor by tensor (--fault flips DRAM bits first).
#include <boost/program_options.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/compiler/compile.hpp"
#include "sim/cli.hpp"
#include "sim/cli_args.hpp"
#include "sim/compare.hpp"
#include "sim/config.hpp"
#include "sim/output.hpp"

namespace po = boost::program_options;

namespace qtsim::sim {

int cmd_compile(int argc, const char* const* argv) {
  std::string out;
  std::vector<std::string> sets, faults;
  bool check = false;
  uint64_t seed = 0;
  po::options_description opts(
      "usage: qtsim compile [CONFIG.yaml] --out DIR [--set key.path=value ...] [--check [--order-seed N]] [--fault dram:TENSOR:ELEMENT:BIT ...]\n\n"
      "Compiles the configured workload (default: the DeiT-Tiny INT8 encoder layer on the 16x16 ws accelerator) into\n"
      "DIR/program.qasm (one instruction per line, each with the Program op it comes from), DIR/program.bin (32 bytes\n"
      "an instruction), DIR/dram.bin (the DRAM image the program starts from) and DIR/dram_map.json ({name, address,\n"
      "bytes, dtype, shape, role} of every tensor). docs/isa.md describes all of them.\n"
      "--check runs the program on the instruction set's reference semantics and compares every tensor, read back from\n"
      "DRAM, with the golden: exit 1 on a difference. Exit 2 on a config the compiler cannot map.\n\noptions");
  opts.add_options()("help,h", "this help")("out", po::value(&out), "output directory")(
      "set", po::value(&sets)->composing(), "override a config key, e.g. --set hw.memory.input_kib=32")(
      "check", po::bool_switch(&check), "run on the reference semantics and compare every tensor with the golden")(
      "order-seed", po::value(&seed), "with --check: 0 (default) issues in program order; another seed issues the queues in a\n"
                                      "random order the dependency tokens allow")(
      "fault", po::value(&faults)->composing(), "with --check: flip bit BIT of element ELEMENT of TENSOR in the DRAM image first\n"
                                                "(names as in dram_map.json; repeatable)");
  std::vector<std::string> positional;
  if (!parse_args(argc, argv, opts, positional, 1)) return 0;
  if (out.empty()) throw std::invalid_argument("--out DIR is required");
  check_out_dir(out);
  if (!faults.empty() && !check) throw std::invalid_argument("--fault needs --check");
  std::vector<compiler::DramFault> parsed;
  for (const auto& f : faults) parsed.push_back(compiler::parse_fault(f));
  const Config c = load_config(positional.empty() ? "" : positional[0], sets);
  const Workload w = build_workload(c);
  const golden::Program& p = w.lowered.program;
  const compiler::Compiled compiled = compiler::compile(p, w.lowered.inputs, c.hw);
  std::vector<uint8_t> dram = compiled.dram;
  for (const auto& f : parsed) compiler::apply_fault(compiled, dram, f);

  make_dir(out);
  OutputSet files;
  files.add(out + "/program.qasm", compiler::program_text(compiled));
  const std::vector<uint8_t> bin = isa::to_binary(compiled.code);
  files.add(out + "/program.bin", std::string(bin.begin(), bin.end()));
  files.add(out + "/dram.bin", std::string(compiled.dram.begin(), compiled.dram.end()));
  files.add(out + "/dram_map.json", compiler::dram_map_json(compiled));
  std::printf("%s: %zu instructions, DRAM image %zu bytes, %zu tensors\n", p.name.c_str(), compiled.code.size(), compiled.dram.size(),
              compiled.map.size());
  int rc = 0;
  if (check) {
    const golden::Taps gold = golden::run_program(p, w.lowered.inputs);
    isa::FunctionalRun stats;
    const golden::Taps taps = compiler::run_reference(p, compiled, dram, seed, &stats);
    bool exact = true;
    const nlohmann::json checks = compare_taps(gold, taps, "isa", exact);
    int64_t equal = 0;
    for (const auto& ch : checks) equal += ch["bit_exact"].get<bool>();
    std::printf("reference semantics: %lld instructions executed, %lld/%zu tensors bit-exact against golden\n",
                static_cast<long long>(stats.executed), static_cast<long long>(equal), checks.size());
    for (const auto& ch : checks)
      if (!ch["bit_exact"].get<bool>() && ch.contains("first_mismatch")) {
        std::printf("first tap that differs: %s (%lld elements), first at %lld: golden %lld, program %lld\n", ch["name"].get<std::string>().c_str(),
                    static_cast<long long>(ch["mismatches"].get<int64_t>()), static_cast<long long>(ch["first_mismatch"]["index"].get<int64_t>()),
                    static_cast<long long>(ch["first_mismatch"]["expected"].get<int64_t>()),
                    static_cast<long long>(ch["first_mismatch"]["actual"].get<int64_t>()));
        break;
      }
    nlohmann::json report{{"instructions", compiled.code.size()}, {"executed", stats.executed}, {"order_seed", seed},
                          {"faults", faults}, {"bit_exact", exact}, {"checks", checks}};
    files.add(out + "/check.json", report.dump(1) + "\n");
    rc = exact ? 0 : 1;
  }
  files.commit();
  return rc;
}

}  // namespace qtsim::sim
