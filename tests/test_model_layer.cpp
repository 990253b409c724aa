// Whole layers on the accelerator model: every tap bit-exact against the golden; array ops take exactly
// their closed-form cycles. One accelerator configuration per case (one SystemC elaboration per process).
#include <catch2/catch.hpp>

#include <algorithm>

#include "golden/exec.hpp"
#include "golden/lower.hpp"
#include "golden/lower_binary.hpp"
#include "models/analytic/unit_cycles.hpp"
#include "models/units/accelerator.hpp"
#include "models/analytic/analytic.hpp"
#include "models/analytic/op_cost.hpp"

using namespace qtsim;

namespace {
model::HwConfig hw(int64_t rows, int64_t cols, model::Dataflow df) {
  model::HwConfig h;
  h.array = {rows, cols, df, true};
  return h;
}

void check_layer(const golden::Lowered& l, const model::HwConfig& h) {
  const golden::Taps gold = golden::run_program(l.program, l.inputs);
  const model::ModelRun run = model::run_on_model(l.program, l.inputs, h);
  REQUIRE(run.taps.order == gold.order);
  for (const auto& name : gold.order) {
    INFO("tap " << name);
    REQUIRE(run.taps.at(name).shape == gold.at(name).shape);
    REQUIRE(run.taps.at(name).data == gold.at(name).data);
  }
  int64_t total = 0;
  for (size_t i = 0; i < run.ops.size(); ++i) {
    const model::OpStats& st = run.ops[i];
    total += st.cycles;
    if (l.program.ops[i].kind == golden::OpKind::gemm) {
      const int64_t lanes = l.program.info(l.program.ops[i].weight).type.bits <= 4 ? 2 : 1;
      CHECK(st.compute_cycles == model::array_schedule(h.array, st.m, st.k, st.n, lanes).cycles);
    }
    if (l.program.ops[i].kind == golden::OpKind::bgemm)
      CHECK(st.compute_cycles == model::array_schedule(h.array, st.m, st.k, st.n, 64).cycles);
    if (l.program.ops[i].kind == golden::OpKind::bmm_nt) {  // one job per head
      const int64_t heads = l.program.info(l.program.ops[i].in[0]).shape[0];
      CHECK(st.compute_cycles == heads * model::array_schedule(h.array, st.m, st.k, st.n).cycles);
    }
    // No array op makes more products than its PEs have slots (R C per cycle, twice that with int4 weights,
    // 64 times with +-1 words): a utilization above 1 would be a miscount (W4 layers once showed 143-185 %).
    if (st.macs > 0) {
      const golden::Op& op = l.program.ops[i];
      const int64_t slots = op.kind == golden::OpKind::bgemm ? 64
                            : op.kind == golden::OpKind::gemm_group4 || (op.kind == golden::OpKind::gemm && l.program.info(op.weight).type.bits <= 4) ? 2
                                                                                                                                                   : 1;
      CHECK(st.macs <= h.array.rows * h.array.cols * slots * st.compute_cycles);
      CHECK(st.utilization > 0);
      CHECK(st.utilization <= 1.0);
      CHECK(st.utilization == Approx(static_cast<double>(st.macs) / static_cast<double>(h.array.rows * h.array.cols * slots * st.cycles)));
    }
    // No op beats its unit or the DRAM channel: cycles >= compute and >= the bytes at full bandwidth.
    CHECK(st.cycles >= st.compute_cycles);
    CHECK(st.cycles >= h.memory.transfer_cycles(st.dram_read_bytes + st.dram_write_bytes));
    CHECK(st.dram_busy_cycles >= h.memory.transfer_cycles(st.dram_read_bytes + st.dram_write_bytes));
    // every unit's simulated busy cycles equal its closed form (the analytic model's mapped time)
    CHECK(st.compute_cycles == model::compute_cycles(l.program, i, h));
  }
  CHECK(run.total_cycles == total);
  // The analytic model's mapped time is the cycle model's time, op by op.
  const model::Roofline r = model::roofline(l.program, h);
  for (size_t i = 0; i < run.ops.size(); ++i) CHECK(r.rows[i].mapped_cycles == run.ops[i].cycles);
  CHECK(r.mapped_cycles == run.total_cycles);
}
}  // namespace

