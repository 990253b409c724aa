// The DMA engine and DRAM channel: the clocked engine against closed forms derived by hand for plans simple
// enough to reason about, and against the event recurrence the analytic executor uses on random plans; its
// RTL (Verilated) against both, everywhere; the blocks an op is cut into against the op's byte counts.
#include <catch2/catch.hpp>

#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>

#include "golden/lower.hpp"
#include "models/units/dma.hpp"
#include "models/analytic/op_cost.hpp"
#include "models/verilated/rtl_dma.hpp"

using namespace qtsim;
using model::Block;

namespace {
struct Engines {  // one SystemC elaboration per process: every module before the first run
  model::DmaEngine model{"dma"};
  model::RtlDmaEngine rtl{"rtl_dma"};
};
Engines& engines() {
  static std::unique_ptr<Engines> e = std::make_unique<Engines>();
  return *e;
}
model::DmaEngine& engine() { return engines().model; }

// Plans the RTL could not run within its bounds (it says so); the random test keeps count.
int rtl_out_of_bounds = 0;

// The three implementations, required to agree (the RTL, slower, where asked).
model::TransferTimes times(const model::TransferPlan& plan, const model::MemoryConfig& m, bool with_rtl = true) {
  const model::TransferTimes clocked = engine().run(plan.blocks, m);
  const model::TransferTimes events = model::transfer_times(plan, m);
  CHECK(clocked.cycles == events.cycles);
  CHECK(clocked.channel_busy == events.channel_busy);
  if (!with_rtl) return clocked;
  try {
    const model::TransferTimes rtl = engines().rtl.run(plan.blocks, m);
    CHECK(rtl.cycles == clocked.cycles);
    CHECK(rtl.channel_busy == clocked.channel_busy);
  } catch (const std::runtime_error& e) {
    INFO(e.what());
    CHECK(std::string(e.what()).find("blocks ahead of the unit") != std::string::npos);
    ++rtl_out_of_bounds;
  }
  return clocked;
}
model::TransferTimes times(const std::vector<Block>& blocks, const model::MemoryConfig& m) { return times(model::TransferPlan{blocks, {}}, m); }
int64_t cycles(const std::vector<Block>& blocks, const model::MemoryConfig& m) { return times(blocks, m).cycles; }

model::MemoryConfig memory(double bw, int64_t latency, bool double_buffer) {
  model::MemoryConfig m;
  m.dram_bytes_per_cycle = bw;
  m.dram_latency_cycles = latency;
  m.double_buffer = double_buffer;
  return m;
}
}  // namespace

TEST_CASE("DMA: one block is load, latency, compute, store, latency", "[model][dma]") {
  for (bool db : {true, false}) {
    const model::MemoryConfig m = memory(32, 100, db);
    // 1000 bytes at 32 B/cycle: 32 cycles (31.25 rounded up); 100 bytes: 4 cycles
    CHECK(cycles({{1000, 0, 500, 100}}, m) == 32 + 100 + 500 + 4 + 100);
    CHECK(cycles({{1000, 0, 500, 0}}, m) == 32 + 100 + 500);
    CHECK(cycles({{0, 0, 500, 0}}, m) == 500);
    CHECK(cycles({{1, 0, 1, 1}}, m) == 1 + 100 + 1 + 1 + 100);  // a transfer takes at least one cycle
  }
}

