// Verilator's headers come first (the generated header includes every unit's): included after <systemc>
// they switch to SystemC mode, which these C++-driven models do not use.
#include "qtsim_rtl_lanes.hpp"
// (the header after them, for the reason above)
#include "models/verilated/verilated_unit.hpp"

namespace qtsim::model {

const std::vector<int64_t>& rtl_lanes() {
  static const std::vector<int64_t> lanes{QTSIM_RTL_LANE_COUNTS};
  return lanes;
}

std::string rtl_lanes_unsupported(const std::string& unit, int64_t lanes) {
  std::string built;
  for (int64_t l : rtl_lanes()) {
    if (l == lanes) return "";
    built += (built.empty() ? "" : ", ") + std::to_string(l);
  }
  return "the " + unit + " RTL is built for " + built + " lanes, not " + std::to_string(lanes) +
         " (add it to QTSIM_RTL_LANES in rtl/CMakeLists.txt and rebuild)";
}

}  // namespace qtsim::model
