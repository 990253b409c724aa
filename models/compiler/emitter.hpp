// The dependency tracker of the compiler: instructions emitted, their wait and signal tokens derived from the
// address ranges they read and write (docs/isa.md "Dependencies").
#pragma once
#include <algorithm>
#include <array>
#include <vector>

#include "models/isa/footprint.hpp"
#include "models/isa/isa.hpp"

namespace qtsim::compiler {

constexpr int kDram = isa::kSpaces;  // the fourth address space, after the scratchpads

struct Range {
  int space;
  int64_t lo, hi;
};

// Emits instructions and derives their dependency tokens from the address ranges they read and write:
// an instruction waits, per other queue, for the latest instruction of that queue it conflicts with (read
// after write, write after read or write); that instruction signals it. Queues run in order, so one token
// per queue covers every earlier instruction there.
class Emitter {
 public:
  Emitter() {
    for (auto& row : consumed_) row.fill(-1);
  }
  std::vector<isa::Instr> code;
  std::vector<int> op_index;
  int op = -1;

  // The ranges are the instruction's footprint (models/isa/footprint.hpp), DRAM's for a load or store.
  void emit(isa::Instr in) {
    const isa::Footprint fp = isa::footprint(in);
    std::vector<Range> reads, writes;
    for (const isa::Segment& s : fp.reads) reads.push_back({static_cast<int>(s.sp), s.lo, s.hi});
    for (const isa::Segment& s : fp.writes) writes.push_back({static_cast<int>(s.sp), s.lo, s.hi});
    if (fp.dram_hi > fp.dram_lo) (in.op == isa::Opcode::load ? reads : writes).push_back({kDram, fp.dram_lo, fp.dram_hi});
    const int q = static_cast<int>(isa::queue_of(in.op));
    std::array<int64_t, isa::kQueues> dep;
    dep.fill(-1);
    auto depend = [&](int64_t j) {
      const int p = static_cast<int>(isa::queue_of(code[static_cast<size_t>(j)].op));
      if (p != q) dep[static_cast<size_t>(p)] = std::max(dep[static_cast<size_t>(p)], j);
    };
    for (const Range& r : reads)
      for (const Access& a : acc_[static_cast<size_t>(r.space)])
        if (a.write && a.lo < r.hi && r.lo < a.hi) depend(a.instr);
    for (const Range& w : writes)
      for (const Access& a : acc_[static_cast<size_t>(w.space)])
        if (a.lo < w.hi && w.lo < a.hi) depend(a.instr);
    const int64_t me = static_cast<int64_t>(code.size());
    for (int p = 0; p < isa::kQueues; ++p) {
      const int64_t j = dep[static_cast<size_t>(p)];
      if (j > consumed_[static_cast<size_t>(p)][static_cast<size_t>(q)]) {
        code[static_cast<size_t>(j)][isa::F::signal] |= int64_t{1} << q;
        in[isa::F::wait] |= int64_t{1} << p;
        consumed_[static_cast<size_t>(p)][static_cast<size_t>(q)] = j;
      }
    }
    // An access wholly inside a new write is ordered before it, so later accesses need only the write.
    for (const Range& w : writes) {
      auto& list = acc_[static_cast<size_t>(w.space)];
      list.erase(std::remove_if(list.begin(), list.end(), [&](const Access& a) { return a.lo >= w.lo && a.hi <= w.hi; }), list.end());
    }
    for (const Range& r : reads) acc_[static_cast<size_t>(r.space)].push_back({r.lo, r.hi, me, false});
    for (const Range& w : writes) acc_[static_cast<size_t>(w.space)].push_back({w.lo, w.hi, me, true});
    code.push_back(in);
    op_index.push_back(op);
  }

 private:
  struct Access {
    int64_t lo, hi, instr;
    bool write;
  };
  std::array<std::vector<Access>, isa::kSpaces + 1> acc_;
  std::array<std::array<int64_t, isa::kQueues>, isa::kQueues> consumed_;
};

}  // namespace qtsim::compiler
