// The instruction set's two readers: 256-bit instruction words (program.bin) and the text form
// (program.qasm). Beyond not crashing, every word that decodes must survive the round trip through the
// text form unchanged, as the assembler and disassembler promise.
#include <cstring>

#include "models/isa/isa.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qtsim;
  for (size_t at = 0; at + sizeof(isa::Word) <= size; at += sizeof(isa::Word)) {
    isa::Word w;
    std::memcpy(&w, data + at, sizeof w);
    try {
      const isa::Instr in = isa::decode(w, at / sizeof w);
      const std::vector<isa::Instr> back = isa::assemble(isa::disassemble(in) + "\n", "roundtrip.qasm");
      if (back.size() != 1 || isa::encode(back[0]) != isa::encode(in)) __builtin_trap();
    } catch (const isa::IsaError&) {
    }
  }
  try {
    isa::assemble(std::string(reinterpret_cast<const char*>(data), size), "fuzz.qasm");
  } catch (const isa::IsaError&) {
  }
  return 0;
}
