#include "models/compiler/compile.hpp"

#include <algorithm>
#include <cstring>
#include <deque>
#include <set>
#include <tuple>

#include "golden/ilayernorm.hpp"
#include "golden/shift_exp.hpp"
#include "models/compiler/emitter.hpp"
#include "models/isa/elements.hpp"

namespace qtsim::compiler {

using golden::ITensor;
using golden::Op;
using golden::OpKind;
using isa::Dtype;
using isa::F;
using isa::Instr;
using isa::Opcode;
using isa::Space;

namespace {
constexpr int64_t kDramAlign = 64;  // every tensor of the DRAM image starts on a 64-byte boundary
constexpr int64_t kMaxDim = (int64_t{1} << 16) - 1;  // rows, columns and GEMM dimensions of one instruction

int64_t align(int64_t x, int64_t to) { return (x + to - 1) / to * to; }
int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }


Dtype activation_dtype(const golden::IntType& t) {
  if (t.bits <= 8) return t.is_signed ? Dtype::i8 : Dtype::u8;
  if (t.bits <= 16) return t.is_signed ? Dtype::i16 : Dtype::u16;
  if (t.bits <= 31 || (t.bits == 32 && t.is_signed)) return Dtype::i32;
  return Dtype::i64;
}

// A buffer of `n` slots in one scratchpad; each take() hands out the next slot.
struct Slots {
  Space sp = Space::in;
  int64_t base = 0, bytes = 0;
  int n = 1, next = 0;
  int64_t take() { return base + bytes * (next++ % n); }
};

class Compiler {
 public:
  Compiler(const golden::Program& p, const model::HwConfig& hw) : p_(p), hw_(hw), word_(hw.sram_word_bytes()) {
    const model::MemoryConfig& m = hw.memory;
    cap_ = {m.input_kib * 1024, m.weight_kib * 1024, m.acc_kib * 1024};
    slots_ = m.double_buffer ? 2 : 1;
    out_.sp_bytes = cap_;
    out_.bank_bytes = m.input_kib * 1024 / std::max<int64_t>(1, m.banks);
  }

  Compiled run(const std::map<std::string, ITensor>& inputs) {
    place_activations(inputs);
    for (const Op& op : p_.ops) out_.op_names.push_back(op.name);
    bool top = false;
    for (size_t i = 0; i < p_.ops.size(); ++i, top = !top) {
      em_.op = static_cast<int>(i);
      cursor_.fill(0);
      from_top_ = top;
      if (fuses(i)) {
        compile_op(p_.ops[i], &p_.ops[i + 1]);
        ++i;
      } else {
        compile_op(p_.ops[i]);
      }
    }
    out_.code = std::move(em_.code);
    out_.op_index = std::move(em_.op_index);
    out_.map.assign(map_.begin(), map_.end());
    std::sort(out_.map.begin(), out_.map.end(), [](const DramTensor& a, const DramTensor& b) { return a.addr < b.addr; });
    return std::move(out_);
  }

 private:
  const golden::Program& p_;
  const model::HwConfig& hw_;
  const int64_t word_;  // SRAM word: scratchpad allocations start on one, and a K tile's piece of a row fits one
  Compiled out_;
  Emitter em_;
  std::array<int64_t, isa::kSpaces> cap_{}, cursor_{};
  int slots_ = 2;
  // Consecutive ops allocate from opposite ends of each scratchpad, so that the next op's first loads land
  // where the current op is not working and can run while it computes; they meet only when the two ops'
  // buffers together pass the capacity (the dependency tokens then order the shared bytes).
  bool from_top_ = false;
  std::deque<DramTensor> map_;           // stable references while tensors are added
  std::map<std::string, size_t> where_;  // tensor name -> index in map_

  [[noreturn]] void fail(const std::string& key, const std::string& why) const {
    throw MapError("hw." + key + ": " + why);
  }
  static const char* capacity_key(Space s) {
    return s == Space::in ? "memory.input_kib" : s == Space::wt ? "memory.weight_kib" : "memory.acc_kib";
  }

  // ---- DRAM image
  const DramTensor& place(const std::string& name, Dtype dt, const golden::Shape& shape, const std::string& role) {
    DramTensor t;
    t.name = name, t.dtype = dt, t.shape = shape, t.role = role;
    const int64_t cols = shape.empty() ? 1 : shape.back();
    const int64_t rows = cols == 0 ? 0 : golden::numel(shape) / cols;
    t.bytes = rows * isa::row_bytes(dt, cols);
    t.addr = align(static_cast<int64_t>(out_.dram.size()), kDramAlign);
    if (t.addr >= (int64_t{1} << 40)) throw MapError("the DRAM image passes the 40-bit address space at tensor " + name);
    out_.dram.resize(static_cast<size_t>(t.addr + t.bytes), 0);
    where_[name] = map_.size();
    map_.push_back(t);
    return map_.back();
  }
  void write(const DramTensor& t, const std::vector<int64_t>& v) {
    const int64_t cols = t.shape.empty() ? 1 : t.shape.back(), rb = isa::row_bytes(t.dtype, cols);
    for (size_t i = 0; i < v.size(); ++i) {
      const int64_t r = static_cast<int64_t>(i) / cols, j = static_cast<int64_t>(i) % cols;
      if (!isa::set_element(&out_.dram[static_cast<size_t>(t.addr + r * rb)], t.dtype, j, v[i]))
        throw MapError("tensor " + t.name + ": element " + std::to_string(i) + " = " + std::to_string(v[i]) + " does not fit " +
                       isa::dtype_name(t.dtype));
    }
  }
  const DramTensor& table(const std::string& name, Dtype dt, const golden::Shape& shape, const std::vector<int64_t>& v) {
    const DramTensor& t = place(name, dt, shape, "weight");
    write(t, v);
    return t;
  }
  const DramTensor& dram(const std::string& name) const { return map_.at(where_.at(name)); }

