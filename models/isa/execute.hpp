// What each instruction does to the memories (docs/isa.md), executed one instruction at a time: the
// instruction set's reference semantics, which the compiler's programs are checked against and which the
// clocked machine must reproduce.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "models/isa/isa.hpp"

namespace qtsim::isa {

struct Memories {
  std::vector<uint8_t> dram;
  std::array<std::vector<uint8_t>, kSpaces> sp;  // in, wt, acc
};

// Applies one instruction. Throws IsaError naming `index` and the field for an access outside a memory, an
// element type the unit does not take, or a result that does not fit its type.
void execute(const Instr& in, Memories& m, size_t index);

// How an executor reads a tensor the program keeps on chip (never stored to DRAM): when instruction `after`
// retires, the bytes the store `store` would move are copied, in no time and through no port, from the
// scratchpads into the probe image (a DRAM-sized image beside the real one, at the tensor's home address).
// A checking device, not hardware: nothing the program runs reads the probe image.
struct Probe {
  int64_t after = -1;
  Instr store;
};
// Copies the probe's bytes from m's scratchpads into `probed` (resized to m.dram's size when empty).
void apply_probe(const Probe& p, Memories& m, std::vector<uint8_t>& probed);

struct FunctionalRun {
  int64_t executed = 0;
  int64_t max_tokens = 0;  // the most tokens ever waiting between two queues
  int64_t unconsumed = 0;  // tokens signalled that no instruction waited for
};

// Runs a program with its queues in order and each instruction issued once its wait tokens are there.
// seed 0 issues in program order; another seed picks, at each step, one ready queue head at random, which
// is any order the tokens allow. Tokens that would let no queue go on are an IsaError (a deadlock).
// Probes (sorted by `after`) read into `probed`.
FunctionalRun run_functional(const std::vector<Instr>& code, Memories& m, uint64_t seed = 0, const std::vector<Probe>& probes = {},
                             std::vector<uint8_t>* probed = nullptr);

}  // namespace qtsim::isa