TEST_CASE("DeiT-Tiny INT8 layer on a 16x16 ws array is bit-exact", "[model][layer]") {
  const golden::EncoderCase c = golden::make_encoder_case(golden::encoder_dims("deit_tiny", 197), {}, 1);
  check_layer(c.lowered, hw(16, 16, model::Dataflow::ws));
}

TEST_CASE("DeiT-Tiny INT8 layer on a 16x16 os array is bit-exact", "[model][layer]") {
  const golden::EncoderCase c = golden::make_encoder_case(golden::encoder_dims("deit_tiny", 197), {}, 1);
  check_layer(c.lowered, hw(16, 16, model::Dataflow::os));
}

TEST_CASE("DeiT-Tiny INT8 layer on a 16x16 is array is bit-exact", "[model][layer]") {
  const golden::EncoderCase c = golden::make_encoder_case(golden::encoder_dims("deit_tiny", 197), {}, 4);
  check_layer(c.lowered, hw(16, 16, model::Dataflow::is));
}

TEST_CASE("requant on the Verilated RTL lanes inside the DeiT-Tiny layer: same taps, same cycles", "[model][layer][rtl]") {
  const golden::EncoderCase c = golden::make_encoder_case(golden::encoder_dims("deit_tiny", 197), {}, 1);
  model::HwConfig h = hw(16, 16, model::Dataflow::ws);
  h.rtl.ppu = true;
  check_layer(c.lowered, h);  // every tap against golden; every op's cycles against the closed forms the model meets
}

TEST_CASE("every unit as Verilated RTL inside the DeiT-Tiny INT8 layer: same taps, same cycles", "[model][layer][rtl]") {
  const golden::EncoderCase c = golden::make_encoder_case(golden::encoder_dims("deit_tiny", 197), {}, 3);
  model::HwConfig h = hw(16, 16, model::Dataflow::ws);
  h.rtl = {true, true, true, true, true, true};
  check_layer(c.lowered, h);  // every tap against golden; every op's cycles against the closed forms the SystemC model meets
}

TEST_CASE("W4A8 layer with every unit as RTL on the w4a8_32x32_ws preset (two int4 weights per PE, 32-lane units): same taps, same cycles", "[model][layer][int4][rtl]") {
  golden::LowerOptions o;
  o.w_bits = 4;
  const golden::EncoderCase c = golden::make_encoder_case(golden::encoder_dims("deit_tiny", 197), o, 7);
  model::HwConfig h = hw(32, 32, model::Dataflow::ws);
  h.ppu_lanes = h.nonlinear_lanes = 32;  // the w4a8_32x32_ws preset
  h.rtl = {true, true, true, true, true, true};
  check_layer(c.lowered, h);
}

TEST_CASE("W4A8 layer with every unit as RTL on a 32x32 output-stationary array: same taps, same cycles", "[model][layer][int4][rtl]") {
  golden::LowerOptions o;
  o.w_bits = 4;
  const golden::EncoderCase c = golden::make_encoder_case(golden::encoder_dims("deit_tiny", 197), o, 13);
  model::HwConfig h = hw(32, 32, model::Dataflow::os);
  h.rtl = {true, true, true, true, true, true};
  check_layer(c.lowered, h);
}

TEST_CASE("DeiT-Tiny INT8 layer with every unit as RTL on an 8x8 input-stationary array: same taps, same cycles", "[model][layer][rtl]") {
  const golden::EncoderCase c = golden::make_encoder_case(golden::encoder_dims("deit_tiny", 197), {}, 8);
  model::HwConfig h = hw(8, 8, model::Dataflow::is);
  h.rtl = {true, true, true, true, true, true};
  check_layer(c.lowered, h);
}

TEST_CASE("DeiT-Tiny INT8 layer with every unit as RTL on a 16x16 output-stationary array: same taps, same cycles", "[model][layer][rtl]") {
  const golden::EncoderCase c = golden::make_encoder_case(golden::encoder_dims("deit_tiny", 197), {}, 9);
  model::HwConfig h = hw(16, 16, model::Dataflow::os);
  h.rtl = {true, true, true, true, true, true};
  check_layer(c.lowered, h);
}

