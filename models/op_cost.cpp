#include "models/op_cost.hpp"

#include <algorithm>
#include <cmath>

#include "models/row_units.hpp"

namespace qtsim::model {

using golden::Op;
using golden::OpKind;

namespace {
int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Whether an operand of `bytes` stays in a scratchpad of `kib` for the whole op (twice its size when double
// buffered), or is fetched again for every tile that needs it.
bool stays_on_chip(double bytes, int64_t kib, const MemoryConfig& m) {
  return bytes * (m.double_buffer ? 2 : 1) <= static_cast<double>(kib * 1024);
}

int64_t tensor_bytes(const golden::Program& p, const std::string& name) {
  const golden::TensorInfo& ti = p.info(name);
  return (golden::numel(ti.shape) * ti.type.bits + 7) / 8;
}

// DRAM and SRAM traffic of one array GEMM: A [m, k] streamed from the input scratchpad, B [n, k] from the
// weight scratchpad; a / b bytes per element. B's DRAM bytes are also counted as weights when B is one.
void array_traffic(const HwConfig& hw, int64_t m, int64_t k, int64_t n, double a_bytes, double b_bytes, bool b_is_weight,
                   OpStats& st) {
  const int64_t R = hw.array.rows, C = hw.array.cols;
  const double a_total = static_cast<double>(m * k) * a_bytes, b_total = static_cast<double>(n * k) * b_bytes;
  const int64_t n_tiles = ceil_div(n, C), m_tiles = ceil_div(m, R), k_tiles = ceil_div(k, R);
  if (hw.array.dataflow == Dataflow::ws) {
    // A is streamed once per N tile: from DRAM once if it stays in the scratchpad, else each time.
    const bool a_fits = stays_on_chip(a_total, hw.memory.input_kib, hw.memory);
    const int64_t b_dram = static_cast<int64_t>(std::ceil(b_total));
    st.dram_read_bytes += static_cast<int64_t>(std::ceil(a_total * static_cast<double>(a_fits ? 1 : n_tiles))) + b_dram;
    if (b_is_weight) st.dram_weight_bytes += b_dram;
    st.sram_read_bytes += static_cast<int64_t>(std::ceil(a_total * static_cast<double>(n_tiles) + b_total));
    st.sram_write_bytes += m * n * k_tiles * 4;  // partial sums of every K tile
  } else if (hw.array.dataflow == Dataflow::is) {
    // Tiles of A stay in the PEs, each loaded once; B is streamed once per M tile (C wide): from DRAM once if
    // it stays in the weight scratchpad, else each time.
    const int64_t mc_tiles = ceil_div(m, C);
    const bool b_fits = stays_on_chip(b_total, hw.memory.weight_kib, hw.memory);
    const int64_t b_dram = static_cast<int64_t>(std::ceil(b_total * static_cast<double>(b_fits ? 1 : mc_tiles)));
    st.dram_read_bytes += static_cast<int64_t>(std::ceil(a_total)) + b_dram;
    if (b_is_weight) st.dram_weight_bytes += b_dram;
    st.sram_read_bytes += static_cast<int64_t>(std::ceil(a_total + b_total * static_cast<double>(mc_tiles)));
    st.sram_write_bytes += m * n * k_tiles * 4;  // partial sums of every K tile
  } else {
    const bool b_fits = stays_on_chip(b_total, hw.memory.weight_kib, hw.memory);
    const int64_t b_dram = static_cast<int64_t>(std::ceil(b_total * static_cast<double>(b_fits ? 1 : m_tiles)));
    st.dram_read_bytes += static_cast<int64_t>(std::ceil(a_total)) + b_dram;
    if (b_is_weight) st.dram_weight_bytes += b_dram;
    st.sram_read_bytes += static_cast<int64_t>(std::ceil(a_total * static_cast<double>(n_tiles) + b_total * static_cast<double>(m_tiles)));
    st.sram_write_bytes += m * n * 4;
  }
}
}  // namespace

bool is_array_op(OpKind k) {
  return k == OpKind::gemm || k == OpKind::bmm_nt || k == OpKind::gemm_group4 || k == OpKind::bgemm;
}

const char* op_unit(OpKind k) {
  switch (k) {
    case OpKind::gemm:
    case OpKind::gemm_group4:
    case OpKind::bgemm:
    case OpKind::bmm_nt: return "array";
    case OpKind::shiftmax: return "shiftmax";
    case OpKind::shiftgelu: return "shiftgelu";
    case OpKind::ilayernorm: return "ilayernorm";
    case OpKind::split_heads:
    case OpKind::merge_heads:
    case OpKind::concat_rows:
    case OpKind::take_rows: return "layout";
    default: return "ppu";
  }
}

GemmShape gemm_shape(const golden::Program& p, const Op& op) {
  const golden::Shape& a = p.info(op.in[0]).shape;
  GemmShape g;
  switch (op.kind) {
    case OpKind::bmm_nt:
      g.batches = a[0], g.m = a[1], g.k = a[2], g.n = p.info(op.in[1]).shape[1];
      return g;
    case OpKind::gemm:
      g.lanes = p.info(op.weight).type.bits <= 4 ? 2 : 1;  // int4 weights: two per PE
      break;
    case OpKind::bgemm: g.lanes = 64; break;                // one 64-bit XNOR word per PE
    case OpKind::gemm_group4: g.lanes = 2; break;
    default: return g;
  }
  g.m = golden::numel(a) / a.back(), g.k = a.back(), g.n = p.info(op.out[0]).shape.back();
  return g;
}

OpFacts op_facts(const golden::Program& p, size_t index) {
  const Op& op = p.ops[index];
  OpFacts f;
  f.kind = op.kind;
  // Accumulators an array op hands to the op right after it may stay in the accumulator SRAM.
  auto handed_on = [&](const std::string& t, size_t producer) {
    return producer + 1 < p.ops.size() && is_array_op(p.ops[producer].kind) && p.ops[producer].out[0] == t &&
           std::find(p.ops[producer + 1].in.begin(), p.ops[producer + 1].in.end(), t) != p.ops[producer + 1].in.end();
  };
  for (const auto& t : op.in) f.in.push_back({tensor_bytes(p, t), index > 0 && handed_on(t, index - 1)});
  for (const auto& t : op.out) f.out.push_back({tensor_bytes(p, t), handed_on(t, index)});
  const golden::TensorInfo& x = p.info(op.in[0]);
  f.len = x.shape.back();
  f.in_elems = golden::numel(x.shape);
  f.out_elems = golden::numel(p.info(op.out[0]).shape);
  if (is_array_op(op.kind)) {
    f.g = gemm_shape(p, op);
    f.a_bits = x.type.bits;
    f.b_bits = op.kind == OpKind::bmm_nt ? p.info(op.in[1]).type.bits : p.info(op.weight).type.bits;
    if (op.kind == OpKind::gemm_group4) f.group = p.group4_consts.at(op.weight).group;
  }
  // Constants an op loads besides its tensors: int32 biases count as weights; requant multipliers (int32 m and
  // an 8-bit shift each), group-wise zero points and multipliers (16 bits each per group) and per-channel
  // constants of the binary and log-sqrt2 ops (int32 each) as quantization metadata.
  f.bias_bytes = 4 * static_cast<int64_t>(op.bias.size());
  f.meta_bytes = 5 * static_cast<int64_t>(op.rq.mult.size() + op.rq_identity.size()) + 4 * static_cast<int64_t>(op.vec.size());
  if (op.kind == OpKind::gemm_group4) {
    const auto& gw = p.group4_consts.at(op.weight);
    f.meta_bytes += 4 * gw.n * gw.groups();
  }
  // Shift-add attn @ v: one PPU step per (probability, value column) pair.
  f.ppu_elems = op.kind == OpKind::logsqrt2_attn_v ? f.in_elems * p.info(op.in[1]).shape[1] : f.out_elems;
  return f;
}

std::vector<OpFacts> program_facts(const golden::Program& p) {
  std::vector<OpFacts> f;
  for (size_t i = 0; i < p.ops.size(); ++i) f.push_back(op_facts(p, i));
  return f;
}

namespace {
void add_constants(const OpFacts& f, OpStats& st) {
  st.dram_read_bytes += f.bias_bytes + f.meta_bytes;
  st.dram_weight_bytes += f.bias_bytes;
  st.dram_meta_bytes += f.meta_bytes;
}
}  // namespace

void account_traffic(const OpFacts& f, const HwConfig& hw, OpStats& st) {
  const int64_t acc_bytes = hw.memory.acc_kib * 1024;
  if (is_array_op(f.kind)) {
    const GemmShape& g = f.g;
    for (int64_t b = 0; b < g.batches; ++b)
      array_traffic(hw, g.m, g.k, g.n, f.a_bits / 8.0, f.b_bits / 8.0, f.kind != OpKind::bmm_nt, st);
    add_constants(f, st);
    if (!(f.out[0].handed_on && f.out[0].bytes <= acc_bytes)) st.dram_write_bytes += f.out[0].bytes;
    const int64_t R = hw.array.rows, C = hw.array.cols, steps = ceil_div(g.k, g.lanes);
    const Dataflow df = hw.array.dataflow;
    const int64_t tiles = df == Dataflow::ws   ? ceil_div(g.n, C) * ceil_div(steps, R)
                          : df == Dataflow::is ? ceil_div(g.m, C) * ceil_div(steps, R)
                                               : ceil_div(g.m, R) * ceil_div(g.n, C);
    const int64_t stream = df == Dataflow::ws ? g.m : df == Dataflow::is ? g.n : steps;
    st.mapping_efficiency = static_cast<double>(g.batches * g.m * g.k * g.n) /
                            static_cast<double>(R * C * g.lanes * tiles * stream * g.batches);
    return;
  }
  if (op_unit(f.kind) == std::string("layout")) return;  // re-addressing only
  add_constants(f, st);
  for (const auto& t : f.in) {
    if (t.handed_on && t.bytes <= acc_bytes) st.sram_read_bytes += t.bytes;
    else st.dram_read_bytes += t.bytes;
  }
  for (const auto& t : f.out) st.dram_write_bytes += t.bytes;
}

void account_traffic(const golden::Program& p, size_t index, const HwConfig& hw, OpStats& st) {
  account_traffic(op_facts(p, index), hw, st);
}

int64_t compute_cycles(const OpFacts& f, const HwConfig& hw) {
  const int64_t len = f.len, rows = f.in_elems / std::max<int64_t>(len, 1);
  const GemmShape& g = f.g;
  switch (f.kind) {
    case OpKind::gemm:
    case OpKind::bgemm:
    case OpKind::bmm_nt: return g.batches * array_cycles(hw.array, g.m, g.k, g.n, g.lanes);
    case OpKind::gemm_group4:
      return (g.k / f.group) * (array_cycles(hw.array, g.m, f.group, g.n + 1, 2) + ppu_cycles(g.m * g.n, hw.ppu_lanes));
    case OpKind::shiftmax: return shiftmax_cycles(rows, len, hw.nonlinear_lanes);
    case OpKind::shiftgelu: return shiftgelu_cycles(rows, len, hw.nonlinear_lanes);
    case OpKind::ilayernorm: return ilayernorm_cycles(rows, len, hw.nonlinear_lanes);
    case OpKind::split_heads:
    case OpKind::merge_heads:
    case OpKind::concat_rows:
    case OpKind::take_rows: return 0;
    default: return ppu_cycles(f.ppu_elems, hw.ppu_lanes);
  }
}

int64_t compute_cycles(const golden::Program& p, size_t index, const HwConfig& hw) {
  return compute_cycles(op_facts(p, index), hw);
}

namespace {
constexpr int64_t kRowsPerBlock = 16;  // the row units' DMA blocks

// Raw proportions of one op's blocks before scaling to its byte and cycle counts: bits read (of which `keep`
// stay on chip for later blocks), output elements written, tiles or rows computed; `count` such blocks in a
// row. The first block is always a run of its own (it takes the constants and the rounding remainders).
void add_raw(std::vector<Block>& out, int64_t read, int64_t keep, int64_t write, int64_t work, int64_t count = 1) {
  if (count <= 0) return;
  if (out.empty() && count > 1) {
    out.push_back({read, keep, work, write, 1});
    --count;
  }
  out.push_back({read, keep, work, write, count});
}

// Blocks 0 .. n-1 of which the middle ones (1 .. n-2) are alike: `make(i, count)` adds block i, count times.
template <class Make>
void first_middle_last(int64_t n, Make make) {
  make(0, 1);
  if (n > 2) make(1, n - 2);
  if (n > 1) make(n - 1, 1);
}

// One GEMM's blocks: the array walks passes over one operand (ws: B by C columns, is: A by C rows, os: A by R
// rows) while the other streams, re-read each pass unless it stays on chip (array_traffic's rule). The first
// pass moves tile by tile so that the array starts on its first tile's data; later passes move whole.
void array_blocks(const HwConfig& hw, const GemmShape& g, int64_t a_bits, int64_t b_bits, std::vector<Block>& out) {
  const int64_t R = hw.array.rows, C = hw.array.cols, m = g.m, k = g.k, n = g.n, kw = R * g.lanes;
  const MemoryConfig& mem = hw.memory;
  const Dataflow df = hw.array.dataflow;
  // the walked operand: its extent, pass width and bits; the streamed one: its rows, bits and scratchpad
  const int64_t extent = df == Dataflow::ws ? n : m, width = df == Dataflow::os ? R : C;
  const int64_t p_bits = df == Dataflow::ws ? b_bits : a_bits;
  const int64_t s_rows = df == Dataflow::ws ? m : n, s_bits = df == Dataflow::ws ? a_bits : b_bits;
  const bool stays = stays_on_chip(static_cast<double>(s_rows * k * s_bits) / 8, df == Dataflow::ws ? mem.input_kib : mem.weight_kib, mem);
  auto part = [](int64_t i, int64_t step, int64_t total) { return std::min(step, total - i * step); };
  const int64_t passes = ceil_div(extent, width), ktiles = ceil_div(k, kw), ntiles = ceil_div(n, C);
  const int64_t w0 = part(0, width, extent);
  if (df == Dataflow::os) {  // first pass by N tile: A's rows with the first, B's columns one tile at a time
    first_middle_last(ntiles, [&](int64_t t, int64_t count) {
      const int64_t s = part(t, C, n) * k * s_bits;
      add_raw(out, (t == 0 ? w0 * k * p_bits : 0) + s, stays ? s : 0, w0 * part(t, C, n), 1, count);
    });
  } else {  // first pass by K tile: a slice of the walked operand and of the streamed one
    first_middle_last(ktiles, [&](int64_t t, int64_t count) {
      const int64_t kc = part(t, kw, k), s = s_rows * kc * s_bits;
      add_raw(out, w0 * kc * p_bits + s, stays ? s : 0, t + 1 == ktiles ? (df == Dataflow::ws ? m * w0 : w0 * n) : 0, 1, count);
    });
  }
  if (passes < 2) return;
  auto pass = [&](int64_t p, int64_t count) {
    const int64_t w = part(p, width, extent);
    add_raw(out, w * k * p_bits + (stays ? 0 : s_rows * k * s_bits), 0, df == Dataflow::ws ? m * w : w * n, df == Dataflow::os ? ntiles : ktiles,
            count);
  };
  if (passes > 2) pass(1, passes - 2);
  pass(passes - 1, 1);
}

// Splits `total` over the blocks in proportion to the field `f` of each (its raw weight, replaced by the part):
// every block floor(total * weight / sum), the remainder to the first (all of it when every weight is zero),
// so that blocks alike stay alike. `before(block, part)` sees the block with its raw weights.
// x * y / z, in 64 bits when the product fits (sweeps cost many ops; 128-bit division is a library call)
int64_t mul_div(int64_t x, int64_t y, int64_t z) {
  int64_t p;
  if (!__builtin_mul_overflow(x, y, &p)) return p / z;
  return static_cast<int64_t>(static_cast<__int128>(x) * y / z);
}

template <class Before>
void spread(int64_t total, std::vector<Block>& blocks, int64_t Block::*f, Before before) {
  int64_t sum = 0;
  for (const Block& b : blocks) sum += b.*f * b.count;
  int64_t given = 0;
  for (Block& b : blocks) {
    const int64_t part = sum == 0 ? 0 : mul_div(total, b.*f, sum);
    before(b, part);
    b.*f = part;
    given += part * b.count;
  }
  blocks[0].*f += total - given;
}
}  // namespace

void transfer_plan(const OpFacts& f, const HwConfig& hw, const OpStats& st, std::vector<Block>& blocks) {
  blocks.clear();
  if (st.compute_cycles <= 0) return;  // layout ops: addressing only
  if (f.kind == OpKind::gemm_group4) {  // one block per group of K: its codes and activations, the result at the end
    first_middle_last(f.g.k / f.group, [&](int64_t i, int64_t count) { add_raw(blocks, 1, 0, i + 1 == f.g.k / f.group ? 1 : 0, 1, count); });
  } else if (is_array_op(f.kind)) {
    for (int64_t b = 0; b < f.g.batches; ++b) array_blocks(hw, f.g, f.a_bits, f.b_bits, blocks);
  } else {  // rows of the unit's input, kRowsPerBlock at a time
    const int64_t rows = f.in_elems / std::max<int64_t>(f.len, 1);
    first_middle_last(ceil_div(rows, kRowsPerBlock), [&](int64_t i, int64_t count) {
      const int64_t n = std::min(kRowsPerBlock, rows - i * kRowsPerBlock);
      add_raw(blocks, n, 0, n, n, count);
    });
  }
  // Constants (biases, multipliers) come with the first block; the other reads spread by the raw bits, the
  // kept part of each block's load in its raw proportion.
  const int64_t const_bytes = std::min<int64_t>(st.dram_read_bytes, f.bias_bytes + f.meta_bytes);
  spread(st.dram_read_bytes - const_bytes, blocks, &Block::load,
         [](Block& b, int64_t part) { b.keep = b.keep == 0 ? 0 : mul_div(part, b.keep, b.load); });
  blocks[0].load += const_bytes;
  spread(st.dram_write_bytes, blocks, &Block::store, [](Block&, int64_t) {});
  // The unit's cycles in proportion to the tiles or rows of each block; should a block get none (an op
  // shorter than its blocks), the op moves as one block.
  spread(st.compute_cycles, blocks, &Block::compute, [](Block&, int64_t) {});
  for (const Block& b : blocks)
    if (b.compute < 1) {
      Block one;
      for (const Block& x : blocks) one.load += x.load * x.count, one.keep += x.keep * x.count, one.store += x.store * x.count;
      one.compute = st.compute_cycles;
      blocks.assign(1, one);
      return;
    }
}

TransferTimes transfer_times(const std::vector<Block>& blocks, const MemoryConfig& mem) {
  int64_t n = 0;
  for (const Block& b : blocks) n += b.count;
  if (n == 0) return {};
  TransferTimes out;
  int64_t channel_free = 0;
  // The channel serves requests in the order (queue cycle, block, load before store); each one starts when
  // both it is queued and the channel is free. Blocks repeat their sizes: one division per size change.
  struct Size {
    int64_t bytes = -1, cycles = 0;
  } load_size, store_size;
  auto transfer = [&](int64_t queued, int64_t bytes, Size& size) {
    if (bytes != size.bytes) size = {bytes, mem.transfer_cycles(bytes)};
    const int64_t start = std::max(queued, channel_free);
    channel_free = start + size.cycles;
    out.channel_busy += size.cycles;
    return channel_free + mem.dram_latency_cycles;
  };
  // A position in the blocks: run and blocks left in it.
  struct Cursor {
    const Block *run, *last;
    int64_t left;
    void next() {
      if (--left == 0 && run != last) ++run, left = run->count;
    }
  };
  const Block* last_run = &blocks.back();
  thread_local std::vector<int64_t> end;  // compute end of every block; sweeps cost many ops: no allocation per op
  end.resize(static_cast<size_t>(n));
  int64_t next_store = 0, last_stored = 0, max_stored = 0;  // blocks before next_store have their stores placed
  Cursor store_at{blocks.data(), last_run, blocks[0].count};
  auto place_stores = [&](int64_t upto, int64_t before) {  // the stores of blocks < upto queued at or before `before`
    for (; next_store < upto && end[static_cast<size_t>(next_store)] <= before; ++next_store, store_at.next()) {
      const int64_t e = end[static_cast<size_t>(next_store)], bytes = store_at.run->store;
      last_stored = bytes > 0 ? transfer(e, bytes, store_size) : e;
      max_stored = std::max(max_stored, last_stored);
    }
  };
  int64_t queued = 0;          // the previous load's queue cycle
  int64_t held = 0, kept = 0;  // bytes on chip from loaded blocks not yet freed, and kept to the end
  int64_t freed = 0;           // blocks before it have freed their bytes
  Cursor free_at{blocks.data(), last_run, blocks[0].count};
  auto free_next = [&] { held -= free_at.run->load - free_at.run->keep, ++freed, free_at.next(); };
  // A step's state relative to its compute end; when two blocks of a run leave the same state (and the ends
  // the freeing and the stores still look back on, all inside the run, step by the same delta), every later
  // block of the run repeats the step shifted by that delta: the rest of the run is jumped over.
  struct State {
    int64_t queued, channel_free, last_stored, max_stored, freed, stored, held, delta, busy;
    bool operator==(const State& o) const {
      return queued == o.queued && channel_free == o.channel_free && last_stored == o.last_stored && max_stored == o.max_stored &&
             freed == o.freed && stored == o.stored && held == o.held && delta == o.delta && busy == o.busy;
    }
  };
  int64_t j = 0, last_end = 0;
  for (const Block& b : blocks) {
    State prev{};
    int64_t prev_end = last_end, prev_busy = out.channel_busy, next_try = 2;
    for (int64_t c = 0; c < b.count; ++c, ++j) {
      if (mem.double_buffer && c == 1 && b.load > 0 && held + (b.count - 1) * b.load <= mem.window_bytes()) {
        // The rest of the run fits the window as it is: its loads queue now, behind the first one, and no
        // store is placed before them (every earlier one due by now is placed; the run's own end later).
        // What the general step below would do, without its checks: sweeps cost many such runs.
        const int64_t d = mem.transfer_cycles(b.load);
        for (; c < b.count; ++c, ++j) {
          channel_free += d;
          out.channel_busy += d;
          last_end = end[static_cast<size_t>(j)] = std::max(last_end, channel_free + mem.dram_latency_cycles) + b.compute;
        }
        held += (b.count - 1) * b.load, kept += (b.count - 1) * b.keep;
        break;
      }
      if (mem.double_buffer) {
        // The load queues at the first cycle (not before the previous one's) at which it fits the window, or
        // at which everything freeable has been freed; blocks free their bytes at their compute end, in order.
        while (freed < j && end[static_cast<size_t>(freed)] <= queued) free_next();
        while (!(held == kept || held + b.load <= mem.window_bytes())) {
          queued = std::max(queued, end[static_cast<size_t>(freed)]);
          free_next();
        }
        place_stores(j, queued);
      } else if (j > 0) {  // after the previous block is stored
        place_stores(j, last_end);
        queued = last_stored;
      }
      held += b.load, kept += b.keep;
      const int64_t arrive = b.load > 0 ? transfer(queued, b.load, load_size) : queued;
      last_end = end[static_cast<size_t>(j)] = std::max(last_end, arrive) + b.compute;
      const int64_t rest = b.count - 1 - c;
      if (c + 1 >= next_try && rest > 0) {  // the state is looked at only where a jump may be tried
        const State now{queued - last_end, channel_free - last_end, last_stored - last_end, max_stored - last_end, j - freed,
                        j - next_store, held, last_end - prev_end, out.channel_busy - prev_busy};
        const int64_t back = std::min(freed, next_store);
        if (c >= next_try && now == prev && back > j - c) {
          bool periodic = true;
          for (int64_t k = back; k <= j && periodic; ++k) periodic = end[static_cast<size_t>(k)] - end[static_cast<size_t>(k - 1)] == now.delta;
          if (periodic) {
            for (int64_t k = 1; k <= rest; ++k) end[static_cast<size_t>(j + k)] = last_end + k * now.delta;
            const int64_t shift = rest * now.delta;
            queued += shift, channel_free += shift, last_stored += shift, max_stored += shift, last_end += shift;
            out.channel_busy += rest * now.busy;
            freed += rest, free_at.left -= rest, next_store += rest, store_at.left -= rest;
            j += rest, c += rest;
            continue;
          }
        }
        if (c >= next_try) next_try = c + 4;  // not yet periodic: look again a few blocks later
        prev = now;
      }
      prev_end = last_end, prev_busy = out.channel_busy;
    }
  }
  place_stores(n, last_end);
  out.cycles = std::max(last_end, max_stored);
  return out;
}

}  // namespace qtsim::model
