#include "models/machine/machine.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <memory>

#include "models/analytic/unit_cycles.hpp"
#include "models/isa/elements.hpp"
#include "models/isa/execute.hpp"
#include "models/isa/footprint.hpp"
#include "models/machine/os_sequencer.hpp"
#include "models/machine/ws_sequencer.hpp"
#include "models/units/clocked_unit.hpp"

namespace qtsim::machine {

using isa::F;
using isa::Instr;
using isa::Opcode;

int64_t compute_cycles(const Instr& in, const model::HwConfig& hw) {
  const int64_t rows = in[F::rows], cols = in[F::cols];
  switch (in.op) {
    case Opcode::gemm: {
      return model::array_cycles(hw.array, in[F::m], in[F::k], in[F::n] + in[F::ones], isa::pe_lanes(in.dtype(F::b_type)));
    }
    case Opcode::shift_add: return model::shift_add_cycles(rows * cols, in[F::k], hw.ppu_lanes);
    case Opcode::shiftmax: return model::shiftmax_cycles(rows, cols, hw.nonlinear_lanes);
    case Opcode::shiftgelu: return model::shiftgelu_cycles(rows, cols, hw.nonlinear_lanes);
    case Opcode::ilayernorm: return model::ilayernorm_cycles(rows, cols, hw.nonlinear_lanes);
    case Opcode::load:
    case Opcode::store: return 0;
    default: return model::ppu_cycles(rows * cols, hw.ppu_lanes);  // requant, ..., fold
  }
}

namespace {

// One port access: bytes [lo, hi) of a scratchpad, all in one SRAM word, and where they sit in the
// instruction's transfer buffer (DMA) or the unit's copy of the scratchpads (the same address).
struct Piece {
  int64_t word, lo, hi, buf;
};

// The accesses of one slot to one scratchpad, in order; a cycle moves the pieces of one word.
struct Port {
  std::vector<Piece> pieces;
  size_t next = 0;
  bool done() const { return next == pieces.size(); }
};

// Splits segments into pieces of `word`-byte SRAM words, per scratchpad; buf counts the bytes before each piece
// in segment order.
std::array<Port, isa::kSpaces> ports_of(const std::vector<isa::Segment>& segs, int64_t word) {
  std::array<Port, isa::kSpaces> ports;
  int64_t buf = 0;
  for (const isa::Segment& s : segs) {
    for (int64_t lo = s.lo; lo < s.hi;) {
      const int64_t hi = std::min(s.hi, (lo / word + 1) * word);
      ports[static_cast<size_t>(s.sp)].pieces.push_back({lo / word, lo, hi, buf});
      buf += hi - lo;
      lo = hi;
    }
  }
  return ports;
}

bool all_done(const std::array<Port, isa::kSpaces>& ports) { return ports[0].done() && ports[1].done() && ports[2].done(); }

int64_t words(const std::array<Port, isa::kSpaces>& ports) {
  int64_t n = 0;
  for (const Port& p : ports)
    for (size_t k = 0; k < p.pieces.size(); ++k) n += k == 0 || p.pieces[k].word != p.pieces[k - 1].word;
  return n;
}

// An input-stationary array's column fills an accumulator word with consecutive results of its row of C
// (rows m, columns [n_lo, n_hi) at bytes [lo, hi)) and queues it for the accumulator port.
struct AccWrite {
  int64_t m, n_lo, n_hi, lo, hi, tile;
  std::array<Port, isa::kSpaces> ports;
};

// An instruction in a unit. A compute unit streams (docs/machine.md): compute step s of cc waits for the first
// ceil((s + 1) * nr / cc) of its nr operand words, result word k of nw for ceil((k + 1) * cc / nw) steps and
// for the last operand word (the datapath then holds every operand).
struct Slot {
  int64_t instr = -1;
  std::array<Port, isa::kSpaces> ports;   // reads (a store's, a compute unit's) or writes (a load's)
  std::array<Port, isa::kSpaces> wports;  // compute units: the writes
  int64_t cc = 0, steps = 0;              // compute steps: all, done
  int64_t nr = 0, reads = 0, nw = 0, writes = 0;  // operand and result words: all, moved
  bool executed = false;                  // the datapath has computed from the operands it read
  int64_t since = 0;        // DMA: the cycle it asked for the channel
  int64_t start = 0;        // DMA: the cycle its channel transfer began
  int64_t end = 0;          // store: the cycle its last byte reaches DRAM
  std::vector<uint8_t> buf; // DMA: the bytes in transfer order
  std::unique_ptr<WsSequencer> seq;  // a weight-stationary GEMM: the array's own sequencer drives its ports
  std::unique_ptr<OsSequencer> os;   // an output-stationary one
  std::array<Port, isa::kSpaces> step_wt, step_a, step_acc;  // the current step's accesses still to make (os: B in step_wt)
  bool planned = false;              // step_wt, step_a and step_acc hold the current step's accesses
  std::vector<int64_t> held;         // os: the SRAM word each edge register holds, rows then columns (-1: none)
  std::deque<AccWrite> acc_out;      // is: accumulator words the columns filled, oldest first
  bool busy() const { return instr >= 0; }
  bool ports_done() const { return all_done(ports); }
};

struct Unit {
  std::deque<int64_t> queue;  // fetched, not issued
  Slot read;                  // issued: a compute unit's instruction reading and computing; the DMA's, see cycle()
  Slot write;                 // compute units: done computing, its last results still to write
  std::deque<Slot> landing;   // loads after their transfer, oldest first; stores on their way to DRAM
  isa::Memories copy;         // compute units: the bytes their ports fetched, and their results
  UnitStats stats;
  bool granted = false;       // a port moved a word this cycle
};

class Machine : public model::ClockedUnit {
 public:
  explicit Machine(sc_core::sc_module_name name) : ClockedUnit(name) {}