  // Whether op i's GEMM and the requant after it run as one: the requant consumes each accumulator tile as
  // the array finishes it, so the accumulators never travel to DRAM and back. Only where nothing else reads
  // them (they are then an on-chip intermediate, read by the probes) and the requant takes them as its first
  // operand.
  bool fuses(size_t i) const {
    if (i + 1 >= p_.ops.size()) return false;
    const Op& g = p_.ops[i];
    const Op& r = p_.ops[i + 1];
    if (g.kind != OpKind::gemm && g.kind != OpKind::bgemm && g.kind != OpKind::bmm_nt) return false;
    if (r.kind != OpKind::requant && r.kind != OpKind::add_requant) return false;
    const std::string& acc = g.out[0];
    if (r.in[0] != acc || (r.in.size() > 1 && r.in[1] == acc)) return false;
    if (std::find(p_.outputs.begin(), p_.outputs.end(), acc) != p_.outputs.end()) return false;
    for (size_t j = 0; j < p_.ops.size(); ++j)
      if (j != i + 1 && std::find(p_.ops[j].in.begin(), p_.ops[j].in.end(), acc) != p_.ops[j].in.end()) return false;
    return true;
  }

  void place_activations(const std::map<std::string, ITensor>& inputs) {
    std::map<std::string, bool> only_bgemm_a;  // +-1 tensors that only the binary GEMM reads: stored as bits
    for (const Op& op : p_.ops)
      for (size_t i = 0; i < op.in.size(); ++i) {
        const bool a = op.kind == OpKind::bgemm && i == 0;
        auto it = only_bgemm_a.find(op.in[i]);
        only_bgemm_a[op.in[i]] = a && (it == only_bgemm_a.end() || it->second);
      }
    std::set<std::string> array_out;
    std::map<std::string, std::string> moved_from;  // layout ops move elements: their outputs keep the input's type
    for (const Op& op : p_.ops) {
      if (op.kind == OpKind::gemm || op.kind == OpKind::bgemm || op.kind == OpKind::bmm_nt) array_out.insert(op.out[0]);
      if (op.kind == OpKind::split_heads || op.kind == OpKind::merge_heads || op.kind == OpKind::concat_rows || op.kind == OpKind::take_rows)
        for (const auto& o : op.out) moved_from[o] = op.in[0];
    }
    std::vector<std::string> order(p_.inputs);
    for (const Op& op : p_.ops)
      for (const auto& o : op.out) order.push_back(o);
    for (const auto& name : order) {
      const golden::TensorInfo& ti = p_.info(name);
      const bool bits = only_bgemm_a.count(name) && only_bgemm_a[name];
      const bool input = std::find(p_.inputs.begin(), p_.inputs.end(), name) != p_.inputs.end();
      const bool output = std::find(p_.outputs.begin(), p_.outputs.end(), name) != p_.outputs.end();
      // the array writes int32 accumulators whatever narrower type the Program declares for them
      const Dtype dt = bits                    ? Dtype::bits
                       : array_out.count(name)  ? Dtype::i32
                       : moved_from.count(name) ? dram(moved_from[name]).dtype
                                                : activation_dtype(ti.type);
      const DramTensor& t = place(name, dt, ti.shape, input ? "input" : output ? "output" : "intermediate");
      if (input) write(t, inputs.at(name).data);
    }
  }

  // ---- scratchpads
  // `apart`: the n slots start on their own banks where the space still holds them so, with the `later` bytes
  // the caller allocates there next, that a unit filling one slot and a unit emptying the other never ask one
  // bank in the same cycle.
  Slots alloc(Space sp, int64_t bytes, int n, const std::string& what, bool apart = false, int64_t later = 0) {
    Slots s;
    s.sp = sp, s.bytes = align(bytes, word_), s.n = n;
    int64_t& c = cursor_[static_cast<size_t>(sp)];
    const int64_t bank = cap_[static_cast<size_t>(sp)] / std::max<int64_t>(1, hw_.memory.banks);
    const int64_t pad = ceil_div(c, bank) * bank - c, stride = ceil_div(s.bytes, bank) * bank;
    if (apart && n > 1 && c + pad + stride * n + later <= cap_[static_cast<size_t>(sp)]) c += pad, s.bytes = stride;
    c += s.bytes * n;
    s.base = from_top_ ? cap_[static_cast<size_t>(sp)] - c : c - s.bytes * n;
    if (c > cap_[static_cast<size_t>(sp)])
      fail(capacity_key(sp), std::to_string(cap_[static_cast<size_t>(sp)] / 1024) + " KiB cannot hold " + what + " of op " +
                                 p_.ops[static_cast<size_t>(em_.op)].name + " (" + std::to_string(c) + " bytes needed)");
    return s;
  }
  int64_t free_bytes(Space sp) const { return cap_[static_cast<size_t>(sp)] - cursor_[static_cast<size_t>(sp)]; }
  // Bytes per slot left for `buffers` double-buffered (or single) buffers in sp, their alignment paid.
  int64_t slot_budget(Space sp, int buffers) const { return std::max<int64_t>(0, free_bytes(sp) / slots_ - buffers * word_); }

  // ---- instructions

  // A DMA transfer of rows x cols elements; the scratchpad side is contiguous. estride != 0 gathers (load)
  // or scatters (store) element by element in DRAM.
  // `stride`: the rows' distance on chip, 0 for rows packed back to back
  static Instr dma_instr(Opcode op, Dtype dt, int64_t rows, int64_t cols, int64_t dram_addr, int64_t dram_stride, int64_t estride, Space sp,
                         int64_t addr, int64_t stride = 0) {
    Instr in;
    in.op = op;
    const int64_t rb = isa::row_bytes(dt, cols);
    in[F::dtype] = static_cast<int64_t>(dt), in[F::rows] = rows, in[F::cols] = cols, in[F::dram] = dram_addr;
    in[F::dram_stride] = dram_stride, in[F::dram_estride] = estride, in[F::sp] = static_cast<int64_t>(sp), in[F::addr] = addr,
    in[F::stride] = stride ? stride : rb;
    return in;
  }
  void dma(Opcode op, Dtype dt, int64_t rows, int64_t cols, int64_t dram_addr, int64_t dram_stride, int64_t estride, Space sp,
           int64_t addr, int64_t stride = 0) {
    em_.emit(dma_instr(op, dt, rows, cols, dram_addr, dram_stride, estride, sp, addr, stride));
  }
  void load_table(const DramTensor& t, Slots& slot) {
    const int64_t cols = t.shape.back(), rows = golden::numel(t.shape) / cols;
    dma(Opcode::load, t.dtype, rows, cols, t.addr, isa::row_bytes(t.dtype, cols), 0, Space::wt, slot.take());
  }