TEST_CASE("W4A8 layer on a 32x32 ws array is bit-exact", "[model][layer][int4]") {
  golden::LowerOptions o;
  o.w_bits = 4;
  const golden::EncoderCase c = golden::make_encoder_case(golden::encoder_dims("deit_tiny", 197), o, 2);
  check_layer(c.lowered, hw(32, 32, model::Dataflow::ws));
}

TEST_CASE("group-wise W4A8 layer (g = 32) on a 16x16 ws array is bit-exact", "[model][layer][int4]") {
  golden::LowerOptions o;
  o.w_bits = 4;
  o.group = 32;
  const golden::EncoderCase c = golden::make_encoder_case(golden::encoder_dims("deit_tiny", 197), o, 5);
  check_layer(c.lowered, hw(16, 16, model::Dataflow::ws));
}

TEST_CASE("group-wise W4A8 layer (g = 32) with every unit as RTL: the folds on the wide accumulate lanes, same taps, same cycles",
          "[model][layer][int4][rtl]") {
  golden::LowerOptions o;
  o.w_bits = 4;
  o.group = 32;
  const golden::EncoderCase c = golden::make_encoder_case(golden::encoder_dims("deit_tiny", 197), o, 6);
  model::HwConfig h = hw(16, 16, model::Dataflow::ws);
  h.rtl = {true, true, true, true, true, true};
  check_layer(c.lowered, h);
}

TEST_CASE("log-sqrt2 attention layer on a 16x16 ws array is bit-exact", "[model][layer][logsqrt2]") {
  golden::LowerOptions o;
  o.logsqrt2 = true;
  const golden::EncoderCase c = golden::make_encoder_case(golden::encoder_dims("deit_tiny", 197), o, 10);
  check_layer(c.lowered, hw(16, 16, model::Dataflow::ws));
}

TEST_CASE("log-sqrt2 attention layer with every unit as RTL: codes on the comparator bank, same taps, same cycles",
          "[model][layer][logsqrt2][rtl]") {
  golden::LowerOptions o;
  o.logsqrt2 = true;
  o.logsqrt2_bits = 5;  // 32 thresholds
  const golden::EncoderCase c = golden::make_encoder_case(golden::encoder_dims("deit_tiny", 197), o, 11);
  model::HwConfig h = hw(16, 16, model::Dataflow::ws);
  h.rtl = {true, true, true, true, true, true};
  check_layer(c.lowered, h);
}

TEST_CASE("mixed precision (attention linears 8-bit, MLP 4-bit) layer is bit-exact", "[model][layer][int4]") {
  golden::LowerOptions o;
  o.op_w_bits = {{"fc1", 4}, {"fc2", 4}};
  const golden::EncoderCase c = golden::make_encoder_case(golden::encoder_dims("deit_tiny", 197), o, 6);
  const golden::Program& p = c.lowered.program;
  CHECK(p.info("qkv_w").type.bits == 8);
  CHECK(p.info("proj_w").type.bits == 8);
  CHECK(p.info("fc1_w").type.bits == 4);
  CHECK(p.info("fc2_w").type.bits == 4);
  check_layer(c.lowered, hw(16, 16, model::Dataflow::ws));  // gemm cycles checked with each op's own lanes
}

TEST_CASE("BinaryViT layer on a 16x16 ws array is bit-exact", "[model][layer][binary]") {
  const golden::BinaryCase c = golden::make_binary_case(golden::encoder_dims("deit_tiny", 197), 3);
  check_layer(c.lowered, hw(16, 16, model::Dataflow::ws));
}

TEST_CASE("BinaryViT layer with every unit as RTL (XNOR-popcount array): same taps, same cycles", "[model][layer][binary][rtl]") {
  const golden::BinaryCase c = golden::make_binary_case(golden::encoder_dims("deit_tiny", 197), 5);
  model::HwConfig h = hw(16, 16, model::Dataflow::ws);
  h.rtl = {true, true, true, true, true, true};
  check_layer(c.lowered, h);
}

TEST_CASE("BinaryViT layer with every unit as RTL on a 16x16 output-stationary array: same taps, same cycles", "[model][layer][binary][rtl]") {
  const golden::BinaryCase c = golden::make_binary_case(golden::encoder_dims("deit_tiny", 197), 12);
  model::HwConfig h = hw(16, 16, model::Dataflow::os);
  h.rtl = {true, true, true, true, true, true};
  check_layer(c.lowered, h);
}