  MachineRun run(const std::vector<Instr>& code, std::vector<uint8_t> dram, const std::array<int64_t, isa::kSpaces>& sp_bytes,
                 const model::HwConfig& hw, const std::vector<isa::Probe>& probes, const std::function<void(int64_t)>& progress) {
    code_ = &code;
    progress_ = &progress;
    probes_ = &probes;
    hw_ = hw;
    word_ = hw.sram_word_bytes();
    fp_.clear();
    for (size_t i = 0; i < code.size(); ++i) {
      try {
        fp_.push_back(isa::footprint(code[i]));
      } catch (const isa::IsaError& e) {
        throw isa::IsaError("instruction " + std::to_string(i) + " (" + e.what() + ")");
      }
    }
    mem_ = {};
    mem_.dram = std::move(dram);
    for (int s = 0; s < isa::kSpaces; ++s) {
      mem_.sp[static_cast<size_t>(s)].assign(static_cast<size_t>(sp_bytes[static_cast<size_t>(s)]), 0);
      const int64_t banks = std::max<int64_t>(1, hw.memory.banks);
      bank_words_[static_cast<size_t>(s)] = std::max<int64_t>(1, sp_bytes[static_cast<size_t>(s)] / banks / word_);
      stamp_[static_cast<size_t>(s)].assign(static_cast<size_t>(banks + 1), -1);
    }
    for (int q = 0; q < isa::kQueues; ++q) {
      Unit& u = units_[static_cast<size_t>(q)];
      u = Unit{};
      if (q < 2) continue;  // the DMA moves bytes, it keeps no copy
      for (int s = 0; s < isa::kSpaces; ++s) u.copy.sp[static_cast<size_t>(s)].assign(mem_.sp[static_cast<size_t>(s)].size(), 0);
    }
    tokens_ = {};
    out_ = MachineRun{};
    out_.instr.assign(code.size(), {});
    t_ = 0, pc_ = 0, channel_free_ = 0;
    error_.clear();
    begin(static_cast<int64_t>(code.size()) * 64);
    run_to_done();
    if (!error_.empty()) throw isa::IsaError(error_);
    out_.cycles = t_;
    out_.dram = std::move(mem_.dram);
    for (const Unit& u : units_) out_.bank_conflicts += u.stats.conflicts;
    for (int q = 0; q < isa::kQueues; ++q) out_.units[static_cast<size_t>(q)] = units_[static_cast<size_t>(q)].stats;
    return std::move(out_);
  }

 private:
  static constexpr int kLd = 0, kSt = 1;

  const Instr& code(int64_t i) const { return (*code_)[static_cast<size_t>(i)]; }

  bool step() override {
    if (out_.executed == static_cast<int64_t>(code_->size())) return false;
    try {
      cycle();
    } catch (const std::exception& e) {
      error_ = e.what();
      return false;
    }
    ++t_;
    if ((t_ & 0xffff) == 0 && *progress_) (*progress_)(t_);
    return out_.executed < static_cast<int64_t>(code_->size());
  }

  // A bank of scratchpad s takes one access per cycle: true if the word's bank is free this cycle (and
  // takes it), false (a conflict) if another port holds it.
  bool take(int s, int64_t word, Unit& u) {
    int64_t& st = stamp_[static_cast<size_t>(s)][static_cast<size_t>(std::min<int64_t>(word / bank_words_[static_cast<size_t>(s)],
                                                                                       static_cast<int64_t>(stamp_[static_cast<size_t>(s)].size()) - 1))];
    if (st == t_) {
      ++u.stats.conflicts;
      return false;
    }
    st = t_;
    u.granted = true;
    return true;
  }
  // Moves the next word of each of the slot's ports, where its bank is free: from the scratchpad into `to`
  // (reads) or from `from` into the scratchpad (writes). `to`/`from` address by buffer offset (DMA) or by
  // scratchpad address (a unit's copy).
  // `may(k)`: whether the slot's k-th word (0 first) may move this cycle. Returns the words moved.
  template <class Move, class May>
  int64_t advance(std::array<Port, isa::kSpaces>& ports, int64_t moved, Unit& u, Move&& move, May&& may) {
    int64_t n = 0;
    for (int s = 0; s < isa::kSpaces; ++s) {
      Port& p = ports[static_cast<size_t>(s)];
      if (p.done() || !may(moved + n) || !take(s, p.pieces[p.next].word, u)) continue;
      const int64_t word = p.pieces[p.next].word;
      while (!p.done() && p.pieces[p.next].word == word) move(s, p.pieces[p.next++]);
      ++n;
    }
    return n;
  }
  template <class Move>
  void advance(Slot& slot, Unit& u, Move&& move) {
    advance(slot.ports, 0, u, move, [](int64_t) { return true; });
  }

  uint8_t* sp(int s, int64_t addr) { return mem_.sp[static_cast<size_t>(s)].data() + addr; }
  // A read port's move: the piece's bytes from the scratchpad into the unit's copy.
  void copy_in(Unit& u, int s, const Piece& pc) {
    std::memcpy(u.copy.sp[static_cast<size_t>(s)].data() + pc.lo, sp(s, pc.lo), static_cast<size_t>(pc.hi - pc.lo));
  }