  // ---- GEMMs
  struct Gemm {
    int64_t batches = 1, m = 0, k = 0, n = 0;
    Dtype a_dt = Dtype::i8, b_dt = Dtype::i8;
    int64_t a = 0, b = 0, c = 0;  // DRAM addresses; rows contiguous, batches one after another
    int64_t bias = -1;            // i32 [n], or none
  };
  // The requant fused after a GEMM (fuses()): applied to every accumulator tile once it is complete.
  struct Epilogue {
    int op = -1;                        // its Program op
    Instr proto;                        // its instruction, operands and table address aside
    const DramTensor* table = nullptr;  // its multipliers
    const DramTensor* y = nullptr;      // add_requant's second operand
    const DramTensor* o = nullptr;
    // bytes of `n` columns of its y and o blocks that live in scratchpad s
    int64_t bytes(Space s, int64_t n) const {
      int64_t b = 0;
      for (const DramTensor* t : {y, o})
        if (t && row_space(t->dtype) == s) b += isa::row_bytes(t->dtype, n);
      return b;
    }
    int buffers(Space s) const { return (y && row_space(y->dtype) == s) + (row_space(o->dtype) == s); }
  };
  // A GEMM operand's row of `cols` elements on chip: padded so that the weight-stationary array's K tile of
  // a row (R PE steps) never straddles two SRAM words, which would cost its stream step a second cycle
  // (docs/machine.md). A power-of-two piece up to a word never crosses one from a multiple of its size.
  int64_t chip_row(Dtype d, int64_t cols, Dtype b_dt) const {
    const int64_t rb = isa::row_bytes(d, cols);
    // Output-stationary edges read each row a word at a time, skewed by the row: rows on word boundaries
    // (or, shorter than a word, on a power of two) cross into their next word in different steps, where
    // packed rows could all cross in one step and hold the array a cycle per row.
    if (hw_.array.dataflow == model::Dataflow::os) {
      if (rb >= word_) return ceil_div(rb, word_) * word_;
      int64_t p = 1;
      while (p < rb) p *= 2;
      return p;
    }
    // Weight- and input-stationary ports read a K tile of a row per step: rows padded to that piece
    const int64_t piece = std::min(word_, isa::row_bytes(d, hw_.array.rows * isa::pe_lanes(b_dt)));
    if (piece < 1 || (piece & (piece - 1))) return rb;
    return ceil_div(rb, piece) * piece;
  }
  void compile_gemm(const Gemm& g, const Epilogue* ep) {
    // K slices start on a PE's lane group, and so on a byte
    const int64_t q = std::max(isa::pe_lanes(g.a_dt), isa::pe_lanes(g.b_dt));
    const int64_t cols = hw_.array.cols;
    const int gemm_op = em_.op;
    Slots tab;
    if (ep) {  // the requant's multipliers first: they stay for the whole op
      em_.op = ep->op;
      tab = alloc(Space::wt, ep->table->bytes, 1, "the table " + ep->table->name);
      load_table(*ep->table, tab);
      em_.op = gemm_op;
    }
    auto ep_bytes = [&](Space s, int64_t n) { return ep ? ep->bytes(s, n) : 0; };
    auto ep_buffers = [&](Space s) { return ep ? ep->buffers(s) : 0; };
    const int64_t cap_in = slot_budget(Space::in, 1 + ep_buffers(Space::in)), cap_wt = slot_budget(Space::wt, 1);
    const int64_t cap_acc = slot_budget(Space::acc, 1 + ep_buffers(Space::acc));
    int64_t kt = std::min(g.k, kMaxDim / q * q);
    while (kt > q && (std::min(g.n, cols) * isa::row_bytes(g.b_dt, kt) > cap_wt || isa::row_bytes(g.a_dt, kt) > cap_in)) kt = std::max(q, kt / 2 / q * q);
    if (isa::row_bytes(g.b_dt, kt) > cap_wt || isa::row_bytes(g.a_dt, kt) > cap_in)
      fail(isa::row_bytes(g.b_dt, kt) > cap_wt ? capacity_key(Space::wt) : capacity_key(Space::in),
           "too small for one row of " + std::to_string(kt) + " elements of op " + p_.ops[static_cast<size_t>(em_.op)].name);
    const int64_t group = ep && ep->proto[F::ntab] > 1 ? ep->proto[F::group] : 1;  // a tile starts on a multiplier
    // the N and M tiles beside a K tile of kt elements
    auto tiles_for = [&](int64_t kt) {
      const int64_t a_row = chip_row(g.a_dt, kt, g.b_dt), b_row = chip_row(g.b_dt, kt, g.b_dt);
      int64_t nt = std::min({g.n, kMaxDim, cap_wt / b_row, cap_acc / (4 + ep_bytes(Space::acc, 1))});
      // whole array columns: accumulator rows of a multiple of C int32 keep every drained row in one SRAM word
      if (nt > cols) nt = nt / cols * cols;
      // rows of A (and of the requant's blocks) and of accumulators that fit beside nt columns
      auto rows_for = [&](int64_t n) {
        return std::min({g.m, kMaxDim, cap_in / (a_row + ep_bytes(Space::in, n)), cap_acc / (4 * n + ep_bytes(Space::acc, n))});
      };
      while (nt > 1 && rows_for(nt) < 1) nt = nt > cols ? std::max(cols, nt / 2 / cols * cols) : nt / 2;
      if (nt < g.n && nt % group) nt = nt / group * group;
      if (nt < 1) fail(capacity_key(Space::wt), "too small for one group of " + std::to_string(group) + " channels of op " + p_.ops[static_cast<size_t>(em_.op)].name);
      int64_t mt = rows_for(nt);
      if (mt < 1) fail(capacity_key(Space::acc), "too small for one row of " + std::to_string(nt) + " accumulators of op " + p_.ops[static_cast<size_t>(em_.op)].name);
      // Weight-stationary, as many blocks, of even rows: a short last block is a tile of preloads. Input- and
      // output-stationary tile M by the array's columns or rows: whole tiles, so that a block adds no tile.
      const int64_t m_tile = hw_.array.dataflow == model::Dataflow::is ? cols : hw_.array.rows;
      if (hw_.array.dataflow == model::Dataflow::ws) mt = ceil_div(g.m, ceil_div(g.m, mt));
      else if (mt < g.m && mt > m_tile) mt = mt / m_tile * m_tile;
      return std::make_pair(nt, mt);
    };
    int64_t nt = 0, mt = 0;
    std::tie(nt, mt) = tiles_for(kt);
    // A weight-stationary tile of fewer than 2R + C - 2 rows waits for its weights: split K instead, while a
    // K tile still fills the array's rows.
    if (hw_.array.dataflow == model::Dataflow::ws) {
      const int64_t want = std::min(g.m, 2 * hw_.array.rows + cols - 2);
      while (mt < want && kt / 2 / q * q >= q * hw_.array.rows) {
        kt = kt / 2 / q * q;
        std::tie(nt, mt) = tiles_for(kt);
      }
    }
    const int64_t nm = ceil_div(g.m, mt), nk = ceil_div(g.k, kt), nn = ceil_div(g.n, nt);
    Slots sa = alloc(Space::in, mt * chip_row(g.a_dt, kt, g.b_dt), slots_, "a block of A");
    Slots sb = alloc(Space::wt, nt * chip_row(g.b_dt, kt, g.b_dt), slots_, "a block of B");
    // the requant's blocks that share the accumulator scratchpad, their alignment paid
    const int64_t epilogue_acc = slots_ * (mt * ep_bytes(Space::acc, nt) + ep_buffers(Space::acc) * word_);
    // the array drains one, the requant reads the other
    Slots sc = alloc(Space::acc, mt * nt * 4, slots_, "a block of accumulators", true, epilogue_acc);
    Slots sy, so;
    if (ep && ep->y) sy = alloc(row_space(ep->y->dtype), mt * isa::row_bytes(ep->y->dtype, nt), slots_, "a block of " + ep->y->name);
    if (ep) so = alloc(row_space(ep->o->dtype), mt * isa::row_bytes(ep->o->dtype, nt), slots_, "a block of " + ep->o->name);
    const int64_t a_rb = isa::row_bytes(g.a_dt, g.k), b_rb = isa::row_bytes(g.b_dt, g.k), c_rb = 4 * g.n;
    for (int64_t h = 0; h < g.batches; ++h) {
      const int64_t a0 = g.a + h * g.m * a_rb, b0 = g.b + h * g.n * b_rb, c0 = g.c + h * g.m * c_rb;
      const bool a_resident = nm == 1 && nk == 1;
      int64_t a_addr = 0;
      if (a_resident) {
        a_addr = sa.take();
        dma(Opcode::load, g.a_dt, g.m, g.k, a0, a_rb, 0, Space::in, a_addr, chip_row(g.a_dt, g.k, g.b_dt));
      }
      for (int64_t jn = 0; jn < nn; ++jn) {
        const int64_t n0 = jn * nt, nc = std::min(nt, g.n - n0);
        int64_t b_addr = 0;
        if (nk == 1) {
          b_addr = sb.take();
          dma(Opcode::load, g.b_dt, nc, g.k, b0 + n0 * b_rb, b_rb, 0, Space::wt, b_addr, chip_row(g.b_dt, g.k, g.b_dt));
        }
        for (int64_t im = 0; im < nm; ++im) {
          const int64_t m0 = im * mt, mc = std::min(mt, g.m - m0);
          const int64_t c_addr = sc.take();
          if (g.bias >= 0) dma(Opcode::load, Dtype::i32, mc, nc, g.bias + 4 * n0, 0, 0, Space::acc, c_addr);
          for (int64_t ik = 0; ik < nk; ++ik) {
            const int64_t k0 = ik * kt, kc = std::min(kt, g.k - k0);
            const int64_t koff_a = isa::row_bytes(g.a_dt, k0), koff_b = isa::row_bytes(g.b_dt, k0);
            if (nk > 1) {
              b_addr = sb.take();
              dma(Opcode::load, g.b_dt, nc, kc, b0 + n0 * b_rb + koff_b, b_rb, 0, Space::wt, b_addr, chip_row(g.b_dt, kc, g.b_dt));
            }
            if (!a_resident) {
              a_addr = sa.take();
              dma(Opcode::load, g.a_dt, mc, kc, a0 + m0 * a_rb + koff_a, a_rb, 0, Space::in, a_addr, chip_row(g.a_dt, kc, g.b_dt));
            }
            gemm(a_addr, g.a_dt, mc, kc, b_addr, g.b_dt, nc, c_addr, g.bias >= 0 || ik > 0, false, chip_row(g.a_dt, kc, g.b_dt),
                 chip_row(g.b_dt, kc, g.b_dt));
          }
          const Instr store_c = dma_instr(Opcode::store, Dtype::i32, mc, nc, c0 + m0 * c_rb + 4 * n0, c_rb, 0, Space::acc, c_addr);
          if (!ep) {
            em_.emit(store_c);
            continue;
          }
          out_.probes.push_back({static_cast<int64_t>(em_.code.size()) - 1, store_c});
          em_.op = ep->op;
          Instr in = ep->proto;
          set_x(in, Space::acc, c_addr, Dtype::i32);
          if (ep->y) {
            const DramTensor& y = *ep->y;
            const int64_t rb = isa::row_bytes(y.dtype, g.n), addr = sy.take();
            dma(Opcode::load, y.dtype, mc, nc, y.addr + (h * g.m + m0) * rb + isa::row_bytes(y.dtype, n0), rb, 0, sy.sp, addr);
            set_y(in, sy.sp, addr, y.dtype);
          }
          const DramTensor& o = *ep->o;
          const int64_t orb = isa::row_bytes(o.dtype, g.n), oaddr = so.take();
          set_o(in, so.sp, oaddr, o.dtype);
          in[F::rows] = mc, in[F::cols] = nc, in[F::tab] = tab.base;
          if (in[F::ntab] > 1) in[F::tab] += n0 / group * 8, in[F::ntab] -= n0 / group;
          em_.emit(in);
          dma(Opcode::store, o.dtype, mc, nc, o.addr + (h * g.m + m0) * orb + isa::row_bytes(o.dtype, n0), orb, 0, so.sp, oaddr);
          em_.op = gemm_op;
        }
      }
    }
  }
  // Strides of 0 or the packed row leave the field 0 (rows back to back).
  void gemm(int64_t a, Dtype a_dt, int64_t m, int64_t k, int64_t b, Dtype b_dt, int64_t n, int64_t c, bool accumulate, bool ones,
            int64_t a_stride = 0, int64_t b_stride = 0) {
    Instr in;
    in.op = Opcode::gemm;
    in[F::a_sp] = static_cast<int64_t>(Space::in), in[F::a] = a, in[F::a_type] = static_cast<int64_t>(a_dt);
    in[F::b_sp] = static_cast<int64_t>(Space::wt), in[F::b] = b, in[F::b_type] = static_cast<int64_t>(b_dt);
    in[F::c] = c, in[F::m] = m, in[F::k] = k, in[F::n] = n, in[F::accumulate] = accumulate, in[F::ones] = ones;
    in[F::a_stride] = a_stride == isa::row_bytes(a_dt, k) ? 0 : a_stride;
    in[F::b_stride] = b_stride == isa::row_bytes(b_dt, k) ? 0 : b_stride;
    em_.emit(in);
  }

