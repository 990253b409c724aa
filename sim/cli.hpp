// The qtsim command line: one executable, subcommands. Exit codes: 0 success, 1 a comparison mismatched,
// 2 bad usage, config or input.
#pragma once

namespace qtsim::sim {

int cli_main(int argc, const char* const* argv);

int cmd_op(int argc, const char* const* argv);
int cmd_golden(int argc, const char* const* argv);
int cmd_run(int argc, const char* const* argv);
int cmd_compare(int argc, const char* const* argv);
int cmd_roofline(int argc, const char* const* argv);
int cmd_sweep(int argc, const char* const* argv);
int cmd_eval(int argc, const char* const* argv);
int cmd_area(int argc, const char* const* argv);
int cmd_compile(int argc, const char* const* argv);


}  // namespace qtsim::sim