  void check_sp(const Slot& slot) const {
    for (int s = 0; s < 2 * isa::kSpaces; ++s)
      for (const Piece& p : (s < isa::kSpaces ? slot.ports : slot.wports)[static_cast<size_t>(s % isa::kSpaces)].pieces)
        if (p.lo < 0 || p.hi > static_cast<int64_t>(mem_.sp[static_cast<size_t>(s % isa::kSpaces)].size()))
          throw isa::IsaError("instruction " + std::to_string(slot.instr) + " (" + isa::opcode_name(code(slot.instr).op) + "): bytes [" +
                              std::to_string(p.lo) + ", " + std::to_string(p.hi) + ") lie outside scratchpad " +
                              isa::space_name(static_cast<isa::Space>(s % isa::kSpaces)));
  }

  // DRAM byte address of byte `b` of a DMA's transfer (its rows in order, gathered by estride).
  int64_t dram_addr(const Instr& in, int64_t b) const {
    const int64_t rb = isa::row_bytes(in.dtype(F::dtype), in[F::cols]);
    const int64_t r = b / rb, off = b % rb, es = in[F::dram_estride];
    const int64_t row = in[F::dram] + r * in[F::dram_stride];
    if (!es) return row + off;
    const int64_t esz = isa::element_bytes(in.dtype(F::dtype));
    return row + off / esz * es + off % esz;
  }
  void check_dram(const Instr& in, int64_t index) const {
    const int64_t bytes = isa::row_bytes(in.dtype(F::dtype), in[F::cols]) * in[F::rows];
    if (in[F::dram_estride] && !isa::element_bytes(in.dtype(F::dtype)))
      throw isa::IsaError("instruction " + std::to_string(index) + " (" + isa::opcode_name(in.op) + "): field dram_estride: elements of " +
                          isa::dtype_name(in.dtype(F::dtype)) + " are not whole bytes and cannot be gathered or scattered");
    for (int64_t b : {int64_t{0}, bytes - 1})
      if (bytes > 0 && (dram_addr(in, b) < 0 || dram_addr(in, b) >= static_cast<int64_t>(mem_.dram.size())))
        throw isa::IsaError("instruction " + std::to_string(index) + " (" + isa::opcode_name(in.op) + "): field dram: byte " +
                            std::to_string(dram_addr(in, b)) + " lies outside the DRAM image of " + std::to_string(mem_.dram.size()) + " bytes");
  }

  void retire(int q, int64_t i) {
    const Instr& in = code(i);
    for (int p = 0; p < isa::kQueues; ++p)
      if ((in[F::signal] >> p) & 1) ++tokens_[static_cast<size_t>(q)][static_cast<size_t>(p)];
    out_.instr[static_cast<size_t>(i)].retire = t_;
    auto at = std::lower_bound(probes_->begin(), probes_->end(), i, [](const isa::Probe& p, int64_t x) { return p.after < x; });
    for (; at != probes_->end() && at->after == i; ++at) isa::apply_probe(*at, mem_, out_.probed);
    ++units_[static_cast<size_t>(q)].stats.executed;
    ++out_.executed;
  }