  void compile_group4(const Op& op) {
    const golden::GroupInt4Weights& w = p_.group4_consts.at(op.weight);
    const golden::Group4Consts gc = golden::group4_consts(w);
    const DramTensor& a = dram(op.in[0]);
    const int64_t M = golden::numel(a.shape) / w.k, K = w.k, N = w.n, G = w.group, groups = w.groups();
    const int64_t codes = place(op.weight, Dtype::u4, {N, K}, "weight").addr;
    std::memcpy(&out_.dram[static_cast<size_t>(codes)], w.packed.data(), w.packed.size());
    const int64_t zero = table(op.name + ".zero", Dtype::i64, {N, groups}, gc.zero_fx).addr;
    const int64_t mult = table(op.name + ".gmult", Dtype::i64, {N, groups}, gc.mult).addr;
    std::vector<int64_t> bias = op.bias;
    bias.resize(static_cast<size_t>(N), 0);
    const int64_t bias_t = table(op.name + ".bias", Dtype::i64, {1, N}, bias).addr;
    const int64_t a_addr = a.addr, out = dram(op.out[0]).addr;
    const int64_t cap_in = free_bytes(Space::in), cap_wt = free_bytes(Space::wt), cap_acc = free_bytes(Space::acc);
    // per row of codes: its slots of one group, its zero and multiplier rows, its bias; alignment paid once per buffer
    const int64_t nt = std::min({N, kMaxDim - 1, (cap_wt - 6 * word_) / (slots_ * isa::row_bytes(Dtype::u4, G) + 16 * groups + 8)});
    if (nt < 1) fail(capacity_key(Space::wt), "too small for one row of group codes and tables of op " + op.name);
    const int64_t mt = std::min({M, kMaxDim, (cap_in - 3 * word_) / (slots_ * G), (cap_acc - 5 * word_) / (slots_ * 4 * (nt + 1) + 24 * nt)});
    if (mt < 1) fail(capacity_key(Space::acc), "too small for one row of wide accumulators of op " + op.name);
    Slots sa = alloc(Space::in, mt * G, slots_, "a group of A");
    Slots sb = alloc(Space::wt, nt * isa::row_bytes(Dtype::u4, G), slots_, "a group of codes");
    Slots tz = alloc(Space::wt, nt * groups * 8, 1, "the zero table");
    Slots tm = alloc(Space::wt, nt * groups * 8, 1, "the multiplier table");
    Slots tb = alloc(Space::wt, nt * 8, 1, "the bias table");
    Slots sp = alloc(Space::acc, mt * (nt + 1) * 4, slots_, "a block of partial sums");
    Slots sw = alloc(Space::acc, mt * nt * 16, 1, "the wide accumulators");
    Slots so = alloc(Space::acc, mt * nt * 8, 1, "a block of outputs");
    for (int64_t n0 = 0; n0 < N; n0 += nt) {
      const int64_t nc = std::min(nt, N - n0);
      const int64_t z_addr = tz.take(), m_addr = tm.take(), b_addr = tb.take();
      dma(Opcode::load, Dtype::i64, nc, groups, zero + n0 * groups * 8, groups * 8, 0, Space::wt, z_addr);
      dma(Opcode::load, Dtype::i64, nc, groups, mult + n0 * groups * 8, groups * 8, 0, Space::wt, m_addr);
      dma(Opcode::load, Dtype::i64, 1, nc, bias_t + n0 * 8, 0, 0, Space::wt, b_addr);
      for (int64_t m0 = 0; m0 < M; m0 += mt) {
        const int64_t mc = std::min(mt, M - m0);
        const int64_t w_addr = sw.take(), o_addr = so.take();
        for (int64_t g = 0; g < groups; ++g) {
          const int64_t ax = sa.take(), bx = sb.take(), px = sp.take();
          dma(Opcode::load, Dtype::i8, mc, G, a_addr + m0 * K + g * G, K, 0, Space::in, ax);
          dma(Opcode::load, Dtype::u4, nc, G, codes + n0 * (K / 2) + g * G / 2, K / 2, 0, Space::wt, bx);
          gemm(ax, Dtype::i8, mc, G, bx, Dtype::u4, nc, px, false, true);
          Instr in;
          in.op = Opcode::fold;
          set_x(in, Space::acc, px, Dtype::i32);
          in[F::y_sp] = static_cast<int64_t>(Space::acc), in[F::y] = w_addr, in[F::y_type] = static_cast<int64_t>(Dtype::i128);
          set_o(in, Space::acc, o_addr, Dtype::i64);
          in[F::rows] = mc, in[F::cols] = nc, in[F::tab] = z_addr + g * 8, in[F::tab2] = m_addr + g * 8, in[F::tab3] = b_addr;
          in[F::tab_stride] = groups * 8, in[F::first] = g == 0, in[F::last] = g + 1 == groups;
          em_.emit(in);
        }
        dma(Opcode::store, Dtype::i64, mc, nc, out + (m0 * N + n0) * 8, N * 8, 0, Space::acc, o_addr);
      }
    }
  }

