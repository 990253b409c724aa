#include "models/isa/footprint.hpp"

#include "models/isa/elements.hpp"

#include <string>

namespace qtsim::isa {

namespace {
void add(std::vector<Segment>& list, Space sp, int64_t lo, int64_t bytes) {
  if (bytes <= 0) return;
  if (!list.empty() && list.back().sp == sp && list.back().hi == lo) {
    list.back().hi += bytes;  // rows one after another: one segment
    return;
  }
  list.push_back({sp, lo, lo + bytes});
}
// A table of `entries` 8-byte (or `esz`-byte) entries `stride` bytes apart in wt.
void table(std::vector<Segment>& list, int64_t addr, int64_t entries, int64_t esz = 8, int64_t stride = 0) {
  if (entries > 0) add(list, Space::wt, addr, (entries - 1) * (stride ? stride : esz) + esz);
}
}  // namespace

Footprint footprint(const Instr& in) {
  Footprint fp;
  auto& r = fp.reads;
  auto& w = fp.writes;
  const int64_t rows = in[F::rows], cols = in[F::cols];
  auto operand = [&](std::vector<Segment>& list, F sp, F addr, F type, int64_t n, int64_t c) {
    add(list, in.space(sp), in[addr], n * row_bytes(in.dtype(type), c));
  };
  switch (in.op) {
    case Opcode::load:
    case Opcode::store: {
      const int64_t rb = row_bytes(in.dtype(F::dtype), cols);
      for (int64_t i = 0; i < rows; ++i) add(in.op == Opcode::load ? w : r, in.space(F::sp), in[F::addr] + i * in[F::stride], rb);
      fp.dram_bytes = rows * rb;
      if (rows > 0 && rb > 0) {
        const int64_t es = in[F::dram_estride];
        fp.dram_lo = in[F::dram];
        fp.dram_hi = in[F::dram] + (rows - 1) * in[F::dram_stride] + (es ? (cols - 1) * es + element_bytes(in.dtype(F::dtype)) : rb);
      }
      break;
    }
    case Opcode::gemm: {
      // strided operands: each row its own segment (the padding between rows is not read)
      auto strided = [&](F sp, F addr, F stride, F type, int64_t n) {
        const int64_t rb = row_bytes(in.dtype(type), in[F::k]), st = operand_stride(in, stride, type, in[F::k]);
        if (st < rb && n > 1)
          throw IsaError(std::string("gemm: field ") + (stride == F::a_stride ? "a_stride" : "b_stride") + ": rows of " + std::to_string(rb) + " bytes overlap at a stride of " +
                         std::to_string(st));
        if (st == rb) return operand(r, sp, addr, type, n, in[F::k]);
        for (int64_t i = 0; i < n; ++i) add(r, in.space(sp), in[addr] + i * st, rb);
      };
      strided(F::a_sp, F::a, F::a_stride, F::a_type, in[F::m]);
      strided(F::b_sp, F::b, F::b_stride, F::b_type, in[F::n]);
      const int64_t cb = in[F::m] * (in[F::n] + in[F::ones]) * 4;
      if (in[F::accumulate]) add(r, Space::acc, in[F::c], cb);
      add(w, Space::acc, in[F::c], cb);
      break;
    }
    case Opcode::fold: {
      operand(r, F::x_sp, F::x, F::x_type, rows, cols + 1);
      if (!in[F::first]) operand(r, F::y_sp, F::y, F::y_type, rows, cols);
      table(r, in[F::tab], cols, 8, in[F::tab_stride]);
      table(r, in[F::tab2], cols, 8, in[F::tab_stride]);
      table(r, in[F::tab3], cols);
      operand(w, F::y_sp, F::y, F::y_type, rows, cols);
      if (in[F::last]) operand(w, F::o_sp, F::o, F::o_type, rows, cols);
      break;
    }
    case Opcode::shift_add: {
      operand(r, F::x_sp, F::x, F::x_type, rows, in[F::k]);
      operand(r, F::y_sp, F::y, F::y_type, cols, in[F::k]);
      operand(w, F::o_sp, F::o, F::o_type, rows, cols);
      add(w, in.space(F::o_sp), in[F::o2], rows * row_bytes(in.dtype(F::o_type), cols));
      break;
    }
    default: {  // the lanes and the row units: X (and Y) in, O out, tables in wt
      operand(r, F::x_sp, F::x, F::x_type, rows, cols);
      if (in.op == Opcode::add_requant) operand(r, F::y_sp, F::y, F::y_type, rows, cols);
      switch (in.op) {
        case Opcode::requant:
        case Opcode::add_requant: table(r, in[F::tab], 2 * in[F::ntab], 4); break;
        case Opcode::binarize:
        case Opcode::ilayernorm: table(r, in[F::tab], cols); break;
        case Opcode::affine: table(r, in[F::tab], cols), table(r, in[F::tab2], cols); break;
        case Opcode::codes: table(r, in[F::tab], in[F::ntab]); break;
        default: break;
      }
      operand(w, F::o_sp, F::o, F::o_type, rows, cols);
      break;
    }
  }
  return fp;
}

bool overlaps(const std::vector<Segment>& a, const std::vector<Segment>& b) {
  for (const Segment& x : a)
    for (const Segment& y : b)
      if (x.sp == y.sp && x.lo < y.hi && y.lo < x.hi) return true;
  return false;
}

}  // namespace qtsim::isa
