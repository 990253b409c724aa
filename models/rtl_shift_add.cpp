// Verilator's headers come first: included after <systemc> they switch to SystemC mode, which this
// C++-driven model does not use.
#include "Vqtsim_shift_add.h"
#include "verilated.h"
#include "verilated_fst_c.h"
// (the unit's own header after them, for the reason above)
#include "models/rtl_shift_add.hpp"

#include <stdexcept>
#include <string>

#include "models/verilated_ports.hpp"

namespace qtsim::model {

RtlShiftAdd::RtlShiftAdd(sc_core::sc_module_name name)
    : ClockedUnit(name), ctx_(new_rtl_context()), top_(std::make_unique<Vqtsim_shift_add>(ctx_.get())) {
  trace_.open(*top_, this->name());
  top_->clk_i = 0, top_->rst_ni = 0;
  top_->eval();
  top_->rst_ni = 1;
  top_->eval();
}

RtlShiftAdd::~RtlShiftAdd() = default;

void RtlShiftAdd::start(const ShiftAddJob& job, golden::ITensor& even, golden::ITensor& odd) {
  job.check();
  for (int64_t v : job.vt->data)
    if (v < -128 || v > 127) throw std::invalid_argument(std::string(name()) + ": the RTL takes int8 values, got " + std::to_string(v));
  job_ = job, even_ = &even, odd_ = &odd;
  even = golden::ITensor(job.out_shape()), odd = golden::ITensor(job.out_shape());
  top_->s_i = static_cast<uint8_t>(1 << (job.bits - 1));
  k_ = next_out_ = 0;
  const int64_t groups = (job.outputs() + kLanes - 1) / kLanes;
  begin(groups * job.keys() + 4);
}

bool RtlShiftAdd::step() {
  const int64_t outputs = job_.outputs(), keys = job_.keys(), groups = (outputs + kLanes - 1) / kLanes;
  top_->valid_i = k_ < groups * keys;
  top_->lane_en_i = 0;
  if (top_->valid_i) {
    const int64_t group = k_ / keys, t = k_ % keys;
    top_->first_i = t == 0;
    top_->last_i = t + 1 == keys;
    for (int l = 0; l < kLanes && group * kLanes + l < outputs; ++l) {
      const int64_t e = group * kLanes + l;
      top_->lane_en_i |= static_cast<uint16_t>(1u << l);
      put_field(top_->v_i, 8 * l, 8, static_cast<uint64_t>(job_.value(e, t)));
      put_field(top_->code_i, 8 * l, 8, static_cast<uint64_t>(job_.code(e, t)));
    }
    ++k_;
  }
  top_->clk_i = 1;
  top_->eval();
  trace_.dump(edge_time());
  top_->clk_i = 0;
  top_->eval();
  trace_.dump(edge_time() + half_period());
  if (top_->valid_o)
    for (int l = 0; l < kLanes; ++l)
      if ((top_->lane_en_o >> l) & 1) {
        (*even_)[next_out_] = sign_extend(get_field(top_->even_o, 64 * l, 64), 64);
        (*odd_)[next_out_] = sign_extend(get_field(top_->odd_o, 64 * l, 64), 64);
        ++next_out_;
      }
  return next_out_ < outputs;
}

}  // namespace qtsim::model