  // ---- row ops: blocks of whole rows, inputs loaded, the op, outputs stored
  static void set_x(Instr& in, Space sp, int64_t a, Dtype d) {
    in[F::x_sp] = static_cast<int64_t>(sp), in[F::x] = a, in[F::x_type] = static_cast<int64_t>(d);
  }
  static void set_y(Instr& in, Space sp, int64_t a, Dtype d) {
    in[F::y_sp] = static_cast<int64_t>(sp), in[F::y] = a, in[F::y_type] = static_cast<int64_t>(d);
  }
  static void set_o(Instr& in, Space sp, int64_t a, Dtype d) {
    in[F::o_sp] = static_cast<int64_t>(sp), in[F::o] = a, in[F::o_type] = static_cast<int64_t>(d);
  }
  static Space row_space(Dtype d) { return isa::row_bytes(d, 1) >= 4 ? Space::acc : Space::in; }

  // Loads the tables once, then per block of rows: x (and y) in, the instruction `proto` on them, o out.
  void compile_rows(Instr proto, const Op& op, const std::vector<std::pair<F, const DramTensor*>>& tables) {
    std::vector<const DramTensor*> ins;
    for (const auto& n : op.in) ins.push_back(&dram(n));
    const DramTensor& o = dram(op.out[0]);
    const int64_t cols = ins[0]->shape.back(), rows = golden::numel(ins[0]->shape) / cols, ocols = o.shape.back();
    for (const auto& [field, t] : tables) {
      Slots s = alloc(Space::wt, t->bytes, 1, "the table " + t->name);
      proto[field] = s.base;
      load_table(*t, s);
    }
    std::array<int64_t, isa::kSpaces> per_row{};
    for (const DramTensor* t : ins) per_row[static_cast<size_t>(row_space(t->dtype))] += align(isa::row_bytes(t->dtype, cols), word_);
    per_row[static_cast<size_t>(row_space(o.dtype))] += align(isa::row_bytes(o.dtype, ocols), word_);
    int64_t rt = std::min(rows, kMaxDim);
    for (int s = 0; s < isa::kSpaces; ++s) {
      const int64_t need = per_row[static_cast<size_t>(s)];
      if (!need) continue;
      const int64_t fit = slot_budget(static_cast<Space>(s), 3) / need;
      if (fit < 1)
        fail(capacity_key(static_cast<Space>(s)), std::to_string(cap_[static_cast<size_t>(s)] / 1024) + " KiB cannot hold " +
                                                      (slots_ > 1 ? "two blocks (double buffering) of " : "") + "one row (" +
                                                      std::to_string(need) + " bytes) of op " + op.name);
      rt = std::min(rt, fit);
    }
    std::vector<Slots> si;
    for (const DramTensor* t : ins) si.push_back(alloc(row_space(t->dtype), rt * isa::row_bytes(t->dtype, cols), slots_, "a block of " + t->name));
    Slots so = alloc(row_space(o.dtype), rt * isa::row_bytes(o.dtype, ocols), slots_, "a block of " + o.name);
    for (int64_t r0 = 0; r0 < rows; r0 += rt) {
      const int64_t rc = std::min(rt, rows - r0);
      Instr in = proto;
      for (size_t i = 0; i < ins.size(); ++i) {
        const DramTensor& t = *ins[i];
        const int64_t rb = isa::row_bytes(t.dtype, cols), addr = si[i].take();
        dma(Opcode::load, t.dtype, rc, cols, t.addr + r0 * rb, rb, 0, si[i].sp, addr);
        if (i == 0) set_x(in, si[i].sp, addr, t.dtype);
        else set_y(in, si[i].sp, addr, t.dtype);
      }
      const int64_t orb = isa::row_bytes(o.dtype, ocols), oaddr = so.take();
      set_o(in, so.sp, oaddr, o.dtype);
      in[F::rows] = rc, in[F::cols] = cols;
      em_.emit(in);
      dma(Opcode::store, o.dtype, rc, ocols, o.addr + r0 * orb, orb, 0, so.sp, oaddr);
    }
  }

