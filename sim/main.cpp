#include <cstdlib>
#include <systemc>

#include "sim/cli.hpp"

// SystemC prints its banner before sc_main runs; the switch must be set before that.
static const int kQuietSystemC = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);

// SystemC's own main calls sc_main (the cycle model elaborates inside the commands).
int sc_main(int argc, char** argv) {
  (void)kQuietSystemC;
  return qtsim::sim::cli_main(argc, argv);
}
