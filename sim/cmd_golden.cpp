// qtsim golden CONFIG.yaml --out DIR: lower the configured layer, run it on the golden, write every tap.
#include <boost/program_options.hpp>
#include <iostream>

#include "golden/exec.hpp"
#include "sim/cli.hpp"
#include "sim/cli_args.hpp"
#include "sim/config.hpp"
#include "sim/output.hpp"

namespace po = boost::program_options;

namespace qtsim::sim {

int cmd_golden(int argc, const char* const* argv) {
  std::string config, out;
  std::vector<std::string> sets;
  po::options_description opts("usage: qtsim golden CONFIG.yaml --out DIR [--set key.path=value ...]\n\noptions");
  opts.add_options()("help,h", "this help")("out", po::value(&out), "directory for taps (DIR/<tap>.npy, DIR/taps.json)")(
      "set", po::value(&sets)->composing(), "override a config key, e.g. --set workload.tokens=50");
  std::vector<std::string> positional;
  if (!parse_args(argc, argv, opts, positional, 1)) return 0;
  if (!positional.empty()) config = positional[0];
  if (config.empty()) throw std::invalid_argument("missing CONFIG.yaml (see qtsim golden --help)");
  if (out.empty()) throw std::invalid_argument("missing --out DIR");
  check_out_dir(out);
  const Config c = load_config(config, sets);
  const Workload w = build_workload(c);
  const golden::Taps taps = golden::run_program(w.lowered.program, w.lowered.inputs);
  make_dir(out);
  OutputSet files;
  add_taps(files, out, w.lowered.program, taps);
  files.add(out + "/config.resolved.yaml", YAML::Dump(resolved_yaml(c)) + "\n");
  files.commit();
  std::cout << "golden: " << w.lowered.program.name << ", " << taps.order.size() << " taps written to " << out << "\n";
  return 0;
}

}  // namespace qtsim::sim