TEST_CASE("DMA timeline: the unit's and the channel's spans where the closed forms put them", "[model][dma][timeline]") {
  using K = model::Span::Kind;
  auto spans = [](const std::vector<Block>& b, const model::MemoryConfig& m) {
    std::vector<model::Span> s;
    engine().run(b, m, &s);
    std::vector<std::tuple<K, int64_t, int64_t, int64_t, int64_t>> out;
    for (const model::Span& x : s) out.emplace_back(x.kind, x.start, x.cycles, x.bytes, x.blocks);
    return out;
  };
  using T = std::vector<std::tuple<K, int64_t, int64_t, int64_t, int64_t>>;
  // One block (as above): load 32 cycles, 100 latency, compute 500, store 4.
  CHECK(spans({{1000, 0, 500, 100}}, memory(32, 100, true)) ==
        T{{K::load, 0, 32, 1000, 1}, {K::compute, 132, 500, 0, 1}, {K::store, 632, 4, 100, 1}});
  // Memory-bound with stores (as above): the loads back to back are one span; block j computes from
  // (j+1) 90 + 60; stores 0-3 queue behind the loads and go back to back from 450; the last store alone.
  CHECK(spans(std::vector<Block>(5, Block{8 * 90, 0, 30, 8 * 10}), memory(8, 60, true)) ==
        T{{K::load, 0, 450, 3600, 5},   {K::compute, 150, 30, 0, 1}, {K::compute, 240, 30, 0, 1}, {K::compute, 330, 30, 0, 1},
          {K::compute, 420, 30, 0, 1}, {K::store, 450, 40, 320, 4}, {K::compute, 510, 30, 0, 1}, {K::store, 540, 10, 80, 1}});
  // Compute-bound: the blocks back to back are one span.
  CHECK(spans(std::vector<Block>(3, Block{32, 0, 20, 0}), memory(32, 0, true)) == T{{K::load, 0, 3, 96, 3}, {K::compute, 1, 60, 0, 3}});
}

TEST_CASE("DMA: compute-bound blocks expose only the first load and the last store", "[model][dma]") {
  // n blocks of c cycles, each loading D = 40 cycles' worth and storing Ds = 20 (Ds <= c): the window holds
  // them all, so every load queues at once and the channel has moved them all (n D <= D + L + c) before the
  // first store queues; each store drains while the next block computes.
  const model::MemoryConfig m = memory(16, 100, true);
  for (int64_t n : {1, 2, 7})
    for (int64_t c : {200, 333}) {
      const std::vector<Block> b(static_cast<size_t>(n), Block{16 * 40, 0, c, 16 * 20});
      CHECK(cycles(b, m) == 40 + 100 + n * c + 20 + 100);
    }
}

TEST_CASE("DMA: memory-bound blocks follow the channel", "[model][dma]") {
  // Loads back to back (D > c): block j's data lands at (j+1) D + L, the last block computes after it.
  const model::MemoryConfig m = memory(8, 60, true);
  for (int64_t n : {1, 3, 25}) {
    const std::vector<Block> b(static_cast<size_t>(n), Block{8 * 90, 0, 30, 0});
    CHECK(cycles(b, m) == n * 90 + 60 + 30);
  }
  // With stores: the first four queue behind the loads and drain before the last block ends; its store
  // (10 cycles) starts at once and lands a latency later.
  const std::vector<Block> b(5, Block{8 * 90, 0, 30, 8 * 10});
  CHECK(cycles(b, m) == 5 * 90 + 60 + 30 + 10 + 60);
}

TEST_CASE("DMA: without double buffering every block is loaded, computed and stored alone", "[model][dma]") {
  const model::MemoryConfig m = memory(10, 25, false);
  const std::vector<Block> b = {{100, 0, 7, 50}, {0, 0, 3, 0}, {1000, 0, 200, 10}, {55, 0, 1, 0}};
  const int64_t expected = (10 + 25 + 7 + 5 + 25) + 3 + (100 + 25 + 200 + 1 + 25) + (6 + 25 + 1);
  CHECK(cycles(b, m) == expected);
}

TEST_CASE("DMA: a window of one block serialises the loads, not the stores", "[model][dma]") {
  // 2 KiB of scratchpad in two banks: the unit reads one, the DMA may fill the other, 1 KiB. Blocks of 1 KiB:
  // load j queues when block j-1's compute ends and frees it.
  model::MemoryConfig m = memory(32, 10, true);
  m.input_kib = 1, m.weight_kib = 1, m.banks = 2;
  REQUIRE(m.window_bytes() == 1024);
  const std::vector<Block> b(4, Block{1024, 0, 100, 64});
  // per block: 32 cycles load + 10 latency + 100 compute; each later load queues with the previous block's
  // store (2 cycles), which goes first; the last store lands 2 + 10 after the last compute.
  CHECK(cycles(b, m) == 4 * (32 + 10 + 100) + 3 * 2 + 2 + 10);
  // Kept bytes never free: with nothing freeable on chip, waiting would not help, and loads go ahead.
  const std::vector<Block> k(3, Block{1024, 1024, 100, 0});
  CHECK(cycles(k, m) == 32 + 10 + 3 * 100);
}

