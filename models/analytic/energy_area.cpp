#include "models/analytic/energy_area.hpp"

namespace qtsim::model {

double mac_energy_pj(int64_t lanes) {
  if (lanes >= 64) return EnergyArea::mac_binary_pj;
  return lanes >= 2 ? EnergyArea::mac_int4_pj : EnergyArea::mac_int8_pj;
}

double area_mm2(const HwConfig& hw) {
  const double pes = static_cast<double>(hw.array.rows * hw.array.cols);
  const double kib = static_cast<double>(hw.memory.input_kib + hw.memory.weight_kib + hw.memory.acc_kib);
  const double um2 = pes * EnergyArea::pe_um2 + kib * EnergyArea::sram_kib_um2 +
                     static_cast<double>(hw.ppu_lanes) * EnergyArea::ppu_lane_um2 +
                     3.0 * static_cast<double>(hw.nonlinear_lanes) * EnergyArea::nonlinear_lane_um2;
  return um2 * 1e-6;
}

}  // namespace qtsim::model
