// The DMA engine and DRAM channel as Verilated RTL (rtl/qtsim_dma.sv, rtl/qtsim_dram_channel.sv), behind the
// interface of the SystemC engine (models/units/dma.hpp): one op's blocks per job, the same cycles. The wrapper
// writes the descriptors (the first ones before the op starts, the rest as slots free up) and plays the unit:
// a block the RTL starts with go_o ends, with done_i, its compute cycles later.
#pragma once
#include <memory>
#include <vector>

#include "models/units/clocked_unit.hpp"
#include "models/units/dma.hpp"
#include "models/verilated/rtl_trace.hpp"

class Vqtsim_dma;
class VerilatedContext;

namespace qtsim::model {

class RtlDmaEngine : public ClockedUnit {
 public:
  // The parameter set rtl/CMakeLists.txt verilates: descriptors (and queued stores) held, transfers in flight.
  static constexpr int64_t kDescriptors = 256, kTransfers = 512;

  explicit RtlDmaEngine(sc_core::sc_module_name name);
  ~RtlDmaEngine() override;
  // Throws std::invalid_argument for a block the RTL's 32-bit fields cannot hold, std::runtime_error when the
  // RTL flags that its bounds would have changed the timing.
  TransferTimes run(const std::vector<Block>& blocks, const MemoryConfig& mem);

 private:
  bool step() override;
  void clock();
  void present_descriptor();  // blocks_[next_desc_] on the descriptor port, valid while one is left
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vqtsim_dma> top_;
  UnitTrace trace_;  // after top_: closed before the model goes
  std::vector<Block> blocks_;  // one per block (runs expanded)
  MemoryConfig mem_;
  int64_t t_ = 0, limit_ = 0;
  int64_t next_desc_ = 0, started_ = 0, compute_end_ = -1;
  int64_t cycles_ = -1;  // the cycle of the op's last event, once seen
  bool overflow_ = false;
};

}  // namespace qtsim::model
