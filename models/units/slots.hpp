// One slot per unit kind of the per-op accelerator: the SystemC unit or its Verilated RTL (hw.rtl), chosen once
// when the accelerator is built, behind the same interface. The executor runs an op on its slot without asking
// which implementation fills it.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "golden/program.hpp"
#include "golden/tensor.hpp"
#include "models/analytic/transfer_plan.hpp"
#include "models/hw/hw_config.hpp"
#include "models/units/mac_array.hpp"
#include "models/units/row_units.hpp"

namespace qtsim::model {

struct ArraySlot {
  virtual ~ArraySlot() = default;
  // Runs the job to its end; returns its cycles.
  virtual int64_t gemm(const GemmJob& job) = 0;
};

// The post-processing lanes in their three modes. Each call runs one job to its end and returns its cycles.
struct PpuSlot {
  virtual ~PpuSlot() = default;
  // An element-wise op (requant, add_requant with y its identity term, binarize, scale_rows, mask_probs,
  // logsqrt2_codes) of x into out, which holds the output's shape.
  virtual int64_t elementwise(const golden::Op& op, const golden::ITensor& x, const golden::ITensor* y, golden::ITensor& out) = 0;
  // One group of a group-wise GEMM folded into job.acc; the last group also narrows into job.out.
  virtual int64_t fold(const Group4Fold& job, bool last) = 0;
  virtual int64_t shift_add(const ShiftAddJob& job, golden::ITensor& even, golden::ITensor& odd) = 0;
};

template <class Params>
struct RowSlot {
  virtual ~RowSlot() = default;
  virtual int64_t run(const golden::ITensor& x, const Params& p, golden::ITensor& out) = 0;
};

struct DmaSlot {
  virtual ~DmaSlot() = default;
  // Moves an op's blocks; with `spans`, records its timeline (the SystemC engine's, which the RTL's
  // cycles must then equal: `op` names the op when they do not).
  virtual TransferTimes run(const std::vector<Block>& blocks, const MemoryConfig& mem, std::vector<Span>* spans,
                            const std::string& op) = 0;
};

struct Slots {
  std::unique_ptr<ArraySlot> array;
  std::unique_ptr<PpuSlot> ppu;
  std::unique_ptr<RowSlot<golden::ShiftmaxParams>> shiftmax;
  std::unique_ptr<RowSlot<golden::ShiftGeluParams>> shiftgelu;
  std::unique_ptr<RowSlot<golden::ILayerNormParams>> ilayernorm;
  std::unique_ptr<DmaSlot> dma;
};

// The units of hw, each SystemC or RTL as hw.rtl says; SystemC modules, so built during elaboration.
Slots build_slots(const HwConfig& hw);

}  // namespace qtsim::model