  void compile_shift_add(const Op& op) {
    const DramTensor& codes = dram(op.in[0]);
    const DramTensor& vt = dram(op.in[1]);
    const DramTensor& even = dram(op.out[0]);
    const DramTensor& odd = dram(op.out[1]);
    const int64_t H = codes.shape[0], M = codes.shape[1], T = codes.shape[2], D = vt.shape[1];
    const int64_t ob = isa::row_bytes(even.dtype, 1);
    if (row_space(even.dtype) != Space::acc || even.dtype != odd.dtype) fail("memory", "op " + op.name + ": shift-add sums are 32 or 64 bits wide");
    Slots sv = alloc(Space::wt, D * T, slots_, "one head of v");
    const int64_t mt = std::min({M, kMaxDim, slot_budget(Space::in, 1) / T, slot_budget(Space::acc, 2) / (2 * D * ob)});
    if (mt < 1) fail("memory", "the scratchpads cannot hold one row of op " + op.name);
    Slots sc = alloc(Space::in, mt * T, slots_, "a block of codes");
    Slots se = alloc(Space::acc, mt * D * ob, slots_, "a block of even sums");
    Slots so = alloc(Space::acc, mt * D * ob, slots_, "a block of odd sums");
    for (int64_t h = 0; h < H; ++h) {
      const int64_t v_addr = sv.take();
      dma(Opcode::load, vt.dtype, D, T, vt.addr + h * D * T, T, 0, Space::wt, v_addr);
      for (int64_t m0 = 0; m0 < M; m0 += mt) {
        const int64_t mc = std::min(mt, M - m0), c_addr = sc.take(), e_addr = se.take(), o_addr = so.take();
        dma(Opcode::load, codes.dtype, mc, T, codes.addr + (h * M + m0) * T, T, 0, Space::in, c_addr);
        Instr in;
        in.op = Opcode::shift_add;
        set_x(in, Space::in, c_addr, codes.dtype);
        set_y(in, Space::wt, v_addr, vt.dtype);
        set_o(in, Space::acc, e_addr, even.dtype);
        in[F::o2] = o_addr, in[F::rows] = mc, in[F::cols] = D, in[F::k] = T, in[F::bits] = op.bits;
        em_.emit(in);
        const int64_t dst = (h * M + m0) * D * ob;
        dma(Opcode::store, even.dtype, mc, D, even.addr + dst, D * ob, 0, Space::acc, e_addr);
        dma(Opcode::store, odd.dtype, mc, D, odd.addr + dst, D * ob, 0, Space::acc, o_addr);
      }
    }
  }

