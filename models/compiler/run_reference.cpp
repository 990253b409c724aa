#include "models/compiler/compile.hpp"

namespace qtsim::compiler {

golden::Taps run_reference(const golden::Program& p, const Compiled& c, std::vector<uint8_t> dram, uint64_t seed, isa::FunctionalRun* stats) {
  isa::Memories m;
  m.dram = std::move(dram);
  for (int s = 0; s < isa::kSpaces; ++s) m.sp[static_cast<size_t>(s)].assign(static_cast<size_t>(c.sp_bytes[static_cast<size_t>(s)]), 0);
  std::vector<uint8_t> probed;
  const isa::FunctionalRun run = isa::run_functional(c.code, m, seed, c.probes, &probed);
  if (stats) *stats = run;
  return read_taps(p, c, m.dram, probed);
}

}  // namespace qtsim::compiler