  // One cycle: the ports move words, the datapaths compute, the channel starts a transfer, instructions move
  // on to their next stage or retire (their tokens count from here), queue heads issue, one instruction is fetched.
  void cycle() {
    for (Unit& u : units_) u.granted = false;
    bool active = false;  // anything in flight: nothing in flight and nothing issued or fetched is a deadlock

    // 1. ports, in priority order: landing loads, store reads, then each unit's writes before its reads
    Unit& ld = units_[kLd];
    for (Slot& l : ld.landing) {  // only the oldest load with a word arrived writes this cycle
      Port& p = l.ports[static_cast<size_t>(code(l.instr)[F::sp])];
      if (p.done()) continue;
      const Piece& first = p.pieces[p.next];
      if (arrival(l, first.word, p) > t_) break;
      advance(l, ld, [&](int s, const Piece& pc) { std::memcpy(sp(s, pc.lo), l.buf.data() + pc.buf, static_cast<size_t>(pc.hi - pc.lo)); });
      break;
    }
    Unit& st = units_[kSt];
    if (st.read.busy())
      advance(st.read, st, [&](int s, const Piece& pc) { std::memcpy(st.read.buf.data() + pc.buf, sp(s, pc.lo), static_cast<size_t>(pc.hi - pc.lo)); });
    for (int q = 2; q < isa::kQueues; ++q) {
      Unit& u = units_[static_cast<size_t>(q)];
      auto out = [&](int s, const Piece& pc) {
        std::memcpy(sp(s, pc.lo), u.copy.sp[static_cast<size_t>(s)].data() + pc.lo, static_cast<size_t>(pc.hi - pc.lo));
      };
      if (u.write.busy()) u.write.writes += advance(u.write.wports, u.write.writes, u, out, [](int64_t) { return true; });
      Slot& a = u.read;
      if (!a.busy()) continue;
      if (a.seq) {
        gemm_cycle(u, a);
        continue;
      }
      if (a.os) {
        os_cycle(u, a);
        continue;
      }
      const int64_t steps = a.steps;  // what the previous cycles computed
      if (a.executed) a.writes += advance(a.wports, a.writes, u, out, [&](int64_t k) { return steps * a.nw >= (k + 1) * a.cc; });
      const int64_t reads = a.reads;  // what the previous cycles read
      a.reads += advance(a.ports, a.reads, u, [&](int s, const Piece& pc) { copy_in(u, s, pc); }, [](int64_t) { return true; });
      // 2. the datapath's step, on operands read in earlier cycles
      if (a.steps < a.cc && (a.steps + 1) * a.nr <= reads * a.cc) ++a.steps, u.granted = true;
    }

    // 3. the DRAM channel: when free, the request waiting longest (a load first on a tie)
    if (t_ >= channel_free_) {
      Slot* pick = nullptr;
      if (ld.read.busy()) pick = &ld.read;
      if (st.read.busy() && st.read.ports_done() && st.read.since >= 0 && (!pick || st.read.since < pick->since)) pick = &st.read;
      if (pick) {
        const Instr& in = code(pick->instr);
        const int64_t bytes = fp_[static_cast<size_t>(pick->instr)].dram_bytes;
        channel_free_ = t_ + hw_.memory.transfer_cycles(bytes);
        pick->start = t_;
        channel_user_ = pick == &ld.read ? kLd : kSt;
        if (pick == &ld.read) {
          pick->buf.resize(static_cast<size_t>(bytes));
          for (int64_t b = 0; b < bytes; ++b) pick->buf[static_cast<size_t>(b)] = mem_.dram[static_cast<size_t>(dram_addr(in, b))];
          ld.landing.push_back(std::move(ld.read));
          ld.read = Slot{};
        } else {
          pick->end = channel_free_;
          st.landing.push_back(std::move(st.read));
          st.read = Slot{};
        }
      }
    }
    if (t_ < channel_free_) {
      ++out_.dram_busy;
      units_[static_cast<size_t>(channel_user_)].granted = true;
    }

    // 4. stages: retire, then move on
    while (!ld.landing.empty() && ld.landing.front().ports_done()) {
      retire(kLd, ld.landing.front().instr);
      ld.landing.pop_front();
    }
    while (!st.landing.empty() && st.landing.front().end + hw_.memory.dram_latency_cycles <= t_) {
      Slot& s = st.landing.front();
      const Instr& in = code(s.instr);
      for (size_t b = 0; b < s.buf.size(); ++b) mem_.dram[static_cast<size_t>(dram_addr(in, static_cast<int64_t>(b)))] = s.buf[b];
      retire(kSt, s.instr);
      st.landing.pop_front();
    }
    if (st.read.busy() && st.read.ports_done() && st.read.since < 0) st.read.since = t_;  // asks for the channel from the next cycle
    for (int q = 2; q < isa::kQueues; ++q) {
      Unit& u = units_[static_cast<size_t>(q)];
      if (u.write.busy() && u.write.writes == u.write.nw) {
        retire(q, u.write.instr);
        u.write = Slot{};
      }
      Slot& a = u.read;
      if (!a.busy()) continue;
      if (a.seq || a.os) {
        if (a.seq ? a.seq->done() && a.acc_out.empty() : a.os->done()) retire(q, a.instr), a = Slot{};
        continue;
      }
      if (!a.executed && a.reads == a.nr) {
        isa::execute(code(a.instr), u.copy, static_cast<size_t>(a.instr));
        a.executed = true;
      }
      if (a.executed && a.steps == a.cc && !u.write.busy()) {  // in order: behind the one still writing
        if (a.writes == a.nw) retire(q, a.instr), a = Slot{};
        else u.write = std::move(a), a = Slot{};
      }
    }

    // 5. issue
    bool issued = false;
    for (int q = 0; q < isa::kQueues; ++q) {
      Unit& u = units_[static_cast<size_t>(q)];
      if (u.queue.empty() || u.read.busy()) continue;
      if (q == kLd && static_cast<int64_t>(u.landing.size()) >= kLoadsLanding) continue;
      const int64_t i = u.queue.front();
      const Instr& in = code(i);
      bool ready = true;
      for (int p = 0; p < isa::kQueues && ready; ++p)
        if (((in[F::wait] >> p) & 1) && tokens_[static_cast<size_t>(p)][static_cast<size_t>(q)] == 0) ready = false;
      // in-queue interlock: an instruction touching what one ahead of it in the unit still has to write waits
      if (ready && q >= 2) {
        const isa::Footprint& f = fp_[static_cast<size_t>(i)];
        for (const Slot* s : {&u.write})
          if (s->busy() && (isa::overlaps(f.reads, fp_[static_cast<size_t>(s->instr)].writes) ||
                            isa::overlaps(f.writes, fp_[static_cast<size_t>(s->instr)].writes)))
            ready = false;
      }
      if (!ready) continue;
      for (int p = 0; p < isa::kQueues; ++p)
        if ((in[F::wait] >> p) & 1) --tokens_[static_cast<size_t>(p)][static_cast<size_t>(q)];
      u.queue.pop_front();
      out_.instr[static_cast<size_t>(i)].issue = t_;
      u.read.instr = i;
      issued = true;
      if (q == kLd) {
        check_dram(in, i);
        u.read.ports = ports_of(fp_[static_cast<size_t>(i)].writes, word_);
        check_sp(u.read);
        u.read.since = t_;
      } else if (q == kSt) {
        check_dram(in, i);
        u.read.ports = ports_of(fp_[static_cast<size_t>(i)].reads, word_);
        check_sp(u.read);
        u.read.buf.resize(static_cast<size_t>(fp_[static_cast<size_t>(i)].dram_bytes));
        u.read.since = -1;
      } else {
        Slot& a = u.read;
        a.ports = ports_of(fp_[static_cast<size_t>(i)].reads, word_);
        a.wports = ports_of(fp_[static_cast<size_t>(i)].writes, word_);
        check_sp(a);
        // an empty block (or one without K) has nothing to stream: the generic path retires it at once
        const bool rows = in.op == Opcode::gemm && in[F::m] > 0 && in[F::n] + in[F::ones] > 0 && in[F::k] > 0;
        const int64_t steps = (in[F::k] + lanes(in) - 1) / lanes(in);
        if (rows && hw_.array.dataflow == model::Dataflow::ws) {
          a.seq = std::make_unique<WsSequencer>(WsSequencer::Shape{in[F::m], steps, in[F::n] + in[F::ones], hw_.array.rows, hw_.array.cols,
                                                                   hw_.array.overlap});
        } else if (rows && hw_.array.dataflow == model::Dataflow::is) {  // the same datapath, A stationary, B streamed
          a.seq = std::make_unique<WsSequencer>(WsSequencer::Shape{in[F::n] + in[F::ones], steps, in[F::m], hw_.array.rows, hw_.array.cols,
                                                                   hw_.array.overlap});
        } else if (rows && hw_.array.dataflow == model::Dataflow::os) {
          a.os = std::make_unique<OsSequencer>(OsSequencer::Shape{in[F::m], steps, in[F::n] + in[F::ones], hw_.array.rows, hw_.array.cols,
                                                                  hw_.array.overlap});
          a.held.assign(static_cast<size_t>(hw_.array.rows + hw_.array.cols), -1);
        } else {  // the generic path: operand words, closed-form steps, result words, paced by one another
          a.nr = words(a.ports), a.nw = words(a.wports);
          a.cc = std::max<int64_t>(1, compute_cycles(in, hw_));
        }
      }
    }

    // 6. fetch
    bool fetched = false;
    if (pc_ < static_cast<int64_t>(code_->size())) {
      Unit& u = units_[static_cast<size_t>(isa::queue_of(code(pc_).op))];
      if (static_cast<int64_t>(u.queue.size()) < kQueueDepth) u.queue.push_back(pc_++), fetched = true;
    }

    // statistics, and a deadlock
    for (int q = 0; q < isa::kQueues; ++q) {
      Unit& u = units_[static_cast<size_t>(q)];
      const bool holds = u.read.busy() || u.write.busy() || !u.landing.empty();
      active = active || holds;
      if (u.granted) ++u.stats.busy;
      else if (holds || !u.queue.empty()) ++u.stats.stall;
      else ++u.stats.idle;
    }
    if (!active && !issued && !fetched && out_.executed < static_cast<int64_t>(code_->size())) {
      std::string heads;
      for (int q = 0; q < isa::kQueues; ++q)
        if (!units_[static_cast<size_t>(q)].queue.empty())
          heads += " " + std::string(isa::queue_name(static_cast<isa::Queue>(q))) + ":" + std::to_string(units_[static_cast<size_t>(q)].queue.front());
      throw isa::IsaError("deadlock at cycle " + std::to_string(t_) + ": no queue head has its tokens (heads" + heads + ")");
    }
  }

