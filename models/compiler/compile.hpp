// The compiler: a Program and a hardware configuration become an instruction stream and the DRAM image it
// runs on (docs/isa.md "The compiler"). Tiling, scratchpad allocation, the order of loads, computes and
// stores, and the dependency tokens between the queues are decided here.
#pragma once
#include <array>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "golden/exec.hpp"
#include "golden/program.hpp"
#include "models/hw/hw_config.hpp"
#include "models/isa/execute.hpp"
#include "models/isa/isa.hpp"

namespace qtsim::compiler {

// A tensor's place in DRAM. role: weight (constants, biases and parameter tables), input, output or
// intermediate (every other tensor of the Program). An on-chip intermediate is never stored: its address is
// its home in the probe image, where the executors' probes read it from the scratchpads when complete.
struct DramTensor {
  std::string name;
  int64_t addr = 0, bytes = 0;
  isa::Dtype dtype = isa::Dtype::i8;
  golden::Shape shape;
  std::string role;
  bool on_chip = false;
};

struct Compiled {
  std::vector<isa::Instr> code;
  std::vector<int> op_index;          // per instruction: the Program op it comes from
  std::vector<std::string> op_names;  // per Program op
  std::vector<uint8_t> dram;          // the DRAM image the program starts from
  std::vector<DramTensor> map;        // every tensor with a DRAM address, in address order
  std::vector<isa::Probe> probes;     // where the on-chip tensors are read, in instruction order
  std::array<int64_t, isa::kSpaces> sp_bytes{};  // scratchpad sizes: in, wt, acc
  int64_t bank_bytes = 0;                        // bytes per bank (every scratchpad has hw.memory.banks)
  const DramTensor& tensor(const std::string& name) const;  // throws naming an unknown tensor
};

// A configuration the compiler cannot map: names the config key and why.
struct MapError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

Compiled compile(const golden::Program& p, const std::map<std::string, golden::ITensor>& inputs, const model::HwConfig& hw);

// A tensor's elements read back from a DRAM image (the taps the executors compare with golden).
golden::ITensor read_tensor(const std::vector<uint8_t>& dram, const DramTensor& t);
// Every tensor of `p` (its inputs, then each op's outputs) read back from a DRAM image a program left, the
// on-chip ones from the probe image its run filled from c.probes.
golden::Taps read_taps(const golden::Program& p, const Compiled& c, const std::vector<uint8_t>& dram, const std::vector<uint8_t>& probed);

// program.qasm: one instruction per line, a comment naming the Program op of each.
std::string program_text(const Compiled& c);
// dram_map.json: [{name, address, bytes, dtype, shape, role}, ...].
std::string dram_map_json(const Compiled& c);

// A fault of `qtsim run --fault dram:TENSOR:ELEMENT:BIT`: one bit of one element flipped in a DRAM image.
struct DramFault {
  std::string tensor;
  int64_t element = 0;
  int bit = 0;
};
// Parses "dram:TENSOR:ELEMENT:BIT"; throws std::invalid_argument naming what is wrong.
DramFault parse_fault(const std::string& spec);
// Flips the bit; throws std::invalid_argument for an unknown tensor, an element or a bit out of range.
void apply_fault(const Compiled& c, std::vector<uint8_t>& dram, const DramFault& f);

}  // namespace qtsim::compiler

namespace qtsim::compiler {
// Runs c's program on the instruction set's reference semantics from `dram` (c.dram, or a copy with faults)
// and reads every tensor of `p` back from the DRAM it leaves: the taps, in the Program's order. seed as
// isa::run_functional.
golden::Taps run_reference(const golden::Program& p, const Compiled& c, std::vector<uint8_t> dram, uint64_t seed = 0,
                           isa::FunctionalRun* stats = nullptr);
}  // namespace qtsim::compiler