TEST_CASE("DMA: the clocked engine equals the event recurrence on random plans", "[model][dma]") {
  // Runs of alike blocks (count > 1) take the recurrence's short cuts: a run that fits the window at once,
  // and a run that turns periodic and is jumped over; the clocked engine walks every block.
  std::mt19937_64 rng(11);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (int trial = 0; trial < 1500; ++trial) {
    model::MemoryConfig m = memory(static_cast<double>(pick(1, 64)) / static_cast<double>(pick(1, 4)), pick(0, 120), pick(0, 3) > 0);
    m.input_kib = pick(0, 1) == 0 ? pick(0, 3) : pick(16, 256), m.weight_kib = pick(1, 4);  // windows that bind, and that do not
    m.banks = pick(2, 8);
    auto random_block = [&] {
      Block x;
      x.load = pick(0, 3) == 0 ? 0 : pick(1, 4000);
      x.keep = pick(0, 2) == 0 ? pick(0, x.load) : 0;
      x.compute = pick(1, 300);
      x.store = pick(0, 2) == 0 ? 0 : pick(1, 3000);
      x.count = pick(0, 1) == 0 ? 1 : pick(2, 60);
      return x;
    };
    model::TransferPlan plan;
    std::vector<Block>& b = plan.blocks;
    for (int64_t i = pick(1, 6); i > 0; --i) b.push_back(random_block());
    if (pick(0, 1) == 1) {  // a stretch of copies, as the passes of a GEMM, then a tail
      std::vector<Block> unit(static_cast<size_t>(pick(2, 4)));
      for (Block& x : unit) x = random_block();
      const int64_t times = pick(2, 30);
      plan.repeats.push_back({b.size(), unit.size(), times});
      for (int64_t t = 0; t < times; ++t) b.insert(b.end(), unit.begin(), unit.end());
      for (int64_t i = pick(0, 3); i > 0; --i) b.push_back(random_block());
    }
    INFO("trial " << trial);
    int64_t bytes = 0, compute = 0;
    for (const Block& x : b) bytes += (x.load + x.store) * x.count, compute += x.compute * x.count;
    const model::TransferTimes t = times(plan, m, trial % 12 == 0);
    // bounds that hold whatever the order: the unit does all its work, the channel moves every byte
    CHECK(t.cycles >= compute);
    CHECK(t.channel_busy >= m.transfer_cycles(bytes));
    if (bytes > 0) CHECK(t.cycles >= t.channel_busy + m.dram_latency_cycles);
  }
  // The RTL's 256 descriptors cover all but a few of these plans (runs of 60 small blocks that all fit at once).
  CHECK(rtl_out_of_bounds <= 1500 / 12 / 10);
}

TEST_CASE("banks: the DMA fills all but the bank the unit reads, double buffering needs two", "[model][dma]") {
  model::MemoryConfig m;
  m.input_kib = 64, m.weight_kib = 64;
  for (int64_t banks : {2, 4, 8, 16}) {
    m.banks = banks;
    CHECK(m.window_bytes() == 128 * 1024 - 128 * 1024 / banks);
  }
  // Fewer banks, a smaller window: on blocks that bind it, as slow or slower (never faster).
  std::vector<Block> b(40, Block{6000, 0, 150, 500});
  m.dram_bytes_per_cycle = 32, m.input_kib = 16, m.weight_kib = 16;
  int64_t previous = 0;
  for (int64_t banks : {16, 8, 4, 2}) {
    m.banks = banks;
    const int64_t c = cycles(b, m);
    CHECK(c >= previous);
    previous = c;
  }
  m.banks = 16;
  const int64_t sixteen = cycles(b, m);
  m.banks = 2;
  CHECK(cycles(b, m) > sixteen);  // 16 KiB of window holds two blocks and a bit, 30 KiB five
  model::HwConfig hw;
  hw.memory.banks = 1;
  CHECK_THROWS_WITH(hw.check(), Catch::Contains("double buffering needs at least 2 banks"));
  hw.memory.double_buffer = false;
  CHECK_NOTHROW(hw.check());
}

