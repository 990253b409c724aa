// The nonlinear units as Verilated RTL (rtl/qtsim_shiftmax.sv, qtsim_shiftgelu.sv, qtsim_ilayernorm.sv),
// behind the clocked-unit interface of their SystemC models (models/units/row_units.hpp): the same jobs, a row
// scratchpad the RTL addresses beat by beat, and results written where the RTL says. Each job ends when
// the RTL drops busy_o: its cycle count is its own. Each is built at the lane counts of rtl_lanes().
#pragma once
#include <memory>
#include <vector>

#include "golden/ilayernorm.hpp"
#include "golden/shiftgelu.hpp"
#include "golden/shiftmax.hpp"
#include "golden/tensor.hpp"
#include "models/units/clocked_unit.hpp"

namespace qtsim::model {

// Which unit a RtlRowUnit is: its Verilated parameter sets and ports (defined in models/verilated/rtl_row_units.cpp).
struct ShiftmaxRtl;
struct ShiftGeluRtl;
struct ILayerNormRtl;

// What the three share: a Verilated model of their own at the lanes asked for, its waves, and the job's
// tensors.
template <class Family>
class RtlRowUnit : public ClockedUnit {
 public:
  ~RtlRowUnit() override;
  int64_t lanes() const { return lanes_; }

 protected:
  // The parameter set of `lanes` (rtl_lanes()), or std::invalid_argument.
  RtlRowUnit(sc_core::sc_module_name name, int64_t lanes, int result_bits);
  // f(top) on the Verilated model: the job's configuration ports.
  template <class F>
  void configure(F&& f);
  // Checks x against the RTL's ports, sizes out, and starts the job (its configuration set first).
  void start_job(const golden::ITensor& x, golden::ITensor& out, int64_t expected_cycles);
  std::vector<int64_t> bias_;  // per channel, where the unit reads one (I-LayerNorm)

 private:
  bool step() override;
  struct Rtl;
  std::unique_ptr<Rtl> rtl_;
  int64_t lanes_;
  int result_bits_;
  const golden::ITensor* x_ = nullptr;
  golden::ITensor* out_ = nullptr;
};

class RtlShiftmaxUnit : public RtlRowUnit<ShiftmaxRtl> {
 public:
  RtlShiftmaxUnit(sc_core::sc_module_name name, int64_t lanes) : RtlRowUnit(name, lanes, 32) {}
  void start(const golden::ITensor& x, const golden::ShiftmaxParams& p, golden::ITensor& out);
};

class RtlShiftGeluUnit : public RtlRowUnit<ShiftGeluRtl> {
 public:
  RtlShiftGeluUnit(sc_core::sc_module_name name, int64_t lanes) : RtlRowUnit(name, lanes, 48) {}
  void start(const golden::ITensor& x, const golden::ShiftGeluParams& p, golden::ITensor& out);
};

class RtlILayerNormUnit : public RtlRowUnit<ILayerNormRtl> {
 public:
  RtlILayerNormUnit(sc_core::sc_module_name name, int64_t lanes) : RtlRowUnit(name, lanes, 64) {}
  void start(const golden::ITensor& x, const golden::ILayerNormParams& p, golden::ITensor& out);
};

}  // namespace qtsim::model