  // ---- layout: DRAM to DRAM through the activation scratchpad, rows x cols elements
  void copy(Dtype dt, int64_t rows, int64_t cols, int64_t src, int64_t src_stride, int64_t src_estride, int64_t dst, int64_t dst_stride,
            Slots& buf, int64_t rt) {
    for (int64_t r0 = 0; r0 < rows; r0 += rt) {
      const int64_t rc = std::min(rt, rows - r0), addr = buf.take();
      dma(Opcode::load, dt, rc, cols, src + r0 * src_stride, src_stride, src_estride, Space::in, addr);
      dma(Opcode::store, dt, rc, cols, dst + r0 * dst_stride, dst_stride, 0, Space::in, addr);
    }
  }
  Slots copy_buffer(int64_t row_bytes, int64_t rows, int64_t& rt) {
    rt = std::min({rows, kMaxDim, slot_budget(Space::in, 1) / std::max<int64_t>(1, row_bytes)});
    if (rt < 1) fail(capacity_key(Space::in), "too small for one row of op " + p_.ops[static_cast<size_t>(em_.op)].name);
    return alloc(Space::in, rt * row_bytes, slots_, "a block of rows");
  }
  void compile_layout(const Op& op) {
    const DramTensor& x = dram(op.in[0]);
    const Dtype dt = x.dtype;
    const int64_t es = isa::element_bytes(dt);
    if (!es) fail("memory", "op " + op.name + ": layout of " + isa::dtype_name(dt) + " elements is not byte addressed");
    switch (op.kind) {
      case OpKind::split_heads: {
        const int64_t T = x.shape[0], H = op.heads, d = x.shape[1] / 3 / H, row = x.shape[1] * es;
        int64_t rt = 0;
        Slots buf = copy_buffer(std::max(d, T) * es, std::max(d, T), rt);
        for (int part = 0; part < 2; ++part)
          for (int64_t h = 0; h < H; ++h)
            copy(dt, T, d, x.addr + (part * H * d + h * d) * es, row, 0, dram(op.out[static_cast<size_t>(part)]).addr + h * T * d * es, d * es, buf, rt);
        for (int64_t h = 0; h < H; ++h)  // v^T: row j of head h gathers element j of every token
          copy(dt, d, T, x.addr + (2 * H * d + h * d) * es, es, row, dram(op.out[2]).addr + h * d * T * es, T * es, buf, rt);
        break;
      }
      case OpKind::merge_heads: {
        const int64_t H = x.shape[0], T = x.shape[1], d = x.shape[2];
        int64_t rt = 0;
        Slots buf = copy_buffer(d * es, T, rt);
        const DramTensor& o = dram(op.out[0]);
        for (int64_t h = 0; h < H; ++h) copy(dt, T, d, x.addr + h * T * d * es, d * es, 0, o.addr + h * d * es, H * d * es, buf, rt);
        break;
      }
      case OpKind::concat_rows: {
        const DramTensor& y = dram(op.in[1]);
        const DramTensor& o = dram(op.out[0]);
        const int64_t c = x.shape.back(), r1 = golden::numel(x.shape) / c, r2 = golden::numel(y.shape) / c, rb = c * es;
        int64_t rt = 0;
        Slots buf = copy_buffer(rb, r1 + r2, rt);
        copy(dt, r1, c, x.addr, rb, 0, o.addr, rb, buf, rt);
        copy(dt, r2, c, y.addr, rb, 0, o.addr + r1 * rb, rb, buf, rt);
        break;
      }
      default: {  // take_rows
        const DramTensor& o = dram(op.out[0]);
        const int64_t c = x.shape.back(), r = golden::numel(o.shape) / c, rb = c * es;
        int64_t rt = 0;
        Slots buf = copy_buffer(rb, r, rt);
        copy(dt, r, c, x.addr + op.row0 * rb, rb, 0, o.addr, rb, buf, rt);
        break;
      }
    }
  }

  // ---- per op
  const DramTensor* dyadic_table(const std::string& name, const std::vector<golden::Dyadic>& mult) {
    std::vector<int64_t> v;
    for (const golden::Dyadic& d : mult) v.push_back(d.m), v.push_back(d.e);
    return &table(name, Dtype::i32, {static_cast<int64_t>(mult.size()), 2}, v);
  }
  const DramTensor* vec_table(const std::string& name, const std::vector<int64_t>& v) {
    return &table(name, Dtype::i64, {1, static_cast<int64_t>(v.size())}, v);
  }
  static Instr proto(Opcode o) {
    Instr in;
    in.op = o;
    return in;
  }
  static int64_t num(golden::Numerator n) { return n == golden::Numerator::pow2_31_minus_1 ? 1 : 0; }
  int64_t imm32(int64_t v, const std::string& what) const {
    if (v < INT32_MIN || v > INT32_MAX) fail("units", "op " + p_.ops[static_cast<size_t>(em_.op)].name + ": " + what + " " + std::to_string(v) + " does not fit 32 bits");
    return v;
  }

  Instr requant_proto(const Op& op) const {
    Instr in = proto(op.kind == OpKind::requant ? Opcode::requant : Opcode::add_requant);
    in[F::ntab] = static_cast<int64_t>(op.rq.mult.size()), in[F::group] = op.rq.group, in[F::bits] = op.rq.bits;
    in[F::round] = op.rq.rounding == golden::Rounding::half_up;
    if (op.kind == OpKind::add_requant) in[F::im] = op.rq_identity.at(0).m, in[F::ie] = op.rq_identity.at(0).e;
    return in;
  }
  // The GEMM of `op` with `rq` fused after it (fuses()), or alone.
  void compile_gemm(const Gemm& g, const Op& op, const Op* rq) {
    if (!rq) return compile_gemm(g, nullptr);
    Epilogue ep;
    ep.op = em_.op + 1;
    ep.proto = requant_proto(*rq);
    ep.table = dyadic_table(rq->name + ".mult", rq->rq.mult);
    if (rq->in.size() > 1) ep.y = &dram(rq->in[1]);
    ep.o = &dram(rq->out[0]);
    map_[where_.at(op.out[0])].on_chip = true;
    compile_gemm(g, &ep);
  }