  // One cycle of a sequenced GEMM: the accesses of the array's current step (a row of the streamed operand, a
  // row of results) and of the weight port's, one word a port; each part moves on once its accesses are all
  // granted, the array first to its banks (docs/machine.md, "The MAC array"). Input-stationary, the results
  // leave through the column write queue instead, served after the array's step.
  void gemm_cycle(Unit& u, Slot& a) {
    const Instr& in = code(a.instr);
    const bool is = hw_.array.dataflow == model::Dataflow::is;
    if (a.seq->done()) {
      write_acc_queue(u, a, in);
      return;
    }
    if (!a.planned) plan_gemm_step(a, in), a.planned = true;
    auto read = [&](int s, const Piece& pc) { copy_in(u, s, pc); };
    auto always = [](int64_t) { return true; };
    advance(a.step_a, 0, u, read, always);
    // the accumulator's read-modify-write goes in the cycle the step completes, never ahead of its operands
    if (all_done(a.step_a)) advance(a.step_acc, 0, u, [](int, const Piece&) {}, always);
    advance(a.step_wt, 0, u, read, always);
    bool array = all_done(a.step_a) && all_done(a.step_acc);
    const bool weights = all_done(a.step_wt);
    std::vector<AccWrite> filled;
    if (is && a.seq->array_busy()) {
      filled = filled_words(a, in);
      // a column whose word finds no place holds the array: one word waits per column at most
      if (static_cast<int64_t>(a.acc_out.size() + filled.size()) > hw_.array.cols) array = false;
    }
    const WsSequencer::Step st = a.seq->step();
    if ((weights && st.preload.tile >= 0) || (array && a.seq->array_busy())) u.granted = true;
    if (array && !is && st.drain.tile >= 0) drain_row(u, a, in, st.drain);
    if (array && is)
      for (AccWrite& w : filled) a.acc_out.push_back(std::move(w));
    a.seq->advance(weights, array);
    write_acc_queue(u, a, in);
    if (a.seq->done()) return;
    // the next cycle's accesses: a part still waiting keeps what it has left (a held drain may meet a stream
    // that starts meanwhile: the array's step is the same)
    const WsSequencer::Row& stream = a.seq->step().stream;
    if (weights) a.step_wt = wt_accesses(in, *a.seq);
    if (array || stream.tile != st.stream.tile || stream.row != st.stream.row) a.step_a = a_accesses(in, *a.seq);
    if (array) a.step_acc = acc_accesses(in, *a.seq);
  }

