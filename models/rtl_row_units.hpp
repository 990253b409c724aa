// The nonlinear units as Verilated RTL (rtl/qtsim_shiftmax.sv, qtsim_shiftgelu.sv, qtsim_ilayernorm.sv),
// behind the clocked-unit interface of their SystemC models (models/row_units.hpp): the same jobs, a row
// scratchpad the RTL addresses beat by beat, and results written where the RTL says. Each job ends when
// the RTL drops busy_o: its cycle count is its own.
#pragma once
#include <memory>
#include <vector>

#include "golden/ilayernorm.hpp"
#include "golden/shiftgelu.hpp"
#include "golden/shiftmax.hpp"
#include "golden/tensor.hpp"
#include "models/clocked_unit.hpp"
#include "models/rtl_trace.hpp"

class Vqtsim_shiftmax;
class Vqtsim_shiftgelu;
class Vqtsim_ilayernorm;

namespace qtsim::model {

// What the three share: a Verilated model of their own, its waves, and the job's tensors.
template <class Top>
class RtlRowUnit : public ClockedUnit {
 public:
  static constexpr int64_t kLanes = 16;  // the parameter set rtl/CMakeLists.txt verilates
  ~RtlRowUnit() override;

 protected:
  RtlRowUnit(sc_core::sc_module_name name, int result_bits);
  // Checks x against the RTL's ports, sizes out, and starts the job (its configuration set on rtl_->top first).
  void start_job(const golden::ITensor& x, golden::ITensor& out, int64_t expected_cycles);
  std::unique_ptr<VerilatedUnit<Top>> rtl_;
  std::vector<int64_t> bias_;  // per channel, where the unit reads one (I-LayerNorm)

 private:
  bool step() override;
  int result_bits_;
  const golden::ITensor* x_ = nullptr;
  golden::ITensor* out_ = nullptr;
};

class RtlShiftmaxUnit : public RtlRowUnit<Vqtsim_shiftmax> {
 public:
  explicit RtlShiftmaxUnit(sc_core::sc_module_name name) : RtlRowUnit(name, 32) {}
  void start(const golden::ITensor& x, const golden::ShiftmaxParams& p, golden::ITensor& out);
};

class RtlShiftGeluUnit : public RtlRowUnit<Vqtsim_shiftgelu> {
 public:
  explicit RtlShiftGeluUnit(sc_core::sc_module_name name) : RtlRowUnit(name, 48) {}
  void start(const golden::ITensor& x, const golden::ShiftGeluParams& p, golden::ITensor& out);
};

class RtlILayerNormUnit : public RtlRowUnit<Vqtsim_ilayernorm> {
 public:
  explicit RtlILayerNormUnit(sc_core::sc_module_name name) : RtlRowUnit(name, 64) {}
  void start(const golden::ITensor& x, const golden::ILayerNormParams& p, golden::ITensor& out);
};

}  // namespace qtsim::model
