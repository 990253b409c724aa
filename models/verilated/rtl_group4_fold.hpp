// The post-processing unit's wide accumulate lanes (rtl/qtsim_group4_fold.sv) as Verilated RTL, behind the
// clocked unit interface: one group of a group-wise INT4 GEMM folded into the wide accumulators, the
// accumulator SRAM read and written back one beat of lanes per cycle. The RTL is clocked once per cycle, so
// its cycle count is its own.
#pragma once
#include <memory>

#include "models/units/clocked_unit.hpp"
#include "models/units/row_units.hpp"


namespace qtsim::model {

class RtlGroup4Fold : public ClockedUnit {
 public:
  // The parameter set of `lanes` (rtl_lanes()), or std::invalid_argument.
  RtlGroup4Fold(sc_core::sc_module_name name, int64_t lanes);
  ~RtlGroup4Fold() override;
  int64_t lanes() const { return lanes_; }

  // Paces the stream's ends for the jobs that follow (always ready when unset).
  void set_pace(StreamPace pace) { pace_ = std::move(pace); }
  // Folds the group into job.acc; with `last`, also narrows every accumulator into job.out, throwing
  // golden::group4_narrow's overflow_error where the RTL flags one outside int64.
  void start(const Group4Fold& job, bool last);

 private:
  bool step() override;
  int64_t lanes_;
  struct Rtl;  // the Verilated lanes
  std::unique_ptr<Rtl> rtl_;
  Group4Fold job_;
  bool last_ = false;
  StreamPace pace_;
  int64_t t_ = 0, next_in_ = 0, next_out_ = 0;
};

}  // namespace qtsim::model
