// Verilator's headers come first: included after <systemc> they switch to SystemC mode, which this
// C++-driven model does not use.
#include "Vqtsim_dma.h"
#include "verilated.h"
#include "verilated_fst_c.h"
// (the unit's own header after them, for the reason above)
#include "models/verilated/rtl_dma.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace qtsim::model {

RtlDmaEngine::RtlDmaEngine(sc_core::sc_module_name name)
    : ClockedUnit(name), ctx_(new_rtl_context()), top_(std::make_unique<Vqtsim_dma>(ctx_.get())) {
  trace_.open(*top_, this->name());
}

RtlDmaEngine::~RtlDmaEngine() = default;

void RtlDmaEngine::clock() {
  top_->clk_i = 1;
  top_->eval();
  top_->clk_i = 0;
  top_->eval();
}

TransferTimes RtlDmaEngine::run(const std::vector<Block>& blocks, const MemoryConfig& mem) {
  if (blocks.empty()) return {};
  constexpr int64_t kMax = UINT32_MAX;
  const int64_t expected = expand_blocks(blocks, mem, blocks_);
  for (const Block& b : blocks)
    if (b.load > kMax || mem.transfer_cycles(b.load) > kMax || mem.transfer_cycles(b.store) > kMax)
      throw std::invalid_argument(std::string(name()) + ": the RTL takes blocks of fewer than 2^32 bytes and beats");
  const int64_t n = static_cast<int64_t>(blocks_.size());
  if (n > kMax || mem.dram_latency_cycles + 1 > kTransfers)
    throw std::invalid_argument(std::string(name()) + ": the RTL holds " + std::to_string(kTransfers) +
                                " transfers in flight: DRAM latency must be below " + std::to_string(kTransfers) + " cycles");
  mem_ = mem;
  top_->clk_i = 0;
  top_->rst_ni = 0;
  top_->run_i = 0;
  top_->done_i = 0;
  top_->eval();
  top_->rst_ni = 1;
  top_->blocks_i = static_cast<uint32_t>(n);
  top_->window_i = static_cast<uint64_t>(mem.window_bytes());
  top_->double_buffer_i = mem.double_buffer;
  top_->latency_i = static_cast<uint32_t>(mem.dram_latency_cycles);
  // The first descriptors are written before the op starts (as the previous op runs, in hardware).
  next_desc_ = 0;
  for (;;) {
    present_descriptor();
    top_->eval();
    if (!(top_->desc_valid_i && top_->desc_ready_o)) break;
    clock();
    ++next_desc_;
  }
  t_ = 0, started_ = 0, compute_end_ = -1, cycles_ = -1, overflow_ = false;
  // No schedule takes longer than every transfer, compute and latency one after another.
  limit_ = expected + 2 * n * mem.dram_latency_cycles + 16;
  begin(expected + 2 * mem.dram_latency_cycles);
  run_to_done();
  if (overflow_)
    throw std::runtime_error(std::string(name()) + ": more than " + std::to_string(kDescriptors) +
                             " blocks ahead of the unit, queued stores or " + std::to_string(kTransfers) +
                             " transfers in flight; the SystemC engine has no such bound (raise DEPTH/LDEPTH in rtl/CMakeLists.txt)");
  if (cycles_ < 0) throw std::runtime_error(std::string(name()) + ": the RTL did not finish the op's blocks");
  return {cycles_, static_cast<int64_t>(top_->channel_busy_o)};
}

void RtlDmaEngine::present_descriptor() {
  const int64_t n = static_cast<int64_t>(blocks_.size());
  const Block& b = blocks_[static_cast<size_t>(std::min(next_desc_, n - 1))];
  top_->desc_valid_i = next_desc_ < n;
  top_->desc_load_i = static_cast<uint32_t>(b.load);
  top_->desc_keep_i = static_cast<uint32_t>(b.keep);
  top_->desc_load_beats_i = static_cast<uint32_t>(mem_.transfer_cycles(b.load));
  top_->desc_store_beats_i = static_cast<uint32_t>(mem_.transfer_cycles(b.store));
}

bool RtlDmaEngine::step() {
  top_->run_i = 1;
  top_->done_i = compute_end_ == t_;
  present_descriptor();
  top_->clk_i = 0;  // the falling edge of the previous cycle, with this cycle's inputs: one evaluation
  top_->eval();
  trace_.dump(edge_time() - half_period());
  if (top_->desc_valid_i && top_->desc_ready_o) ++next_desc_;
  if (top_->go_o) compute_end_ = t_ + blocks_[static_cast<size_t>(started_++)].compute;
  const bool done = top_->done_o;
  if (done) cycles_ = t_;
  overflow_ = top_->overflow_o;
  top_->clk_i = 1;
  top_->eval();
  trace_.dump(edge_time());
  ++t_;
  return !done && !overflow_ && t_ <= limit_;
}

}  // namespace qtsim::model
