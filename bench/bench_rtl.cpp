// RTL-in-the-loop speed: the Verilated requant lanes (rtl/qtsim_requant.sv, 16 lanes) against the SystemC
// post-processing unit on the same requant stream (DeiT-Tiny fc1's 197 x 768 accumulators, per-channel
// multipliers), in one process: simulated cycles per second of each, and the results compared.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <systemc>

#include "golden/quantize.hpp"
#include "golden/requant.hpp"
#include "models/row_units.hpp"
#include "models/rtl_requant_unit.hpp"

using namespace qtsim;
using Clock = std::chrono::steady_clock;

// SystemC prints its banner before sc_main runs; the switch must be set before that.
static const int kQuietSystemC = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);

int sc_main(int, char**) {
  (void)kQuietSystemC;
  model::RtlRequantUnit rtl("rtl");
  model::Ppu ppu("ppu", model::RtlRequantUnit::kLanes);
  const int64_t m = 197, n = 768;
  golden::ITensor z({m, n});
  uint64_t seed = 3;
  for (auto& v : z.data) v = static_cast<int64_t>(golden::splitmix64(seed) % (1u << 20)) - (1 << 19);
  golden::Requant q;
  q.bits = 8;
  for (int64_t c = 0; c < n; ++c) q.mult.push_back(golden::dyadic_from_ratio(1.0 / (300.0 + static_cast<double>(c))));

  double rtl_s = 1e30, ppu_s = 1e30;
  int64_t rtl_cycles = 0, ppu_cycles = 0;
  golden::ITensor rtl_out, ppu_out(z.shape);
  for (int rep = 0; rep < 3; ++rep) {
    auto t0 = Clock::now();
    rtl.start(z, q, rtl_out);
    rtl_cycles = rtl.run_to_done();
    rtl_s = std::min(rtl_s, std::chrono::duration<double>(Clock::now() - t0).count());
    t0 = Clock::now();
    ppu.start(z.size(), [&](int64_t i) { return golden::requant_element(z[i], q, i % n); }, ppu_out.data.data());
    ppu_cycles = ppu.run_to_done();
    ppu_s = std::min(ppu_s, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  const bool same = rtl_out.data == ppu_out.data && rtl_cycles == ppu_cycles;
  std::printf("requant stream 197 x 768, 16 lanes: %lld cycles (%s)\n", static_cast<long long>(rtl_cycles),
              same ? "RTL and SystemC agree on every value and the cycle count" : "RTL AND SYSTEMC DIFFER");
  std::printf("  Verilated RTL: %.4f s, %.2f Mcycles/s\n", rtl_s, static_cast<double>(rtl_cycles) / rtl_s * 1e-6);
  std::printf("  SystemC model: %.4f s, %.2f Mcycles/s  (RTL / model time %.1fx)\n", ppu_s,
              static_cast<double>(ppu_cycles) / ppu_s * 1e-6, rtl_s / ppu_s);
  return same ? 0 : 1;
}
