// The nonlinear units as Verilated RTL (rtl/qtsim_shiftmax.sv, ...), behind the clocked-unit interface of
// their SystemC models (models/row_units.hpp): the same jobs, a row scratchpad the RTL addresses beat by
// beat, and results written where the RTL says. Each job ends when the RTL drops busy_o: its cycle count
// is its own.
#pragma once
#include <memory>

#include "golden/ilayernorm.hpp"
#include "golden/shiftgelu.hpp"
#include "golden/shiftmax.hpp"
#include "golden/tensor.hpp"
#include "models/clocked_unit.hpp"
#include "models/rtl_trace.hpp"

class Vqtsim_shiftmax;
class Vqtsim_shiftgelu;
class Vqtsim_ilayernorm;
class VerilatedContext;

namespace qtsim::model {

class RtlShiftmaxUnit : public ClockedUnit {
 public:
  static constexpr int64_t kLanes = 16;  // the parameter set rtl/CMakeLists.txt verilates

  explicit RtlShiftmaxUnit(sc_core::sc_module_name name);
  ~RtlShiftmaxUnit() override;
  void start(const golden::ITensor& x, const golden::ShiftmaxParams& p, golden::ITensor& out);

 private:
  bool step() override;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vqtsim_shiftmax> top_;
  UnitTrace trace_;  // after top_: closed before the model goes
  const golden::ITensor* x_ = nullptr;
  golden::ITensor* out_ = nullptr;
};

class RtlShiftGeluUnit : public ClockedUnit {
 public:
  static constexpr int64_t kLanes = RtlShiftmaxUnit::kLanes;

  explicit RtlShiftGeluUnit(sc_core::sc_module_name name);
  ~RtlShiftGeluUnit() override;
  void start(const golden::ITensor& x, const golden::ShiftGeluParams& p, golden::ITensor& out);

 private:
  bool step() override;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vqtsim_shiftgelu> top_;
  UnitTrace trace_;  // after top_: closed before the model goes
  const golden::ITensor* x_ = nullptr;
  golden::ITensor* out_ = nullptr;
};

class RtlILayerNormUnit : public ClockedUnit {
 public:
  static constexpr int64_t kLanes = RtlShiftmaxUnit::kLanes;

  explicit RtlILayerNormUnit(sc_core::sc_module_name name);
  ~RtlILayerNormUnit() override;
  void start(const golden::ITensor& x, const golden::ILayerNormParams& p, golden::ITensor& out);

 private:
  bool step() override;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vqtsim_ilayernorm> top_;
  UnitTrace trace_;  // after top_: closed before the model goes
  const golden::ITensor* x_ = nullptr;
  golden::ITensor* out_ = nullptr;
  std::vector<int64_t> bias_;  // per channel, the host constants of golden::ilayernorm_bias_int
};

}  // namespace qtsim::model