  // op, or op with the requant `fused` after it (fuses()).
  void compile_op(const Op& op, const Op* fused = nullptr) {
    switch (op.kind) {
      case OpKind::gemm:
      case OpKind::bgemm: {
        const DramTensor& a = dram(op.in[0]);
        Gemm g;
        g.k = a.shape.back(), g.m = golden::numel(a.shape) / g.k;
        g.a_dt = a.dtype, g.a = a.addr, g.c = dram(op.out[0]).addr;
        if (op.kind == OpKind::gemm) {
          const ITensor& w = p_.consts.at(op.weight);
          const int bits = p_.info(op.weight).type.bits;
          g.b_dt = bits <= 4 ? Dtype::i4 : Dtype::i8;
          g.n = w.shape[0];
          const DramTensor& wt = place(op.weight, g.b_dt, w.shape, "weight");
          write(wt, w.data);
          g.b = wt.addr;
        } else {
          const golden::BitMatrix& w = p_.bit_consts.at(op.weight);
          if (a.dtype != Dtype::bits) fail("memory", "op " + op.name + ": the binary GEMM's A is read by other ops too, so it is not stored as bits");
          g.b_dt = Dtype::bits, g.n = w.rows;
          const DramTensor& wt = place(op.weight, Dtype::bits, {w.rows, w.k}, "weight");
          std::memcpy(&out_.dram[static_cast<size_t>(wt.addr)], w.words.data(), w.words.size() * 8);
          g.b = wt.addr;
        }
        if (!op.bias.empty()) {
          std::vector<int64_t> b = op.bias;
          g.bias = table(op.name + ".bias", Dtype::i32, {1, g.n}, b).addr;
        }
        compile_gemm(g, op, fused);
        break;
      }
      case OpKind::bmm_nt: {
        const DramTensor& a = dram(op.in[0]);
        const DramTensor& b = dram(op.in[1]);
        Gemm g;
        g.batches = a.shape[0], g.m = a.shape[1], g.k = a.shape[2], g.n = b.shape[1];
        g.a_dt = a.dtype, g.b_dt = b.dtype, g.a = a.addr, g.b = b.addr, g.c = dram(op.out[0]).addr;
        compile_gemm(g, op, fused);
        break;
      }
      case OpKind::gemm_group4: compile_group4(op); break;
      case OpKind::requant:
      case OpKind::add_requant: {
        compile_rows(requant_proto(op), op, {{F::tab, dyadic_table(op.name + ".mult", op.rq.mult)}});
        break;
      }
      case OpKind::binarize: compile_rows(proto(Opcode::binarize), op, {{F::tab, vec_table(op.name + ".beta", op.vec)}}); break;
      case OpKind::scale_rows:
        compile_rows(proto(Opcode::affine), op, {{F::tab, vec_table(op.name + ".mult", op.vec)}, {F::tab2, vec_table(op.name + ".offset", op.bias)}});
        break;
      case OpKind::mask_probs: {
        Instr in = proto(Opcode::mask);
        in[F::imm] = imm32(op.threshold, "threshold");
        compile_rows(in, op, {});
        break;
      }
      case OpKind::logsqrt2_codes: {
        Instr in = proto(Opcode::codes);
        in[F::ntab] = static_cast<int64_t>(op.vec.size());
        compile_rows(in, op, {{F::tab, vec_table(op.name + ".thresholds", op.vec)}});
        break;
      }
      case OpKind::logsqrt2_attn_v: compile_shift_add(op); break;
      case OpKind::shiftmax: {
        Instr in = proto(Opcode::shiftmax);
        in[F::imm] = imm32(golden::shift_exp_x0(op.shiftmax.scale), "x0"), in[F::bits] = op.shiftmax.out_bits, in[F::num] = num(op.shiftmax.numerator);
        compile_rows(in, op, {});
        break;
      }
      case OpKind::shiftgelu: {
        Instr in = proto(Opcode::shiftgelu);
        in[F::imm] = imm32(golden::shift_exp_x0(op.shiftgelu.sigmoid_scale()), "x0"), in[F::num] = num(op.shiftgelu.numerator);
        compile_rows(in, op, {});
        break;
      }
      case OpKind::ilayernorm: {
        Instr in = proto(Opcode::ilayernorm);
        in[F::num] = num(op.ilayernorm.numerator);
        const int64_t c = p_.info(op.in[0]).shape.back();
        compile_rows(in, op, {{F::tab, vec_table(op.name + ".bias_int", golden::ilayernorm_bias_int(op.ilayernorm, c))}});
        break;
      }
      case OpKind::split_heads:
      case OpKind::merge_heads:
      case OpKind::concat_rows:
      case OpKind::take_rows: compile_layout(op); break;
    }
  }
};
}  // namespace

const DramTensor& Compiled::tensor(const std::string& name) const {
  for (const DramTensor& t : map)
    if (t.name == name) return t;
  throw std::invalid_argument("no tensor '" + name + "' in the DRAM image (see dram_map.json)");
}

Compiled compile(const golden::Program& p, const std::map<std::string, ITensor>& inputs, const model::HwConfig& hw) {
  p.check();
  if (hw.memory.banks < 1) throw MapError("hw.memory.banks: at least one bank");
  for (int64_t kib : {hw.memory.input_kib, hw.memory.weight_kib, hw.memory.acc_kib})
    if (kib * 1024 >= (int64_t{1} << 24)) throw MapError("hw.memory: a scratchpad of " + std::to_string(kib) + " KiB passes the 24-bit scratchpad addresses");
  if (hw.memory.input_kib * 1024 % hw.memory.banks || hw.memory.weight_kib * 1024 % hw.memory.banks || hw.memory.acc_kib * 1024 % hw.memory.banks)
    throw MapError("hw.memory.banks: " + std::to_string(hw.memory.banks) + " banks do not divide every scratchpad into equal banks");
  for (int64_t kib : {hw.memory.input_kib, hw.memory.weight_kib, hw.memory.acc_kib})
    if (kib * 1024 / hw.memory.banks % hw.sram_word_bytes())
      throw MapError("hw.memory.word_bytes: a bank of " + std::to_string(kib * 1024 / hw.memory.banks) + " bytes does not hold whole " +
                     std::to_string(hw.sram_word_bytes()) + "-byte words");
  return Compiler(p, hw).run(inputs);
}

}  // namespace qtsim::compiler
