// The post-processing unit's shift-add lanes (rtl/qtsim_shift_add.sv) as Verilated RTL, behind the clocked
// unit interface of the SystemC ShiftAddUnit: log-sqrt2 attn @ v, one key per cycle for a group of 16
// outputs. The RTL is clocked once per cycle, so its cycle count is its own.
#pragma once
#include <memory>

#include "models/units/clocked_unit.hpp"
#include "models/units/row_units.hpp"


namespace qtsim::model {

class RtlShiftAdd : public ClockedUnit {
 public:
  // The parameter set of `lanes` (rtl_lanes()), or std::invalid_argument.
  RtlShiftAdd(sc_core::sc_module_name name, int64_t lanes);
  ~RtlShiftAdd() override;
  int64_t lanes() const { return lanes_; }

  // Paces the stream's ends for the jobs that follow (always ready when unset).
  void set_pace(StreamPace pace) { pace_ = std::move(pace); }
  void start(const ShiftAddJob& job, golden::ITensor& even, golden::ITensor& odd);

 private:
  bool step() override;
  int64_t lanes_;
  struct Rtl;  // the Verilated lanes
  std::unique_ptr<Rtl> rtl_;
  ShiftAddJob job_;
  golden::ITensor* even_ = nullptr;
  golden::ITensor* odd_ = nullptr;
  StreamPace pace_;
  int64_t t_ = 0, k_ = 0, next_out_ = 0;  // the beat to present; the first output not yet handed out
};

}  // namespace qtsim::model
