// Verilator's headers come first: included after <systemc> they switch to SystemC mode, which this
// C++-driven model does not use.
#include "qtsim_rtl_lanes.hpp"
#include "verilated.h"
#include "verilated_fst_c.h"
// (the unit's own header after them, for the reason above)
#include "models/verilated/rtl_group4_fold.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "golden/gemm_group4.hpp"
#include "models/verilated/verilated_ports.hpp"
#include "models/verilated/verilated_unit.hpp"

namespace qtsim::model {

struct RtlGroup4Fold::Rtl : RtlLaneSets<QTSIM_RTL_LANE_TOPS(group4_fold)> {
  using RtlLaneSets::RtlLaneSets;
};

RtlGroup4Fold::RtlGroup4Fold(sc_core::sc_module_name name, int64_t lanes)
    : ClockedUnit(name), lanes_(lanes), rtl_(std::make_unique<Rtl>(lanes, this->name(), "post-processing")) {}

RtlGroup4Fold::~RtlGroup4Fold() = default;

void RtlGroup4Fold::start(const Group4Fold& job, bool last) {
  if (job.m < 1 || job.n < 1) throw std::invalid_argument(std::string(name()) + ": a fold needs M, N >= 1");
  for (int64_t c = 0; c < job.n; ++c) {
    const int64_t z = job.zero_fx[c], m = job.mult[c];
    if (z < INT32_MIN || z > INT32_MAX) throw std::invalid_argument(std::string(name()) + ": the RTL takes int32 zero points, got " + std::to_string(z));
    if (m < 0 || m > 0xFFFF) throw std::invalid_argument(std::string(name()) + ": the RTL takes 16-bit multipliers, got " + std::to_string(m));
  }
  if (last && !job.out) throw std::invalid_argument(std::string(name()) + ": the last group needs an output");
  job_ = job, last_ = last;
  t_ = next_in_ = next_out_ = 0;
  begin(ppu_cycles(job.elements(), lanes_));
}

bool RtlGroup4Fold::step() {
  const int64_t total = job_.elements(), w = job_.n + 1;
  const int64_t beat_end = std::min(total, next_in_ + lanes_);
  auto present = [&](auto& top) {
    top.lane_en_i = 0;
    for (int64_t i = next_in_; i < beat_end; ++i) {
      const int l = static_cast<int>(i - next_in_);
      const int64_t row = i / job_.n, col = i % job_.n;
      const auto acc = static_cast<unsigned __int128>(job_.acc[i]);
      top.lane_en_i |= 1u << l;
      put_field(top.p_i, 32 * l, 32, static_cast<uint32_t>(job_.ps[row * w + col]));
      put_field(top.s_i, 32 * l, 32, static_cast<uint32_t>(job_.ps[row * w + job_.n]));
      put_field(top.zero_i, 32 * l, 32, static_cast<uint32_t>(job_.zero_fx[col]));
      put_field(top.mult_i, 16 * l, 16, static_cast<uint64_t>(job_.mult[col]));
      put_field(top.acc_i, 128 * l, 64, static_cast<uint64_t>(acc));
      put_field(top.acc_i, 128 * l + 64, 64, static_cast<uint64_t>(acc >> 64));
    }
  };
  auto take = [&](auto& top) {
    for (int l = 0; l < lanes_; ++l) {
      if (!((top.lane_en_o >> l) & 1)) continue;
      const unsigned __int128 bits = (static_cast<unsigned __int128>(get_field(top.acc_o, 128 * l + 64, 64)) << 64) |
                                     get_field(top.acc_o, 128 * l, 64);
      const auto acc = static_cast<__int128>(bits);
      job_.acc[next_out_] = acc;
      if (last_) {
        const bool wide = (top.wide_o >> l) & 1, fits = acc >= INT64_MIN && acc <= INT64_MAX;
        if (wide == fits) throw std::logic_error(std::string(name()) + ": RTL's int64 flag disagrees with its accumulator");
        job_.out[next_out_] = golden::group4_narrow(acc);  // throws the golden's error where the RTL flags one
      }
      ++next_out_;
    }
  };
  rtl_->visit([&](auto& unit) {
    if (stream_cycle(unit, pace_, t_++, next_in_ < total, present, take, edge_time(), half_period())) next_in_ = beat_end;
  });
  return next_out_ < total;
}

}  // namespace qtsim::model
