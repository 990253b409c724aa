// Energy and area proxies for design-space studies: first-order per-event energies and per-component areas
// at 45 nm (Horowitz, "Computing's energy problem", ISSCC 2014), so that sweeps can draw latency against
// energy or area. They rank design points; they are not sign-off numbers (docs/roofline.md, "Proxies").
#pragma once
#include <cstdint>

#include "models/hw/hw_config.hpp"

namespace qtsim::model {

struct EnergyArea {
  // Energy per event, picojoules.
  static constexpr double mac_int8_pj = 0.3;       // 8-bit multiply 0.2 + 32-bit add 0.1
  static constexpr double mac_int4_pj = 0.1;       // two 4-bit products (multiplier energy ~ width^2) share one add
  static constexpr double mac_binary_pj = 0.008;   // 64 XNORs and a popcount tree per 64-bit word, per product
  static constexpr double elementwise_op_pj = 0.1; // one 32-bit add-class operation of the row units
  static constexpr double sram_byte_pj = 1.25;     // 8 KiB SRAM, 10 pJ per 64-bit access
  static constexpr double dram_byte_pj = 162.5;    // DRAM, 1.3 nJ per 64-bit access
  // Area, square micrometres.
  static constexpr double pe_um2 = 700;            // 8-bit multiplier 282 + 32-bit adder 137 + ~56 flip-flops
  static constexpr double sram_kib_um2 = 4096;     // 6T cells ~0.35 um^2 at ~70% array efficiency, 8192 bits
  static constexpr double ppu_lane_um2 = 4000;     // 32x32-bit multiplier 3495 + rounding and clamp
  static constexpr double nonlinear_lane_um2 = 2000;  // shifters, adders and a share of a divider, per unit lane
};

// Energy of one MAC with `lanes` products per PE per cycle (1: int8, 2: int4, 64: binary words).
double mac_energy_pj(int64_t lanes);

// PEs, scratchpads (input, weight, accumulator), PPU lanes and the three row units' lanes.
double area_mm2(const HwConfig& hw);

}  // namespace qtsim::model
