// Option parsing shared by the subcommands (Boost.Program_options).
#pragma once
#include <boost/program_options.hpp>
#include <string>
#include <vector>

namespace qtsim::sim {

// Parses `opts` (shown in --help) plus positional arguments bound to `positional` (at most `max_positional`
// of them). Returns false after printing the help when --help was given.
bool parse_args(int argc, const char* const* argv, const boost::program_options::options_description& opts,
                std::vector<std::string>& positional, int max_positional, const std::string& help_text = "");

}  // namespace qtsim::sim