  static int64_t lanes(const Instr& in) { return isa::pe_lanes(in.dtype(F::b_type)); }
  // The operand whose rows the PEs hold (weight-stationary: B; input-stationary: A) and the one whose rows
  // stream through them: a row's address, type, scratchpad and the rows there are.
  struct Operand {
    F base, stride, type, space;
    int64_t rows;
  };
  Operand stationary(const Instr& in) const {
    if (hw_.array.dataflow == model::Dataflow::is) return {F::a, F::a_stride, F::a_type, F::a_sp, in[F::m]};
    return {F::b, F::b_stride, F::b_type, F::b_sp, in[F::n]};
  }
  Operand streamed(const Instr& in) const {
    if (hw_.array.dataflow == model::Dataflow::is) return {F::b, F::b_stride, F::b_type, F::b_sp, in[F::n]};
    return {F::a, F::a_stride, F::a_type, F::a_sp, in[F::m]};
  }
  // Bytes [lo, hi) within a row of `d` elements that a K tile covers.
  std::pair<int64_t, int64_t> k_bytes(const Instr& in, const WsSequencer& s, int64_t tile, isa::Dtype d) const {
    const int64_t e0 = s.k_tile(tile) * hw_.array.rows * lanes(in), e1 = std::min(in[F::k], e0 + hw_.array.rows * lanes(in));
    return {isa::row_bytes(d, e0), isa::row_bytes(d, e1)};
  }
  // A streamed row for the array row 0 port (the ones row of a group-wise GEMM on the input-stationary array
  // is constant: it reads nothing); the stationary rows of the preloading tile's columns (the ones column of
  // the weight-stationary array has none: its weights are constant); the accumulator row whose results leave
  // the array.
  std::array<Port, isa::kSpaces> a_accesses(const Instr& in, const WsSequencer& s) const {
    const WsSequencer::Row& r = s.step().stream;
    const Operand o = streamed(in);
    if (r.tile < 0 || r.row >= o.rows) return {};
    const auto [lo, hi] = k_bytes(in, s, r.tile, in.dtype(o.type));
    const int64_t row = in[o.base] + r.row * isa::operand_stride(in, o.stride, o.type, in[F::k]);
    return ports_of({{in.space(o.space), row + lo, row + hi}}, word_);
  }
  std::array<Port, isa::kSpaces> wt_accesses(const Instr& in, const WsSequencer& s) const {
    const WsSequencer::Preload& p = s.step().preload;
    if (p.tile < 0) return {};
    const Operand o = stationary(in);
    const auto [lo, hi] = k_bytes(in, s, p.tile, in.dtype(o.type));
    const int64_t n0 = s.n_tile(p.tile) * hw_.array.cols;
    std::vector<isa::Segment> rd;
    for (int64_t c = p.col_lo; c < p.col_hi && n0 + c < o.rows; ++c) {
      const int64_t row = in[o.base] + (n0 + c) * isa::operand_stride(in, o.stride, o.type, in[F::k]);
      rd.push_back({in.space(o.space), row + lo, row + hi});
    }
    return ports_of(rd, word_);
  }
  std::array<Port, isa::kSpaces> acc_accesses(const Instr& in, const WsSequencer& s) const {
    const WsSequencer::Row& d = s.step().drain;
    if (d.tile < 0 || hw_.array.dataflow == model::Dataflow::is) return {};
    const auto [lo, hi] = drain_bytes(in, s, d);
    return ports_of({{isa::Space::acc, lo, hi}}, word_);
  }
  void plan_gemm_step(Slot& a, const Instr& in) {
    a.step_a = a_accesses(in, *a.seq);
    a.step_wt = wt_accesses(in, *a.seq);
    a.step_acc = acc_accesses(in, *a.seq);
  }
  // Input-stationary: column c of the array holds row m0 + c of A, and its results for consecutive rows of B
  // are consecutive elements of row m0 + c of C. A column queues a word once its next result would fall in
  // another SRAM word (or it made its last), so a drained row of the array costs no more accesses than in the
  // weight-stationary orientation.
  std::vector<AccWrite> filled_words(const Slot& a, const Instr& in) const {
    const WsSequencer& s = *a.seq;
    const int64_t cw = in[F::n] + in[F::ones];
    std::vector<AccWrite> out;
    for (int64_t c = 0; c < hw_.array.cols; ++c) {
      const WsSequencer::Row l = s.leaving(c);
      if (l.tile < 0) continue;
      const int64_t m = s.n_tile(l.tile) * hw_.array.cols + c;
      if (m >= in[F::m]) continue;
      const int64_t row = in[F::c] + m * cw * 4;
      auto end = [&](int64_t n) { return (row + n * 4 + 3) / word_; };  // the word of a result's last byte
      const int64_t n = l.row;
      if (n + 1 < cw && end(n + 1) == end(n)) continue;
      const int64_t n_lo = std::max<int64_t>(0, (end(n) * word_ - row) / 4);  // the first result whose last byte is in that word
      const int64_t lo = row + n_lo * 4, hi = row + (n + 1) * 4;
      out.push_back({m, n_lo, n + 1, lo, hi, l.tile, ports_of({{isa::Space::acc, lo, hi}}, word_)});
    }
    return out;
  }
  // The accumulator port writes the oldest queued word (a read-modify-write, as a drained row's).
  void write_acc_queue(Unit& u, Slot& a, const Instr& in) {
    if (a.acc_out.empty()) return;
    AccWrite& w = a.acc_out.front();
    advance(w.ports, 0, u, [](int, const Piece&) {}, [](int64_t) { return true; });
    if (!all_done(w.ports)) return;
    const WsSequencer& s = *a.seq;
    if (s.k_tile(w.tile) == 0 && in[F::accumulate]) read_acc(u, w.lo, w.hi);
    if (s.k_tile(w.tile) == s.k_tiles() - 1) final_row(u, a.instr, in, w.m, w.n_lo, w.n_hi, w.lo, w.hi);
    a.acc_out.pop_front();
  }
  // Accumulator bytes of row m of C for the array's columns from n0 (a drained row).
  std::pair<int64_t, int64_t> acc_row_bytes(const Instr& in, int64_t m, int64_t n0) const {
    const int64_t cw = in[F::n] + in[F::ones];
    const int64_t lo = in[F::c] + (m * cw + n0) * 4;
    return {lo, lo + std::min(hw_.array.cols, cw - n0) * 4};
  }
  std::pair<int64_t, int64_t> drain_bytes(const Instr& in, const WsSequencer& s, const WsSequencer::Row& d) const {
    return acc_row_bytes(in, d.row, s.n_tile(d.tile) * hw_.array.cols);
  }
  // The accumulator row's read-modify-write. The first K tile reads what it accumulates onto; the last one
  // writes the row's final sums, computed by the golden GEMM on the row's operands the ports fetched (partial
  // sums in between are not observable: no other unit may touch the block while the GEMM holds it).
  void drain_row(Unit& u, const Slot& a, const Instr& in, const WsSequencer::Row& d) {
    const WsSequencer& s = *a.seq;
    const auto [lo, hi] = drain_bytes(in, s, d);
    if (s.k_tile(d.tile) == 0 && in[F::accumulate]) read_acc(u, lo, hi);
    const int64_t n0 = s.n_tile(d.tile) * hw_.array.cols;
    if (s.k_tile(d.tile) == s.k_tiles() - 1) final_row(u, a.instr, in, d.row, n0, std::min(n0 + hw_.array.cols, in[F::n] + in[F::ones]), lo, hi);
  }
  // The accumulator SRAM's read of a read-modify-write: what the row accumulates onto.
  void read_acc(Unit& u, int64_t lo, int64_t hi) {
    std::memcpy(u.copy.sp[static_cast<size_t>(isa::Space::acc)].data() + lo, sp(static_cast<int>(isa::Space::acc), lo), static_cast<size_t>(hi - lo));
  }
  // Row m's final sums for columns [n_lo, n_hi) of C (the ones column is n = N), at accumulator bytes [lo, hi):
  // the golden GEMM on the operand bytes the ports fetched into the unit's copy, written to the accumulator.
  void final_row(Unit& u, int64_t index, const Instr& in, int64_t m, int64_t n_lo, int64_t n_hi, int64_t lo, int64_t hi) {
    const int64_t n = in[F::n];
    Instr row = in;
    row[F::m] = 1;
    row[F::a] = in[F::a] + m * isa::operand_stride(in, F::a_stride, F::a_type, in[F::k]);
    row[F::b] = in[F::b] + std::min(n_lo, n) * isa::operand_stride(in, F::b_stride, F::b_type, in[F::k]);
    row[F::n] = std::max<int64_t>(0, std::min(n_hi, n) - n_lo);
    row[F::ones] = in[F::ones] && n_hi > n ? 1 : 0;
    row[F::c] = lo;
    isa::execute(row, u.copy, static_cast<size_t>(index));
    std::memcpy(sp(static_cast<int>(isa::Space::acc), lo), u.copy.sp[static_cast<size_t>(isa::Space::acc)].data() + lo, static_cast<size_t>(hi - lo));
  }