TEST_CASE("a layer's timeline, the DMA as RTL beside the engine it is drawn from: every op's spans add up to its counters",
          "[model][layer][timeline][rtl]") {
  const golden::EncoderCase c = golden::make_encoder_case(golden::encoder_dims("deit_tiny", 197), {}, 14);
  model::HwConfig h = hw(16, 16, model::Dataflow::ws);
  h.rtl.dma = true;
  const model::ModelRun run = model::run_on_model(c.lowered.program, c.lowered.inputs, h, true);
  int64_t start = 0;
  for (const model::OpStats& st : run.ops) {
    INFO("op " << st.name);
    CHECK(st.start == start);
    start += st.cycles;
    int64_t compute = 0, channel = 0, read = 0, written = 0, compute_end = 0, store_end = 0, channel_free = 0;
    std::vector<model::Span> transfers;
    for (const model::Span& s : st.spans) {
      REQUIRE(s.cycles > 0);
      CHECK(s.start >= 0);
      if (s.kind == model::Span::Kind::compute) {
        CHECK(s.start >= compute_end);  // one unit: its spans in order, never overlapping
        compute += s.cycles, compute_end = s.start + s.cycles;
      } else {
        transfers.push_back(s);
        channel += s.cycles;
        (s.kind == model::Span::Kind::load ? read : written) += s.bytes;
        if (s.kind == model::Span::Kind::store) store_end = std::max(store_end, s.start + s.cycles);
      }
    }
    std::sort(transfers.begin(), transfers.end(), [](const model::Span& a, const model::Span& b) { return a.start < b.start; });
    for (const model::Span& s : transfers) {  // one channel: loads and stores never overlap
      CHECK(s.start >= channel_free);
      channel_free = s.start + s.cycles;
    }
    CHECK(compute == st.compute_cycles);
    CHECK(channel == st.dram_busy_cycles);
    CHECK(read == st.dram_read_bytes);
    CHECK(written == st.dram_write_bytes);
    // The op ends with its last compute or its last store's landing, a latency after its last beat.
    if (st.cycles > 0) CHECK(st.cycles == std::max(compute_end, written > 0 ? store_end + h.memory.dram_latency_cycles : 0));
  }
  CHECK(start == run.total_cycles);
}

TEST_CASE("odd shapes: a single GEMM on a 5x3 array is bit-exact", "[model][layer]") {
  check_layer(golden::lower_gemm(37, 29, 23, 4), hw(5, 3, model::Dataflow::ws));
}

TEST_CASE("a seeded run repeated gives identical taps and cycles", "[model][layer]") {
  const golden::EncoderCase c = golden::make_encoder_case(golden::encoder_dims("deit_tiny", 50), {}, 7);
  const model::HwConfig h = hw(16, 16, model::Dataflow::ws);
  const model::ModelRun a = model::run_on_model(c.lowered.program, c.lowered.inputs, h);
  const model::ModelRun b = model::run_on_model(c.lowered.program, c.lowered.inputs, h);
  CHECK(a.total_cycles == b.total_cycles);
  for (const auto& name : a.taps.order) CHECK(a.taps.at(name).data == b.taps.at(name).data);
}

