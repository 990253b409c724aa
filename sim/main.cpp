#include "sim/cli.hpp"

int main(int argc, char** argv) { return qtsim::sim::cli_main(argc, argv); }
