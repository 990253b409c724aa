#include "models/analytic/op_cost.hpp"

#include <algorithm>
#include <cmath>

#include "models/analytic/unit_cycles.hpp"

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
    case OpKind::logsqrt2_attn_v: return shift_add_cycles(f.out_elems, f.len, hw.ppu_lanes);  // f.len: the keys
    default: return ppu_cycles(f.out_elems, hw.ppu_lanes);
  }
}

int64_t compute_cycles(const golden::Program& p, size_t index, const HwConfig& hw) {
  return compute_cycles(op_facts(p, index), hw);
}

namespace {
// The row units' DMA blocks: the first and the last rows alone, so that the unit starts early and ends soon
// after the last load, bigger blocks between (no bigger than half the window, so that the next one loads
// behind the one computing).
constexpr int64_t kEndRows = 16, kRowsPerBlock = 64;

// Raw proportions of one op's blocks before scaling to its byte and cycle counts: bits read (of which `keep`
// stay on chip for later blocks), output elements written, tiles or rows computed; `count` such blocks in a
// row, added to the last run when alike. The first block is always a run of its own (it takes the constants
// and the rounding remainders).
void add_raw(std::vector<Block>& out, int64_t read, int64_t keep, int64_t write, int64_t work, int64_t count = 1) {
  if (count <= 0) return;
  if (out.empty() && count > 1) {
    out.push_back({read, keep, work, write, 1});
    --count;
  }
  if (out.size() > 1) {
    Block& last = out.back();
    if (last.load == read && last.keep == keep && last.compute == work && last.store == write) {
      last.count += count;
      return;
    }
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
// rows) while the other streams, re-read each pass unless it stays on chip (array_traffic's rule). A pass
// moves in blocks of its tiles (K tiles under ws and is, N tiles under os): the first pass tile by tile, so
// that the array starts on its first tile's data; later passes in as few blocks alike in size as fit half the
// DMA window each, so that the next block loads behind the one computing.
void array_blocks(const HwConfig& hw, const GemmShape& g, int64_t a_bits, int64_t b_bits, std::vector<Block>& out,
                  std::vector<Repeat>& repeats) {
  const int64_t R = hw.array.rows, C = hw.array.cols, m = g.m, k = g.k, n = g.n, kw = R * g.lanes;
  const MemoryConfig& mem = hw.memory;
  const Dataflow df = hw.array.dataflow;
  // the walked operand: its extent, pass width and bits; the streamed one: its rows, bits and scratchpad
  const int64_t extent = df == Dataflow::ws ? n : m, width = df == Dataflow::os ? R : C;
  const int64_t p_bits = df == Dataflow::ws ? b_bits : a_bits;
  const int64_t s_rows = df == Dataflow::ws ? m : n, s_bits = df == Dataflow::ws ? a_bits : b_bits;
  const bool stays = stays_on_chip(static_cast<double>(s_rows * k * s_bits) / 8, df == Dataflow::ws ? mem.input_kib : mem.weight_kib, mem);
  auto part = [](int64_t i, int64_t step, int64_t total) { return std::min(step, total - i * step); };
  const int64_t passes = ceil_div(extent, width), tiles = df == Dataflow::os ? ceil_div(n, C) : ceil_div(k, kw);
  // Pass p in blocks of `per` tiles, `count` times over (the passes alike). The streamed operand's part comes
  // with each block on the first pass, and on every pass when it does not stay (kept to the op's end when it
  // does); os loads A's rows of the pass with its first block.
  auto pass = [&](int64_t p, int64_t count, int64_t per) {
    const int64_t w = part(p, width, extent);
    const bool stream = p == 0 || !stays;
    const size_t before = out.size();
    const int64_t before_count = out.empty() ? 0 : out.back().count;
    auto one = [&] {
      first_middle_last(ceil_div(tiles, per), [&](int64_t t, int64_t c) {
        const bool last = (t + 1) * per >= tiles;
        if (df == Dataflow::os) {
          const int64_t nc = part(t, per * C, n), s = stream ? nc * k * s_bits : 0;
          add_raw(out, (t == 0 ? w * k * p_bits : 0) + s, stays ? s : 0, w * nc, ceil_div(nc, C), c);
        } else {
          const int64_t kc = part(t, per * kw, k), s = stream ? s_rows * kc * s_bits : 0;
          add_raw(out, w * kc * p_bits + s, stays ? s : 0, last ? (df == Dataflow::ws ? m * w : w * n) : 0, ceil_div(kc, kw), c);
        }
      });
    };
    one();
    if (count == 1) return;
    const size_t runs = out.size() - before;
    if (before > 0 && out[before - 1].count != before_count) {  // the pass began inside the run before it
      for (int64_t i = 1; i < count; ++i) one();
    } else if (runs == 1) {  // a pass of alike blocks: one longer run
      out.back().count *= count;
    } else {  // copies of the pass's runs, jumped over by the recurrence when they repeat in time
      const std::vector<Block> copy(out.begin() + static_cast<std::ptrdiff_t>(before), out.end());
      for (int64_t i = 1; i < count; ++i) out.insert(out.end(), copy.begin(), copy.end());
      repeats.push_back({before, runs, count});
    }
  };
  pass(0, 1, 1);
  if (passes < 2) return;
  // tiles of a later pass per block: as many as fit half the window left beside the streamed operand when it
  // stays (and under os beside A's rows of the pass), at least one
  const int64_t half = (mem.window_bytes() * 8 - (stays ? s_rows * k * s_bits : 0)) / 2;
  const int64_t room = df == Dataflow::os ? half - R * k * p_bits : half;
  const int64_t tile_bits = df == Dataflow::os ? C * k * (stays ? 0 : s_bits) : kw * (width * p_bits + (stays ? 0 : s_rows * s_bits));
  const int64_t most = tile_bits == 0 ? tiles : std::clamp<int64_t>(room / tile_bits, 1, tiles);
  const int64_t per = ceil_div(tiles, ceil_div(tiles, most));  // blocks of a pass alike in size: uneven ones leave the channel idle
  if (passes > 2) pass(1, passes - 2, per);
  pass(passes - 1, 1, per);
}

// x * y / z, in 64 bits when the product fits (sweeps cost many ops; 128-bit division is a library call)
int64_t mul_div(int64_t x, int64_t y, int64_t z) {
  int64_t p;
  if (!__builtin_mul_overflow(x, y, &p)) return p / z;
  return static_cast<int64_t>(static_cast<__int128>(x) * y / z);
}

// Scales the blocks' raw weights to the op's totals: each block's part of `reads`, `writes` and `compute` is
// total * weight / sum (rounded down, the remainders to the first block, so that blocks alike stay alike);
// the kept part of a block's load in its raw proportion.
void scale(std::vector<Block>& blocks, int64_t reads, int64_t writes, int64_t compute) {
  int64_t load_sum = 0, store_sum = 0, compute_sum = 0;
  for (const Block& b : blocks) load_sum += b.load * b.count, store_sum += b.store * b.count, compute_sum += b.compute * b.count;
  auto part = [](int64_t total, int64_t weight, int64_t sum) { return sum == 0 ? 0 : mul_div(total, weight, sum); };
  int64_t loads = 0, stores = 0, computes = 0;
  for (Block& b : blocks) {
    const int64_t load = part(reads, b.load, load_sum);
    b.keep = b.keep == 0 ? 0 : mul_div(load, b.keep, b.load);
    b.load = load, b.store = part(writes, b.store, store_sum), b.compute = part(compute, b.compute, compute_sum);
    loads += b.load * b.count, stores += b.store * b.count, computes += b.compute * b.count;
  }
  blocks[0].load += reads - loads, blocks[0].store += writes - stores, blocks[0].compute += compute - computes;
}
}  // namespace

void transfer_plan(const OpFacts& f, const HwConfig& hw, const OpStats& st, TransferPlan& plan) {
  std::vector<Block>& blocks = plan.blocks;
  blocks.clear(), plan.repeats.clear();
  if (st.compute_cycles <= 0) return;  // layout ops: addressing only
  if (f.kind == OpKind::gemm_group4) {  // one block per group of K: its codes and activations, the result at the end
    first_middle_last(f.g.k / f.group, [&](int64_t i, int64_t count) { add_raw(blocks, 1, 0, i + 1 == f.g.k / f.group ? 1 : 0, 1, count); });
  } else if (is_array_op(f.kind)) {
    for (int64_t b = 0; b < f.g.batches; ++b) array_blocks(hw, f.g, f.a_bits, f.b_bits, blocks, plan.repeats);
  } else {  // rows of the unit's input: kEndRows, then kRowsPerBlock at a time and the rest, then kEndRows
    const int64_t rows = f.in_elems / std::max<int64_t>(f.len, 1);
    const int64_t row_bytes = (st.dram_read_bytes - f.bias_bytes - f.meta_bytes) / std::max<int64_t>(rows, 1);
    const int64_t most = std::clamp<int64_t>(hw.memory.window_bytes() / 2 / std::max<int64_t>(row_bytes, 1), 1, kRowsPerBlock);
    const int64_t first = std::min({rows, kEndRows, most}), last = std::min({rows - first, kEndRows, most});
    const int64_t middle = rows - first - last, per = middle > 0 ? ceil_div(middle, ceil_div(middle, most)) : 1;  // alike in size
    add_raw(blocks, first, 0, first, first);
    add_raw(blocks, per, 0, per, per, middle / per);
    add_raw(blocks, middle % per, 0, middle % per, middle % per, middle % per > 0 ? 1 : 0);
    add_raw(blocks, last, 0, last, last, last > 0 ? 1 : 0);
  }
  // Constants (biases, multipliers) come with the first block; the other reads spread by the raw bits. The
  // unit's cycles go in proportion to the tiles or rows of each block; should a block get none (an op
  // shorter than its blocks), the op moves as one block.
  const int64_t const_bytes = std::min<int64_t>(st.dram_read_bytes, f.bias_bytes + f.meta_bytes);
  scale(blocks, st.dram_read_bytes - const_bytes, st.dram_write_bytes, st.compute_cycles);
  blocks[0].load += const_bytes;
  for (const Block& b : blocks)
    if (b.compute < 1) {
      Block one;
      for (const Block& x : blocks) one.load += x.load * x.count, one.keep += x.keep * x.count, one.store += x.store * x.count;
      one.compute = st.compute_cycles;
      blocks.assign(1, one);
      plan.repeats.clear();
      return;
    }
}

TransferTimes transfer_times(const TransferPlan& plan, const MemoryConfig& mem) {
  const std::vector<Block>& blocks = plan.blocks;
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
  auto end_at = [&](int64_t k) -> int64_t& { return end[static_cast<size_t>(k)]; };
  int64_t next_store = 0, last_stored = 0, max_stored = 0;  // blocks before next_store have their stores placed
  Cursor store_at{blocks.data(), last_run, blocks[0].count};
  auto place_stores = [&](int64_t upto, int64_t before) {  // the stores of blocks < upto queued at or before `before`
    for (; next_store < upto && end_at(next_store) <= before; ++next_store, store_at.next()) {
      const int64_t e = end_at(next_store), bytes = store_at.run->store;
      last_stored = bytes > 0 ? transfer(e, bytes, store_size) : e;
      max_stored = std::max(max_stored, last_stored);
    }
  };
  int64_t queued = 0;          // the previous load's queue cycle
  int64_t held = 0, kept = 0;  // bytes on chip from loaded blocks not yet freed, and kept to the end
  int64_t freed = 0;           // blocks before it have freed their bytes
  Cursor free_at{blocks.data(), last_run, blocks[0].count};
  auto free_next = [&] { held -= free_at.run->load - free_at.run->keep, ++freed, free_at.next(); };
  const int64_t window = mem.window_bytes();
  int64_t j = 0, last_end = 0;  // the next block; the last compute end

  // Jumping ahead. The state after a step, relative to the last compute end: when it is the same after two
  // consecutive periods (one block of a run, or one copy of a Repeat), and every compute end the freeing and
  // the stores still look back on lies inside the periodic stretch and steps by the same delta, the next
  // periods repeat the last one shifted by that delta, and are jumped over.
  struct State {
    int64_t queued, channel_free, last_stored, max_stored, freed, stored, held, delta, busy;
    bool operator==(const State& o) const {
      return queued == o.queued && channel_free == o.channel_free && last_stored == o.last_stored && max_stored == o.max_stored &&
             freed == o.freed && stored == o.stored && held == o.held && delta == o.delta && busy == o.busy;
    }
  };
  auto state = [&](int64_t prev_end, int64_t prev_busy) {
    return State{queued - last_end, channel_free - last_end, last_stored - last_end, max_stored - last_end, j - freed,
                 j - next_store, held, last_end - prev_end, out.channel_busy - prev_busy};
  };
  // Whether the compute ends the state looks back on, from `back` to the last, step by `delta` every `period`
  // blocks, inside the stretch that starts at block `from`.
  auto periodic = [&](int64_t period, int64_t delta, int64_t from) {
    const int64_t back = std::min(freed, next_store);
    if (back - period < from) return false;
    for (int64_t k = back; k < j; ++k)
      if (end_at(k) - end_at(k - period) != delta) return false;
    return true;
  };
  // Shifts the state by `times` periods of `blocks` blocks and `runs` runs.
  auto jump = [&](const State& s, int64_t times, int64_t period_blocks, size_t period_runs) {
    for (int64_t k = j; k < j + times * period_blocks; ++k) end_at(k) = end_at(k - period_blocks) + s.delta;
    const int64_t shift = times * s.delta;
    queued += shift, channel_free += shift, last_stored += shift, max_stored += shift, last_end += shift;
    out.channel_busy += times * s.busy;
    freed += times * period_blocks, next_store += times * period_blocks;
    if (period_runs == 0) {  // inside one run
      free_at.left -= times * period_blocks, store_at.left -= times * period_blocks;
    } else {  // whole copies: the same place in a later copy
      free_at.run += times * static_cast<int64_t>(period_runs), store_at.run += times * static_cast<int64_t>(period_runs);
    }
    j += times * period_blocks;
  };

  size_t next_repeat = 0;                 // the next or current Repeat
  State copy_prev{};                      // after the previous copy of the current Repeat
  int64_t copy_end = 0, copy_busy = 0, copy_start_block = 0, copy_blocks = 0;
  for (size_t ri = 0; ri < blocks.size(); ++ri) {
    const auto repeat_end = [&](const Repeat& r) { return r.first + r.runs * static_cast<size_t>(r.times); };
    while (next_repeat < plan.repeats.size() && repeat_end(plan.repeats[next_repeat]) <= ri) ++next_repeat;
    if (next_repeat < plan.repeats.size() && plan.repeats[next_repeat].first == ri)
      copy_start_block = j, copy_end = last_end, copy_busy = out.channel_busy;
    const Block& b = blocks[ri];
    State prev{};
    int64_t prev_end = last_end, prev_busy = out.channel_busy, next_try = 2;
    for (int64_t c = 0; c < b.count; ++c) {  // j: block c of the run, then the next once its end is set
      if (mem.double_buffer && c == 1 && held + (b.count - 1) * b.load <= window) {
        // The rest of the run fits the window as it is: its loads queue now, behind the first one, and no
        // store is placed before them (every earlier one due by now is placed; the run's own end later).
        // What the general step below would do, without its checks: sweeps cost many such runs.
        const int64_t d = mem.transfer_cycles(b.load);
        for (; c < b.count; ++c, ++j) {
          int64_t arrive = queued;
          if (d > 0) {
            channel_free += d;
            out.channel_busy += d;
            arrive = channel_free + mem.dram_latency_cycles;
          }
          last_end = end_at(j) = std::max(last_end, arrive) + b.compute;
        }
        held += (b.count - 1) * b.load, kept += (b.count - 1) * b.keep;
        break;
      }
      if (mem.double_buffer) {
        // The load queues at the first cycle (not before the previous one's) at which it fits the window, or
        // at which everything freeable has been freed; blocks free their bytes at their compute end, in order.
        while (freed < j && end_at(freed) <= queued) free_next();
        while (!(held == kept || held + b.load <= window)) {
          queued = std::max(queued, end_at(freed));
          free_next();
        }
        place_stores(j, queued);
      } else if (j > 0) {  // after the previous block is stored
        place_stores(j, last_end);
        queued = last_stored;
      }
      held += b.load, kept += b.keep;
      const int64_t arrive = b.load > 0 ? transfer(queued, b.load, load_size) : queued;
      last_end = end_at(j++) = std::max(last_end, arrive) + b.compute;
      const int64_t rest = b.count - 1 - c;
      if (c + 1 >= next_try && rest > 0) {  // the state is looked at only where a jump may be tried
        const State now = state(prev_end, prev_busy);
        if (c >= next_try && now == prev && periodic(1, now.delta, j - c - 1)) {
          jump(now, rest, 1, 0);
          c += rest;
          continue;
        }
        if (c >= next_try) next_try = c + 4;  // not yet periodic: look again a few blocks later
        prev = now;
      }
      prev_end = last_end, prev_busy = out.channel_busy;
    }
    // The end of a copy of a Repeat: the same, a copy at a time.
    if (next_repeat == plan.repeats.size()) continue;
    const Repeat& r = plan.repeats[next_repeat];
    if (ri < r.first || (ri + 1 - r.first) % r.runs != 0) continue;
    const int64_t copy = static_cast<int64_t>((ri + 1 - r.first) / r.runs) - 1;  // the copy just ended
    if (copy == 0) {
      copy_blocks = j - copy_start_block;
      copy_prev = State{};
    } else {
      const State now = state(copy_end, copy_busy);
      const int64_t left = r.times - 1 - copy;
      if (copy >= 2 && left > 0 && now == copy_prev && periodic(copy_blocks, now.delta, copy_start_block)) {
        jump(now, left, copy_blocks, r.runs);
        ri += static_cast<size_t>(left) * r.runs;
      }
      copy_prev = now;
    }
    copy_end = last_end, copy_busy = out.channel_busy;
  }
  place_stores(n, last_end);
  out.cycles = std::max(last_end, max_stored);
  return out;
}

}  // namespace qtsim::model