  // One cycle of an output-stationary GEMM: the words entering the array's left and top edges this step and the
  // accumulator row its drain port writes; the array moves on once all of them are granted.
  void os_cycle(Unit& u, Slot& a) {
    const Instr& in = code(a.instr);
    if (!a.planned) plan_os_step(a, in), a.planned = true;
    auto read = [&](int s, const Piece& pc) { copy_in(u, s, pc); };
    auto always = [](int64_t) { return true; };
    advance(a.step_a, 0, u, read, always);
    advance(a.step_wt, 0, u, read, always);
    // the drain's read-modify-write goes in the cycle the step completes, never ahead of the edges
    if (all_done(a.step_a) && all_done(a.step_wt)) advance(a.step_acc, 0, u, [](int, const Piece&) {}, always);
    const bool array = all_done(a.step_a) && all_done(a.step_wt) && all_done(a.step_acc);
    if (array) u.granted = true;  // a tile is in the array until the sequencer is done
    const OsSequencer::Drain d = a.os->drain();
    if (array && d.tile >= 0) {
      const int64_t m = a.os->m0(d.tile) + d.row;
      if (m < in[F::m]) {
        const auto [lo, hi] = os_drain_bytes(in, *a.os, d);
        if (in[F::accumulate]) read_acc(u, lo, hi);
        const int64_t n0 = a.os->n0(d.tile);
        final_row(u, a.instr, in, m, n0, std::min(n0 + hw_.array.cols, in[F::n] + in[F::ones]), lo, hi);
      }
    }
    a.os->advance(array);
    if (array && !a.os->done()) plan_os_step(a, in);
  }
  std::pair<int64_t, int64_t> os_drain_bytes(const Instr& in, const OsSequencer& s, const OsSequencer::Drain& d) const {
    return acc_row_bytes(in, s.m0(d.tile) + d.row, s.n0(d.tile));
  }
  // An edge register holds one SRAM word of its operand row: a PE step whose bytes lie beyond it reads the
  // words it needs (a new tile's row starts empty). Rows of A enter from the left, rows of B (columns of the
  // array) from the top; rows beyond M or N carry zeros and read nothing, as does the ones column.
  void plan_os_step(Slot& a, const Instr& in) {
    const OsSequencer& s = *a.os;
    const int64_t R = hw_.array.rows, C = hw_.array.cols, K = in[F::k], L = lanes(in);
    auto edge = [&](OsSequencer::Entry e, int64_t row, int64_t limit, F base, F stride, F type, F space, int64_t& held,
                    std::vector<isa::Segment>& out) {
      if (e.tile < 0 || row >= limit) return;
      if (e.k == 0) held = -1;
      const isa::Dtype d = in.dtype(type);
      const int64_t at = in[base] + row * isa::operand_stride(in, stride, type, K);
      const int64_t lo = std::max(at + isa::row_bytes(d, e.k * L), (held + 1) * word_), hi = at + isa::row_bytes(d, std::min(K, (e.k + 1) * L));
      if (lo >= hi) return;
      held = (hi - 1) / word_;
      out.push_back({in.space(space), lo, std::min(at + isa::row_bytes(d, K), (held + 1) * word_)});  // the row's bytes in those words
    };
    std::vector<isa::Segment> as, bs;
    for (int64_t r = 0; r < R; ++r) {
      const OsSequencer::Entry e = s.row(r);
      edge(e, s.m0(e.tile) + r, in[F::m], F::a, F::a_stride, F::a_type, F::a_sp, a.held[static_cast<size_t>(r)], as);
    }
    for (int64_t c = 0; c < C; ++c) {
      const OsSequencer::Entry e = s.col(c);
      edge(e, s.n0(e.tile) + c, in[F::n], F::b, F::b_stride, F::b_type, F::b_sp, a.held[static_cast<size_t>(R + c)], bs);
    }
    a.step_a = ports_of(as, word_);
    a.step_wt = ports_of(bs, word_);
    const OsSequencer::Drain d = s.drain();
    if (d.tile >= 0 && s.m0(d.tile) + d.row < in[F::m]) {
      const auto [lo, hi] = os_drain_bytes(in, s, d);
      a.step_acc = ports_of({{isa::Space::acc, lo, hi}}, word_);
    } else {
      a.step_acc = {};
    }
  }

