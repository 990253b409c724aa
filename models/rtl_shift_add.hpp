// The post-processing unit's shift-add lanes (rtl/qtsim_shift_add.sv) as Verilated RTL, behind the clocked
// unit interface of the SystemC ShiftAddUnit: log-sqrt2 attn @ v, one key per cycle for a group of 16
// outputs. The RTL is clocked once per cycle, so its cycle count is its own.
#pragma once
#include <memory>

#include "models/clocked_unit.hpp"
#include "models/row_units.hpp"
#include "models/rtl_trace.hpp"

class Vqtsim_shift_add;

namespace qtsim::model {

class RtlShiftAdd : public ClockedUnit {
 public:
  static constexpr int64_t kLanes = 16;  // the parameter set rtl/CMakeLists.txt verilates

  explicit RtlShiftAdd(sc_core::sc_module_name name);
  ~RtlShiftAdd() override;

  void start(const ShiftAddJob& job, golden::ITensor& even, golden::ITensor& odd);

 private:
  bool step() override;
  std::unique_ptr<VerilatedUnit<Vqtsim_shift_add>> rtl_;
  ShiftAddJob job_;
  golden::ITensor* even_ = nullptr;
  golden::ITensor* odd_ = nullptr;
  int64_t k_ = 0, next_out_ = 0;  // the beat to present; the first output not yet handed out
};

}  // namespace qtsim::model