TEST_CASE("DMA blocks of every op carry exactly the op's DRAM bytes and compute cycles", "[model][dma]") {
  const golden::EncoderCase c = golden::make_encoder_case(golden::encoder_dims("deit_tiny", 197), {}, 1);
  const golden::Program& p = c.lowered.program;
  const std::vector<model::OpFacts> facts = model::program_facts(p);
  for (model::Dataflow df : {model::Dataflow::ws, model::Dataflow::is, model::Dataflow::os})
    for (int64_t input_kib : {8, 64, 256}) {
      model::HwConfig hw;
      hw.array = {16, 16, df, true};
      hw.memory.input_kib = input_kib;
      for (size_t i = 0; i < p.ops.size(); ++i) {
        INFO(model::dataflow_name(df) << " input " << input_kib << " KiB, op " << p.ops[i].name);
        model::OpStats st;
        model::account_traffic(facts[i], hw, st);
        st.compute_cycles = model::compute_cycles(facts[i], hw);
        model::TransferPlan plan;
        model::transfer_plan(facts[i], hw, st, plan);
        const std::vector<Block>& blocks = plan.blocks;
        int64_t load = 0, store = 0, compute = 0, count = 0;
        for (const Block& b : blocks) {
          CHECK(b.keep <= b.load);
          CHECK(b.compute >= 1);
          load += b.load * b.count, store += b.store * b.count, compute += b.compute * b.count, count += b.count;
        }
        CHECK(load == st.dram_read_bytes);
        CHECK(store == st.dram_write_bytes);
        CHECK(compute == st.compute_cycles);
        // No block but a single tile's outweighs half the window (so that the next one can load behind it).
        const model::GemmShape g = model::gemm_shape(p, p.ops[i]);
        const int64_t tile = model::is_array_op(p.ops[i].kind)
                                 ? (df == model::Dataflow::os ? (16 * g.k * facts[i].a_bits + 16 * g.k * facts[i].b_bits) / 8
                                                              : 16 * 16 * g.lanes * (g.m * facts[i].a_bits + g.n * facts[i].b_bits) / 8)
                                 : 2 * facts[i].len * 4 * 2;  // a row of the widest inputs (int32 and a residual)
        for (size_t j = 0; j < blocks.size(); ++j)
          CHECK(blocks[j].load - (j == 0 ? facts[i].bias_bytes + facts[i].meta_bytes : 0) <= std::max(hw.memory.window_bytes() / 2, tile));
        if (!model::is_array_op(p.ops[i].kind) && model::op_unit(p.ops[i].kind) != std::string("layout")) {
          // 16 rows, blocks of at most 64 alike in size (the last of them perhaps smaller), 16 rows
          const int64_t rows = facts[i].in_elems / facts[i].len;
          if (64 * (st.dram_read_bytes / rows) <= hw.memory.window_bytes() / 2) CHECK(count >= 2 + (rows - 32 + 63) / 64);
          if (64 * (st.dram_read_bytes / rows) <= hw.memory.window_bytes() / 2) CHECK(count <= 3 + (rows - 32 + 63) / 64);
        }
      }
    }
}

TEST_CASE("DMA RTL: its bounds are flagged, never silently wrong", "[model][dma][rtl]") {
  // One block whose kept bytes overfill the window, then blocks without loads: they all queue the cycle the
  // first one ends, one more than the RTL's descriptors; a block fewer, and they fit.
  model::MemoryConfig m = memory(9.5, 32, true);
  m.input_kib = 0, m.weight_kib = 1, m.banks = 8;
  const int64_t depth = model::RtlDmaEngine::kDescriptors;
  auto plan = [&](int64_t zero_load) {
    return std::vector<Block>{{3372, 2210, 33, 2569}, {0, 0, 45, 1018, zero_load}};
  };
  const model::TransferTimes fits = engines().rtl.run(plan(depth - 1), m);
  const model::TransferTimes model = engine().run(plan(depth - 1), m);
  CHECK(fits.cycles == model.cycles);
  CHECK(fits.channel_busy == model.channel_busy);
  CHECK_THROWS_WITH(engines().rtl.run(plan(depth), m), Catch::Contains("blocks ahead of the unit"));
  // Every transfer may be in flight for the latency: the RTL's channel holds 512.
  m.dram_latency_cycles = model::RtlDmaEngine::kTransfers;
  CHECK_THROWS_WITH(engines().rtl.run(plan(1), m), Catch::Contains("DRAM latency must be below 512"));
}