  // The cycle a load's word may be written: its last byte crossed the channel, then the DRAM latency.
  int64_t arrival(const Slot& l, int64_t word, const Port& p) const {
    int64_t end = 0;
    for (size_t k = p.next; k < p.pieces.size() && p.pieces[k].word == word; ++k) end = p.pieces[k].buf + (p.pieces[k].hi - p.pieces[k].lo);
    return l.start + static_cast<int64_t>(std::ceil(static_cast<double>(end) / hw_.memory.dram_bytes_per_cycle)) + hw_.memory.dram_latency_cycles;
  }

  const std::vector<Instr>* code_ = nullptr;
  const std::vector<isa::Probe>* probes_ = nullptr;
  const std::function<void(int64_t)>* progress_ = nullptr;
  model::HwConfig hw_;
  std::vector<isa::Footprint> fp_;
  isa::Memories mem_;
  std::array<int64_t, isa::kSpaces> bank_words_{};
  int64_t word_ = 64;  // the SRAM word (hw.sram_word_bytes()): what a bank access, and a port per cycle, moves
  std::array<std::vector<int64_t>, isa::kSpaces> stamp_;  // per bank: the last cycle it was accessed
  std::array<Unit, isa::kQueues> units_;
  std::array<std::array<int64_t, isa::kQueues>, isa::kQueues> tokens_{};  // [from][to]
  MachineRun out_;
  int64_t t_ = 0, pc_ = 0, channel_free_ = 0;
  int channel_user_ = 0;
  std::string error_;
};

Machine& instance() {
  static Machine* m = new Machine("machine");  // SystemC owns its modules until the end of the simulation
  return *m;
}

}  // namespace

void elaborate_machine() { instance(); }

std::vector<OpSpan> op_spans(const std::vector<int>& op_index, size_t ops, const MachineRun& run) {
  std::vector<OpSpan> span(ops);
  for (size_t i = 0; i < op_index.size() && i < run.instr.size(); ++i) {
    if (op_index[i] < 0) continue;
    OpSpan& s = span[static_cast<size_t>(op_index[i])];
    const InstrTime& t = run.instr[i];
    s.start = s.start < 0 ? t.issue : std::min(s.start, t.issue);
    s.end = std::max(s.end, t.retire);
    ++s.instructions;
  }
  return span;
}

MachineRun run_machine(const std::vector<Instr>& code, std::vector<uint8_t> dram, const std::array<int64_t, isa::kSpaces>& sp_bytes,
                       const model::HwConfig& hw, const std::vector<isa::Probe>& probes, const std::function<void(int64_t)>& progress) {
  return instance().run(code, std::move(dram), sp_bytes, hw, probes, progress);
}

}  // namespace qtsim::machine
