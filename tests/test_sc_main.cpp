// Catch2 runner for SystemC tests: SystemC's main calls sc_main, which runs the selected cases.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdlib>
#include <systemc>

int sc_main(int argc, char** argv) { return Catch::Session().run(argc, argv); }
