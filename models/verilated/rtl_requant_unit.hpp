// The post-processing unit's lanes as Verilated RTL (rtl/qtsim_requant.sv), behind the clocked unit
// interface of the SystemC model: requant, its residual two-term form, and the element-wise binarize,
// affine, mask and log-sqrt2 code operations, through the valid/ready stream of the SystemC Ppu
// (models/units/stream.hpp). The RTL is clocked once per cycle, so its cycle count is its own.
#pragma once
#include <memory>
#include <vector>

#include "golden/requant.hpp"
#include "golden/tensor.hpp"
#include "models/units/clocked_unit.hpp"
#include "models/units/stream.hpp"

namespace qtsim::model {

class RtlRequantUnit : public ClockedUnit {
 public:
  static constexpr int64_t kThresholds = 64;  // the comparator bank: log-sqrt2 codes of up to 6 bits

  // The parameter set of `lanes` (rtl_lanes()), or std::invalid_argument.
  RtlRequantUnit(sc_core::sc_module_name name, int64_t lanes);
  ~RtlRequantUnit() override;
  int64_t lanes() const { return lanes_; }

  // out = requant(z, q), streamed lanes() elements per cycle through the RTL pipeline; with an identity
  // tensor and its multiplier, the residual form requant_add(z, q, id, {mid}).
  void start(const golden::ITensor& z, const golden::Requant& q, golden::ITensor& out, const golden::ITensor* id = nullptr,
             const golden::Dyadic* mid = nullptr);

  // The other element-wise operations, per channel c of x's last axis: binarize sign(x + m[c]), affine
  // x * m[c] + offset[c], mask x >= m[0] (m of one value applies to every channel).
  enum class ElementOp { binarize = 1, affine = 2, mask = 3 };
  void start(ElementOp op, const golden::ITensor& x, std::vector<int64_t> m, std::vector<int64_t> offset, golden::ITensor& out);
  // Log-sqrt2 codes of probabilities p against the comparator bank's thresholds (golden::logsqrt2_code_int).
  void start_codes(const golden::ITensor& p, const std::vector<int64_t>& thresholds, golden::ITensor& out);
  // Paces the stream's ends for the jobs that follow (always ready when unset).
  void set_pace(StreamPace pace) { pace_ = std::move(pace); }

 private:
  void begin_stream(const golden::ITensor& z, golden::ITensor& out);
  bool step() override;
  int64_t lanes_;
  struct Rtl;  // the Verilated lanes
  std::unique_ptr<Rtl> rtl_;
  const golden::ITensor* z_ = nullptr;
  const golden::ITensor* id_ = nullptr;  // per element (residual form)
  golden::ITensor* out_ = nullptr;
  std::vector<int64_t> m_, e_, offset_;  // per channel, or one value for all
  StreamPace pace_;
  int64_t t_ = 0, next_in_ = 0, next_out_ = 0;  // the job's cycle; the first element not yet in; not yet out
};

}  // namespace qtsim::model
