// The memory side of the accelerator: scratchpads, one DRAM channel and the DMA engine that moves an op's
// DRAM traffic block by block (tiles of the array, rows of the row units) while its unit computes.
// docs/cycle-model.md "Memory" gives the rules; models/analytic/op_cost.hpp has the same timing as an event recurrence
// (the analytic executor's), and the tests hold this clocked engine to it and to closed forms.
#pragma once
#include <systemc>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <deque>
#include <vector>

#include "models/analytic/transfer_plan.hpp"
#include "models/hw/hw_config.hpp"
#include "models/units/clocked_unit.hpp"

namespace qtsim::model {

// The DMA engine and DRAM channel, clocked: one op's blocks per job. Each cycle, in order: a block whose
// compute ends frees its bytes and queues its store; the next block starts computing once its data has
// arrived and the previous block is done (a unit waiting for data holds its state: its valid is low); loads
// are queued in block order while the window has room (double_buffer) or once the previous block is stored
// (not); the idle channel starts the queued request with the earliest (queue cycle, block, load before
// store). A transfer of B bytes occupies the channel transfer_cycles(B) cycles and lands latency cycles
// after its last byte.
class DmaEngine : public ClockedUnit {
 public:
  explicit DmaEngine(sc_core::sc_module_name name) : ClockedUnit(name) {}
  // With `spans`, also records the op's timeline there.
  TransferTimes run(const std::vector<Block>& blocks, const MemoryConfig& mem, std::vector<Span>* spans = nullptr);

 private:
  struct Request {
    int64_t queued, block;
    bool store;
    int64_t bytes;
  };
  bool step() override;
  void finish_compute();
  void start_compute();
  void queue_loads();
  void start_transfer();
  void record(Span::Kind kind, int64_t start, int64_t cycles, int64_t bytes);

  std::vector<Block> blocks_;  // one per block (runs expanded)
  MemoryConfig mem_;
  int64_t window_ = 0;
  int64_t t_ = 0;
  std::vector<int64_t> arrive_, end_, stored_;  // per block: data on chip, compute end, store landed (-1: not yet)
  std::deque<Request> loads_, stores_;  // queued, each in block order
  int64_t next_load_ = 0, next_compute_ = 0, computing_ = -1;
  int64_t held_ = 0, kept_ = 0;  // bytes on chip: all loaded and not freed; of those, kept to the end
  int64_t channel_free_ = 0, channel_busy_ = 0;
  int64_t last_landing_ = 0;    // the latest store landing scheduled so far
  std::vector<Span>* spans_ = nullptr;
  std::array<size_t, 3> last_span_{};  // per kind: its last span in *spans_
};

}  // namespace qtsim::model
