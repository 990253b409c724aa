#include "sim/cli_args.hpp"

#include <iostream>
#include <stdexcept>

namespace po = boost::program_options;

namespace qtsim::sim {

bool parse_args(int argc, const char* const* argv, const po::options_description& opts, std::vector<std::string>& positional,
                int max_positional, const std::string& help_text) {
  po::options_description all;
  all.add(opts).add_options()("positional__", po::value(&positional)->composing());
  po::positional_options_description pos;
  pos.add("positional__", max_positional);
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << help_text << opts;
    return false;
  }
  return true;
}

}  // namespace qtsim::sim
