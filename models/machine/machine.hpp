// The accelerator as one machine (docs/machine.md): a controller fetching the instruction stream into the
// units' queues and issuing under the dependency tokens, banked scratchpads holding the bytes, a DMA engine
// moving them over the DRAM channel, and every unit reading its operands through its ports, computing and
// writing its results back, all at once, cycle by cycle in one SystemC process.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "models/hw/hw_config.hpp"
#include "models/isa/execute.hpp"
#include "models/isa/isa.hpp"

namespace qtsim::machine {

constexpr int64_t kQueueDepth = 16;  // instructions a queue holds between fetch and issue
constexpr int64_t kLoadsLanding = 4; // loads whose bytes are on their way after their channel transfer

struct UnitStats {
  int64_t busy = 0;       // computing, moving bytes through a port, or (DMA) on the channel
  int64_t stall = 0;      // holding or facing an instruction but doing none of that: tokens, banks, interlock
  int64_t idle = 0;       // nothing to do
  int64_t executed = 0;   // instructions retired
  int64_t conflicts = 0;  // accesses refused by a bank another port held that cycle
};

struct InstrTime {
  int64_t issue = -1, retire = -1;  // the cycles it left its queue and retired (signalled its tokens)
};

struct MachineRun {
  std::vector<uint8_t> dram;    // the image the program leaves
  std::vector<uint8_t> probed;  // the probe image (isa::Probe): the on-chip tensors, empty without probes
  int64_t cycles = 0, executed = 0;
  std::array<UnitStats, isa::kQueues> units;
  int64_t bank_conflicts = 0;  // over all units
  int64_t dram_busy = 0;       // cycles the DRAM channel moved bytes
  std::vector<InstrTime> instr;
};

// The scratchpads' sizes and hw's memory, lanes and array as the compiler mapped for; the probes (sorted by
// `after`) read when their instruction retires. Throws isa::IsaError naming the instruction and field for an
// access outside a memory or a deadlock.
// `progress` hears the cycles so far every 65,536 cycles.
MachineRun run_machine(const std::vector<isa::Instr>& code, std::vector<uint8_t> dram, const std::array<int64_t, isa::kSpaces>& sp_bytes,
                       const model::HwConfig& hw, const std::vector<isa::Probe>& probes = {},
                       const std::function<void(int64_t)>& progress = {});

// A Program op on the machine: from its first instruction's issue to its last one's retire.
struct OpSpan {
  int64_t start = -1, end = -1, instructions = 0;
  int64_t cycles() const { return instructions ? end - start + 1 : 0; }
};
// Per op of `ops`, from each instruction's op (the compiler's op_index).
std::vector<OpSpan> op_spans(const std::vector<int>& op_index, size_t ops, const MachineRun& run);

// The unit's cycles from its operands' arrival to its results' first write (docs/machine.md).
int64_t compute_cycles(const isa::Instr& in, const model::HwConfig& hw);

// SystemC builds modules only before the first sc_start: a process that also runs the per-op accelerator
// builds the machine first (run_machine builds it otherwise).
void elaborate_machine();

}  // namespace qtsim::machine
