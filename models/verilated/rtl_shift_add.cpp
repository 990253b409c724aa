// Verilator's headers come first: included after <systemc> they switch to SystemC mode, which this
// C++-driven model does not use.
#include "qtsim_rtl_lanes.hpp"
#include "verilated.h"
#include "verilated_fst_c.h"
// (the unit's own header after them, for the reason above)
#include "models/verilated/rtl_shift_add.hpp"

#include <stdexcept>
#include <string>

#include "models/verilated/verilated_ports.hpp"
#include "models/verilated/verilated_unit.hpp"

namespace qtsim::model {

struct RtlShiftAdd::Rtl : RtlLaneSets<QTSIM_RTL_LANE_TOPS(shift_add)> {
  using RtlLaneSets::RtlLaneSets;
};

RtlShiftAdd::RtlShiftAdd(sc_core::sc_module_name name, int64_t lanes)
    : ClockedUnit(name), lanes_(lanes), rtl_(std::make_unique<Rtl>(lanes, this->name(), "post-processing")) {}

RtlShiftAdd::~RtlShiftAdd() = default;

void RtlShiftAdd::start(const ShiftAddJob& job, golden::ITensor& even, golden::ITensor& odd) {
  job.check();
  for (int64_t v : job.vt->data)
    if (v < -128 || v > 127) throw std::invalid_argument(std::string(name()) + ": the RTL takes int8 values, got " + std::to_string(v));
  job_ = job, even_ = &even, odd_ = &odd;
  even = golden::ITensor(job.out_shape()), odd = golden::ITensor(job.out_shape());
  rtl_->visit([&](auto& unit) { unit.top.s_i = static_cast<uint8_t>(1 << (job.bits - 1)); });
  t_ = k_ = next_out_ = 0;
  begin(shift_add_cycles(job.outputs(), job.keys(), lanes_));
}

bool RtlShiftAdd::step() {
  const int64_t outputs = job_.outputs(), keys = job_.keys(), groups = (outputs + lanes_ - 1) / lanes_;
  auto present = [&](auto& top) {
    const int64_t group = k_ / keys, t = k_ % keys;
    top.first_i = t == 0;
    top.last_i = t + 1 == keys;
    top.lane_en_i = 0;
    for (int l = 0; l < lanes_ && group * lanes_ + l < outputs; ++l) {
      const int64_t e = group * lanes_ + l;
      top.lane_en_i |= 1u << l;
      put_field(top.v_i, 8 * l, 8, static_cast<uint64_t>(job_.value(e, t)));
      put_field(top.code_i, 8 * l, 8, static_cast<uint64_t>(job_.code(e, t)));
    }
  };
  auto take = [&](auto& top) {
    for (int l = 0; l < lanes_; ++l)
      if ((top.lane_en_o >> l) & 1) {
        (*even_)[next_out_] = sign_extend(get_field(top.even_o, 64 * l, 64), 64);
        (*odd_)[next_out_] = sign_extend(get_field(top.odd_o, 64 * l, 64), 64);
        ++next_out_;
      }
  };
  rtl_->visit([&](auto& unit) {
    if (stream_cycle(unit, pace_, t_++, k_ < groups * keys, present, take, edge_time(), half_period())) ++k_;
  });
  return next_out_ < outputs;
}

}  // namespace qtsim::model
