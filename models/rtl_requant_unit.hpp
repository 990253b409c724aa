// The requant lanes of the post-processing unit as Verilated RTL (rtl/qtsim_requant.sv), behind the clocked
// unit interface of the SystemC model: the RTL is clocked once per cycle, so its cycle count is its own.
#pragma once
#include <memory>

#include "golden/requant.hpp"
#include "golden/tensor.hpp"
#include "models/clocked_unit.hpp"

class Vqtsim_requant;
class VerilatedContext;

namespace qtsim::model {

class RtlRequantUnit : public ClockedUnit {
 public:
  static constexpr int64_t kLanes = 16;  // the parameter set rtl/CMakeLists.txt verilates

  explicit RtlRequantUnit(sc_core::sc_module_name name);
  ~RtlRequantUnit() override;

  // out = requant(z, q), streamed kLanes elements per cycle through the RTL pipeline; with an identity
  // tensor and its multiplier, the residual form requant_add(z, q, id, {mid}).
  void start(const golden::ITensor& z, const golden::Requant& q, golden::ITensor& out, const golden::ITensor* id = nullptr,
             const golden::Dyadic* mid = nullptr);

 private:
  bool step() override;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vqtsim_requant> top_;
  const golden::ITensor* z_ = nullptr;
  const golden::ITensor* id_ = nullptr;
  golden::ITensor* out_ = nullptr;
  golden::Requant q_;
  int64_t next_in_ = 0, next_out_ = 0;
};

}  // namespace qtsim::model