TEST_CASE("halving DRAM bandwidth slows memory-bound ops and leaves compute-bound ones", "[model][memory]") {
  const golden::EncoderCase c = golden::make_encoder_case(golden::encoder_dims("deit_tiny", 197), {}, 1);
  model::HwConfig fast = hw(16, 16, model::Dataflow::ws);
  fast.memory.input_kib = 128;  // activations stay on chip across N tiles
  model::HwConfig slow = fast;
  fast.memory.dram_bytes_per_cycle = 64;
  slow.memory.dram_bytes_per_cycle = 32;
  const model::ModelRun a = model::run_on_model(c.lowered.program, c.lowered.inputs, fast);
  const model::ModelRun b = model::run_on_model(c.lowered.program, c.lowered.inputs, slow);
  int memory_bound = 0, compute_bound = 0;
  for (size_t i = 0; i < a.ops.size(); ++i) {
    // Ops between the two (transfer over half the compute, e.g. attn @ v re-fetching A per N tile) may stall
    // where a run of blocks loads faster than they compute: only y >= x holds for them.
    const model::OpStats &x = a.ops[i], &y = b.ops[i];
    INFO(x.name);
    REQUIRE(x.dram_read_bytes + x.dram_write_bytes == y.dram_read_bytes + y.dram_write_bytes);
    REQUIRE(x.compute_cycles == y.compute_cycles);
    const int64_t bytes = x.dram_read_bytes + x.dram_write_bytes;
    CHECK(y.cycles >= x.cycles);
    // transfer time at 32 B/cycle, against the unit's compute time
    const int64_t transfer_slow = slow.memory.dram_latency_cycles + slow.memory.transfer_cycles(bytes);
    if (bytes > 0 && transfer_slow > x.compute_cycles) {
      CHECK(y.cycles > x.cycles);
      CHECK(y.cycles >= transfer_slow);
      ++memory_bound;
    } else if (bytes > 0 && 2 * transfer_slow <= x.compute_cycles) {
      // Compute bound: the transfers hide behind compute but for what nothing in the op can hide, the first
      // block's load and the last block's store; only those take longer.
      model::TransferPlan plan;
      model::transfer_plan(model::op_facts(c.lowered.program, i), slow, y, plan);
      const std::vector<model::Block>& blocks = plan.blocks;
      const int64_t first = blocks.front().load, last = blocks.back().store;
      const int64_t exposed = slow.memory.transfer_cycles(first) - fast.memory.transfer_cycles(first) +
                              slow.memory.transfer_cycles(last) - fast.memory.transfer_cycles(last);
      CHECK(y.cycles - x.cycles <= exposed);
      ++compute_bound;
    }
  }
  CHECK(memory_bound > 0);
  CHECK(compute_bound > 0);
  CHECK(b.total_cycles > a.total_cycles);
  // The big GEMMs are compute bound once A stays on chip: qkv computes 85k cycles for 590 KB of traffic and
  // slows by its first load (its weight tile, A's first slice and the bias: 5712 bytes) and its last store
  // (the last 197 x 16 int32 accumulators: 12608 bytes) alone.
  CHECK(a.ops[2].name == "qkv");
  auto exposed = [&](int64_t bytes) { return slow.memory.transfer_cycles(bytes) - fast.memory.transfer_cycles(bytes); };
  CHECK(b.ops[2].cycles - a.ops[2].cycles == exposed(5712) + exposed(12608));
}

TEST_CASE("a scratchpad too small for the activations forces re-fetch", "[model][memory]") {
  const golden::Lowered l = golden::lower_gemm(197, 192, 576, 1);
  model::HwConfig big = hw(16, 16, model::Dataflow::ws), small = big;
  small.memory.input_kib = 8;  // A is 197 x 192 = 37.8 KB: no longer fits (double-buffered 75.6 KB)
  big.memory.input_kib = 128;
  const model::OpStats a = model::run_on_model(l.program, l.inputs, big).ops[0];
  const model::OpStats b = model::run_on_model(l.program, l.inputs, small).ops[0];
  CHECK(a.dram_read_bytes == 197 * 192 + 576 * 192 + 576 * 4);             // A once, weights and int32 bias once
  CHECK(b.dram_read_bytes == 197 * 192 * (576 / 16) + 576 * 192 + 576 * 4);  // A once per N tile
  CHECK(a.dram_weight_bytes == 576 * 192 + 576 * 4);
  CHECK(b.dram_weight_bytes == a.dram_weight_bytes);
}

TEST_CASE("a weight scratchpad smaller than one tile is rejected", "[model][memory]") {
  model::HwConfig h = hw(64, 64, model::Dataflow::ws);
  h.memory.weight_kib = 4;  // 64 x 64 x 2 buffers = 8 KiB
  CHECK_THROWS_WITH(h.check(), Catch::Contains("too small for one 64x64 tile"));
}

