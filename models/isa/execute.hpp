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

struct FunctionalRun {
  int64_t executed = 0;
  int64_t max_tokens = 0;  // the most tokens ever waiting between two queues
  int64_t unconsumed = 0;  // tokens signalled that no instruction waited for
};

// Runs a program with its queues in order and each instruction issued once its wait tokens are there.
// seed 0 issues in program order; another seed picks, at each step, one ready queue head at random, which
// is any order the tokens allow. Tokens that would let no queue go on are an IsaError (a deadlock).
FunctionalRun run_functional(const std::vector<Instr>& code, Memories& m, uint64_t seed = 0);

}  // namespace qtsim::isa
