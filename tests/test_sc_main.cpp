// Catch2 runner for SystemC tests: SystemC's main calls sc_main, which runs the selected cases.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdlib>
#include <systemc>

// SystemC prints its banner before sc_main runs; the switch must be set before that.
static const int kQuietSystemC = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);

int sc_main(int argc, char** argv) {
  (void)kQuietSystemC;
  return Catch::Session().run(argc, argv);
}
