#include "models/analytic/transfer_plan.hpp"

#include <stdexcept>

namespace qtsim::model {

int64_t expand_blocks(const std::vector<Block>& blocks, const MemoryConfig& mem, std::vector<Block>& out) {
  int64_t serial = 0;
  out.clear();
  for (const Block& b : blocks) {
    if (b.compute < 1 || b.load < 0 || b.store < 0 || b.keep < 0 || b.keep > b.load || b.count < 1)
      throw std::invalid_argument("DMA block: compute and count must be >= 1 and 0 <= keep <= load");
    serial += b.count * (b.compute + mem.transfer_cycles(b.load) + mem.transfer_cycles(b.store));
    out.insert(out.end(), static_cast<size_t>(b.count), b);
  }
  return serial;
}

}  // namespace qtsim::model