TEST_CASE("roofline of a small GEMM against hand-derived numbers", "[model][analytic]") {
  // 64x64x64 on 16x16 ws, 32 B/cycle, latency 100. gemm: ops 2*64^3 = 524288, DRAM A 4096 + W 4096 + bias
  // 64 x 4 bytes (the 16 KB accumulators stay on chip for the requant), peak 2*256 = 512 ops/cycle: intensity
  // 524288 / 8448 = 62.06 > ridge 16, compute bound, roofline 1024 cycles. Mapped: the array computes 16 tiles
  // x 64 rows + 2*16 + 16 - 2 = 1070 cycles. The DMA moves the first N pass tile by tile (16x16 weights and
  // A's 64x16 slice, 1280 B each), the other three passes whole (1024 B of weights each); the first block also
  // carries the bias: 1536 B = 48 cycles + 100 latency before the array starts, and every later block lands
  // before the array wants it: 148 + 1070 = 1218. requant: 4096 ops at 16 lanes, reads the accumulators on
  // chip and one per-tensor multiplier (int32 m + 8-bit shift = 5 bytes), writes 4096 int8 bytes: roofline
  // max(256, 4101/32) = 256. Mapped: the multiplier takes 1 + 100 cycles, then 4096/16 + 4 = 260 cycles of
  // compute in blocks of 16, 32 and 16 rows (65, 130, 65 cycles); each block's bytes go out as it ends, the
  // middle one's 2048 (64 cycles) before the last block ends, the last 1024 (32 cycles) landing 100 later:
  // 101 + 260 + 32 + 100 = 493.
  const golden::Lowered l = golden::lower_gemm(64, 64, 64, 1);
  const model::Roofline r = model::roofline(l.program, hw(16, 16, model::Dataflow::ws));
  REQUIRE(r.rows.size() == 2);
  CHECK(r.rows[0].ops == 524288);
  CHECK(r.rows[0].dram_bytes == 8448);
  CHECK(r.rows[0].load_weight == 4096 + 256);
  CHECK(r.rows[0].load_act == 4096);
  CHECK(r.rows[0].load_meta == 0);
  CHECK(r.rows[0].store_act == 0);
  CHECK(r.rows[0].intensity == Approx(524288.0 / 8448));
  CHECK(std::string(r.rows[0].bound) == "compute");
  CHECK(r.rows[0].roofline_cycles == 1024);
  CHECK(r.rows[0].mapped_cycles == 1218);
  CHECK(r.rows[1].ops == 4096);
  CHECK(r.rows[1].dram_bytes == 4101);
  CHECK(r.rows[1].load_meta == 5);
  CHECK(r.rows[1].store_act == 4096);
  CHECK(r.rows[1].roofline_cycles == 256);
  CHECK(r.rows[1].mapped_cycles == 493);
  CHECK(r.mapped_cycles == 1218 + 493);
}

TEST_CASE("group-wise INT4 metadata: zero points and multipliers per group, per-channel requant multipliers", "[model][analytic]") {
  // fc1 of DeiT-Tiny with g = 32: weights 768 x 192 uint4 = 73728 bytes + int32 bias 768 x 4; metadata
  // 768 x 6 groups x (16-bit zero + 16-bit multiplier) = 18432 bytes; its requant has 768 per-channel
  // multipliers of 5 bytes.
  golden::LowerOptions o;
  o.w_bits = 4;
  o.group = 32;
  const golden::EncoderCase c = golden::make_encoder_case(golden::encoder_dims("deit_tiny", 197), o, 1, 1);
  const model::Roofline r = model::roofline(c.lowered.program, hw(16, 16, model::Dataflow::ws));
  bool seen = false;
  for (size_t i = 0; i + 1 < r.rows.size(); ++i) {
    if (r.rows[i].name != "fc1") continue;
    seen = true;
    CHECK(r.rows[i].load_weight == 768 * 192 / 2 + 768 * 4);
    CHECK(r.rows[i].load_meta == 768 * 6 * 4);
    // A (197 x 192 = 37824 bytes) does not fit twice in the 64 KiB input scratchpad: once per 16-wide N tile
    CHECK(r.rows[i].load_act == 197 * 192 * (768 / 16));
    CHECK(r.rows[i + 1].name == "fc1_rq");
    CHECK(r.rows[i + 1].load_meta == 768 * 5);
  }
  CHECK(seen);
}
