// The SystemC machine: every shipped layer's taps, read back from the DRAM image the machine leaves, equal
// the golden's bit for bit; small hand-written programs take the cycles derived by hand in each case.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>

#include "golden/exec.hpp"
#include "golden/lower.hpp"
#include "golden/shiftgelu.hpp"
#include "golden/shiftmax.hpp"
#include "models/compiler/compile.hpp"
#include "models/machine/machine.hpp"
#include "sim/config.hpp"

using namespace qtsim;

namespace {
machine::MachineRun check_machine(const golden::Program& p, const std::map<std::string, golden::ITensor>& inputs, const model::HwConfig& hw) {
  const golden::Taps gold = golden::run_program(p, inputs);
  const compiler::Compiled c = compiler::compile(p, inputs, hw);
  machine::MachineRun run = machine::run_machine(c.code, c.dram, c.sp_bytes, hw, c.probes);
  CHECK(run.executed == static_cast<int64_t>(c.code.size()));
  const golden::Taps taps = compiler::read_taps(p, c, run.dram, run.probed);
  REQUIRE(taps.order == gold.order);
  for (const auto& name : gold.order) {
    INFO("tap " << name);
    REQUIRE(taps.at(name).data == gold.at(name).data);
  }
  return run;
}

machine::MachineRun check_config(const std::string& name, const std::vector<std::string>& sets = {}) {
  const sim::Config c = sim::load_config(std::string(QTSIM_CONFIG_DIR) + "/" + name, sets);
  const sim::Workload w = sim::build_workload(c);
  return check_machine(w.lowered.program, w.lowered.inputs, c.hw);
}
}  // namespace

TEST_CASE("shipped layer deit_tiny_int8 on the machine", "[machine]") {
  const machine::MachineRun r = check_config("deit_tiny_int8.yaml");
  WARN("cycles " << r.cycles << " dram busy " << r.dram_busy << " conflicts " << r.bank_conflicts);
}
TEST_CASE("shipped layer deit_tiny_int8_os on the machine", "[machine]") { check_config("deit_tiny_int8_os.yaml"); }
TEST_CASE("shipped layer deit_tiny_int8_is on the machine", "[machine]") { check_config("deit_tiny_int8_is.yaml"); }
TEST_CASE("shipped layer deit_tiny_w4a8 on the machine", "[machine]") { check_config("deit_tiny_w4a8.yaml"); }
TEST_CASE("shipped layer deit_tiny_w4a8_g32 on the machine", "[machine]") { check_config("deit_tiny_w4a8_g32.yaml"); }
TEST_CASE("shipped layer deit_tiny_logsqrt2 on the machine", "[machine]") { check_config("deit_tiny_logsqrt2.yaml"); }
TEST_CASE("shipped layer deit_tiny_mixed on the machine", "[machine]") { check_config("deit_tiny_mixed.yaml"); }
TEST_CASE("shipped layer deit_tiny_binary on the machine", "[machine]") { check_config("deit_tiny_binary.yaml"); }
TEST_CASE("shipped gemm_deit_tiny_qkv on the machine", "[machine]") { check_config("gemm_deit_tiny_qkv.yaml"); }
TEST_CASE("the binary and group-wise INT4 layers on the output- and input-stationary arrays", "[machine]") {
  for (const char* df : {"os", "is"}) {
    INFO("dataflow " << df);
    check_config("deit_tiny_binary.yaml", {std::string("hw.array.dataflow=") + df});
    check_config("deit_tiny_w4a8_g32.yaml", {std::string("hw.array.dataflow=") + df});
  }
}
TEST_CASE("shipped fashion_vit (whole model) on the machine", "[machine][fashion]") { check_config("fashion_vit.yaml"); }
TEST_CASE("shipped layers deit_small_int8 and deit_base_int8 on the machine", "[machine][slow]") {
  check_config("deit_small_int8.yaml");
  check_config("deit_base_int8.yaml");
}

// Hand-written programs on a small machine whose cycles are derived by hand from docs/machine.md's rules:
// fetch one instruction a cycle; a queue head issues in the cycle its tokens are there; a unit's ports move one
// 64-byte word per scratchpad per cycle from the next cycle on, a bank serving one access a cycle (queue order
// decides: ld, st, ar, pp, sm, gl, ln); the unit computes from the cycle after its last operand word for its
// compute cycles and writes from the cycle after; a transfer of B bytes holds the channel ceil(B / bw) cycles
// from the cycle after its issue (or after the channel frees), a load's word lands latency cycles after its last
// byte crossed, a store retires latency cycles after its last byte.
namespace {
model::HwConfig tiny_hw() {
  model::HwConfig h;
  h.array.rows = h.array.cols = 4;
  h.array.overlap = false;  // tile by tile: T * (M + 2R + C - 2) cycles (docs/cycle-model.md)
  h.memory.dram_bytes_per_cycle = 8;
  h.memory.dram_latency_cycles = 10;
  h.memory.banks = 2;  // 1 KiB scratchpads: banks of 512 bytes, 8 words
  h.nonlinear_lanes = 4;
  return h;
}
const std::array<int64_t, isa::kSpaces> kTinySp = {1024, 1024, 1024};

std::vector<int8_t> random_i8(size_t n, int lo, int hi, uint32_t seed) {
  std::vector<int8_t> v(n);
  uint32_t s = seed;
  for (auto& x : v) {
    s = s * 1664525u + 1013904223u;
    x = static_cast<int8_t>(lo + static_cast<int>((s >> 8) % static_cast<uint32_t>(hi - lo + 1)));
  }
  return v;
}
int64_t le(const std::vector<uint8_t>& d, size_t at, int bytes, bool is_signed) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t{d[at + static_cast<size_t>(i)]} << (8 * i);
  if (is_signed && bytes < 8 && (v >> (8 * bytes - 1)) & 1) v |= ~uint64_t{0} << (8 * bytes);
  return static_cast<int64_t>(v);
}

// C[4][4] = A[4][8] . B[4][8]^T; A at DRAM 0, B at 64, C stored at 128
const char* kGemmProgram =
    "load dtype=i8 rows=4 cols=8 dram=0 dram_stride=8 sp=in addr=0 stride=8\n"
    "load signal=ar dtype=i8 rows=4 cols=8 dram=64 dram_stride=8 sp=wt addr=0 stride=8\n"
    "gemm wait=ld signal=st a_sp=in a=0 a_type=i8 b_sp=wt b=0 b_type=i8 c=0 m=4 k=8 n=4\n"
    "store wait=ar dtype=i32 rows=4 cols=4 dram=128 dram_stride=16 sp=acc addr=0 stride=16\n";
}  // namespace

TEST_CASE("machine cycles by hand: load, GEMM, store", "[machine]") {
  std::vector<uint8_t> dram(256, 0);
  const std::vector<int8_t> a = random_i8(32, -128, 127, 1), b = random_i8(32, -128, 127, 2);
  std::memcpy(dram.data(), a.data(), 32);
  std::memcpy(dram.data() + 64, b.data(), 32);
  const model::HwConfig hw = tiny_hw();
  const std::vector<isa::Instr> code = isa::assemble(kGemmProgram, "gemm.qasm");
  // T = 2 K tiles of 4: 2 * (4 + 8 + 4 - 2)
  CHECK(machine::compute_cycles(code[2], hw) == 28);
  const machine::MachineRun r = machine::run_machine(code, dram, kTinySp, hw);
  // A: issued 1, channel 2-5, lands 2 + 4 + 10 = 16. B: issued 2, channel 6-9, lands 20 (token to ar).
  // gemm: issued 20; its array steps run at 21-48, one a cycle (no two accesses share a port): tile 0 preloads
  // 21-24 (a B column a cycle), streams 25-28 (a row of A a cycle) and drains 31-34 (row r leaves 4 + r + R +
  // C - 2 steps after the stream begins); tile 1 (one weight buffer) preloads 35-38 once tile 0 has left,
  // streams 39-42, drains 45-48 and writes C. Retires 48.
  // store: issued 48, reads 49, channel 50-57, retires 58 + 10 = 68: cycles 0-68.
  CHECK(r.instr[0].retire == 16);
  CHECK(r.instr[1].retire == 20);
  CHECK(r.instr[2].issue == 20);
  CHECK(r.instr[2].retire == 48);
  CHECK(r.instr[3].retire == 68);
  CHECK(r.cycles == 69);
  CHECK(r.dram_busy == 4 + 4 + 8);
  CHECK(r.bank_conflicts == 0);
  CHECK(r.units[2].busy == 28);
  CHECK(r.units[2].stall == 19);  // fetched at 2, its queue head waits 2-20
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) {
      int64_t s = 0;
      for (int x = 0; x < 8; ++x) s += a[static_cast<size_t>(i * 8 + x)] * b[static_cast<size_t>(j * 8 + x)];
      INFO("C[" << i << "][" << j << "]");
      CHECK(le(r.dram, static_cast<size_t>(128 + (i * 4 + j) * 4), 4, true) == s);
    }
}

TEST_CASE("machine cycles by hand: output-stationary load, GEMM, store, and its edges sharing a bank", "[machine]") {
  std::vector<uint8_t> dram(1024, 0);
  const std::vector<int8_t> a = random_i8(64, -128, 127, 11), b = random_i8(32, -128, 127, 12);
  std::memcpy(dram.data(), a.data(), 64);
  std::memcpy(dram.data() + 64, b.data(), 32);
  model::HwConfig hw = tiny_hw();
  hw.array.dataflow = model::Dataflow::os;
  auto expect_c = [&](const machine::MachineRun& r, int rows) {
    for (int i = 0; i < rows; ++i)
      for (int j = 0; j < 4; ++j) {
        int64_t s = 0;
        for (int x = 0; x < 8; ++x) s += a[static_cast<size_t>(i * 8 + x)] * b[static_cast<size_t>(j * 8 + x)];
        INFO("C[" << i << "][" << j << "]");
        CHECK(le(r.dram, static_cast<size_t>(128 + (i * 4 + j) * 4), 4, true) == s);
      }
  };
  // Serial, one 4 x 4 tile: A row r enters array row r at steps r .. r + 7 (its 8 bytes in word 0: one read at
  // step r), B row c column c likewise; PE (r, 3) makes its last product at 7 + r + 3 and row r goes out then:
  // steps 0-13. The loads are those of the weight-stationary case (B lands at 20); the GEMM's steps run at
  // 21-34 and it retires at 34; the store reads at 35, holds the channel 36-43 and retires 44 + 10 = 54.
  const machine::MachineRun serial = machine::run_machine(isa::assemble(kGemmProgram, "gemm.qasm"), dram, kTinySp, hw);
  CHECK(serial.instr[2].issue == 20);
  CHECK(serial.instr[2].retire == 34);
  CHECK(serial.instr[3].retire == 54);
  CHECK(serial.cycles == 55);
  CHECK(serial.units[2].busy == 14);
  CHECK(serial.bank_conflicts == 0);
  expect_c(serial, 4);
  // Drain registers, M 8 (two tiles): tile 1 enters max(K, R, C) = 8 steps after tile 0, while tile 0's rows
  // drain at 8 + 3 + r; tile 1's at 19 + r: 8 + 8 + 4 + 4 - 1 = 23 steps.
  hw.array.overlap = true;
  auto program = [](int b_sp_addr, const char* b_sp) {
    return std::string("load dtype=i8 rows=8 cols=8 dram=0 dram_stride=8 sp=in addr=0 stride=8\n") +
           "load signal=ar dtype=i8 rows=4 cols=8 dram=64 dram_stride=8 sp=" + b_sp + " addr=" + std::to_string(b_sp_addr) + " stride=8\n" +
           "gemm wait=ld signal=st a_sp=in a=0 a_type=i8 b_sp=" + b_sp + " b=" + std::to_string(b_sp_addr) + " b_type=i8 c=0 m=8 k=8 n=4\n" +
           "store wait=ar dtype=i32 rows=8 cols=4 dram=128 dram_stride=16 sp=acc addr=0 stride=16\n";
  };
  const machine::MachineRun two = machine::run_machine(isa::assemble(program(0, "wt"), "two.qasm"), dram, kTinySp, hw);
  CHECK(two.instr[2].retire - two.instr[2].issue == 23);
  CHECK(two.bank_conflicts == 0);
  expect_c(two, 8);
  // B beside A in the activation scratchpad. In its other bank (512) the edges never meet: 23. In bank 0
  // (128) the top edge's first read of each column meets the left edge's of the row with its index, in steps
  // 0-3 and 8-11 (A's rows are all in word 0, B's in word 2): each loses the bank once, the array holds: 31.
  const machine::MachineRun apart = machine::run_machine(isa::assemble(program(512, "in"), "apart.qasm"), dram, kTinySp, hw);
  CHECK(apart.instr[2].retire - apart.instr[2].issue == 23);
  CHECK(apart.bank_conflicts == 0);
  const machine::MachineRun shared = machine::run_machine(isa::assemble(program(128, "in"), "shared.qasm"), dram, kTinySp, hw);
  CHECK(shared.instr[2].retire - shared.instr[2].issue == 31);
  CHECK(shared.bank_conflicts == 8);
  for (const machine::MachineRun* r : {&apart, &shared}) expect_c(*r, 8);
}

TEST_CASE("machine cycles by hand: input-stationary, two columns filling a word in one step queue one behind the other", "[machine]") {
  // C[4][5] = A[4][4] . B[5][4]^T on 4x4, tile by tile. Input-stationary, one tile (M 4 = C, K 4 = R): A's
  // rows preload at steps 0-3, B's 5 rows stream at 4-8, and column c's result for row n of B leaves at
  // 4 + n + 3 + c: 15 steps, N + 2R + C - 2. Weight-stationary the same GEMM is 2 tiles of M + 2R + C - 2, 28,
  // and a cycle for tile 0's drain of row 3 (bytes 60-75 of C) across two words: 29.
  std::vector<uint8_t> dram(1024, 0);
  const std::vector<int8_t> a = random_i8(16, -128, 127, 13), b = random_i8(20, -128, 127, 14);
  std::memcpy(dram.data(), a.data(), 16);
  std::memcpy(dram.data() + 64, b.data(), 20);
  auto program = [](int c) {
    const std::string at = std::to_string(c);
    return "load dtype=i8 rows=4 cols=4 dram=0 dram_stride=4 sp=in addr=0 stride=4\n"
           "load signal=ar dtype=i8 rows=5 cols=4 dram=64 dram_stride=4 sp=wt addr=0 stride=4\n"
           "gemm wait=ld signal=st a_sp=in a=0 a_type=i8 b_sp=wt b=0 b_type=i8 c=" + at + " m=4 k=4 n=5\n"
           "store wait=ar dtype=i32 rows=4 cols=5 dram=128 dram_stride=20 sp=acc addr=" + at + " stride=20\n";
  };
  auto expect_c = [&](const machine::MachineRun& r) {
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 5; ++j) {
        int64_t s = 0;
        for (int x = 0; x < 4; ++x) s += a[static_cast<size_t>(i * 4 + x)] * b[static_cast<size_t>(j * 4 + x)];
        INFO("C[" << i << "][" << j << "]");
        CHECK(le(r.dram, static_cast<size_t>(128 + (i * 5 + j) * 4), 4, true) == s);
      }
  };
  model::HwConfig hw = tiny_hw();
  const machine::MachineRun ws = machine::run_machine(isa::assemble(program(0), "ws.qasm"), dram, kTinySp, hw);
  CHECK(ws.instr[2].retire - ws.instr[2].issue == 29);
  expect_c(ws);
  hw.array.dataflow = model::Dataflow::is;
  // C at 0: rows of 20 bytes, 0-79; row 3 (column 3) crosses into word 1 after its first result. Column c
  // queues its word when its result for row 4 of B leaves (step 11 + c), column 3 also its first word (step
  // 10): never two in one step, each written as it is queued: 15.
  const machine::MachineRun flat = machine::run_machine(isa::assemble(program(0), "is.qasm"), dram, kTinySp, hw);
  CHECK(flat.instr[2].retire - flat.instr[2].issue == 15);
  expect_c(flat);
  // C at 60: row 0 crosses after its first result (step 7), row 3 after its second (step 4 + 1 + 3 + 3 = 11),
  // the same step as row 0's last word. The queue writes one word a cycle: 11 row 0's, 12 row 3's, 13 row 1's
  // (queued at 12), 14 row 2's, and row 3's last (queued at 14) at 15, one cycle past the array: 16.
  const machine::MachineRun queued = machine::run_machine(isa::assemble(program(60), "is60.qasm"), dram, kTinySp, hw);
  CHECK(queued.instr[2].retire - queued.instr[2].issue == 16);
  CHECK(queued.bank_conflicts == 0);
  expect_c(queued);
}

TEST_CASE("machine: GEMMs of odd shapes on every dataflow equal the int64 triple loop", "[machine]") {
  struct Shape {
    int64_t m, k, n, rows, cols;
  };
  // int8 or packed int4 weights (two a byte, low nibble first); accumulating onto a loaded block or
  // overwriting it; with the ones column of a group-wise GEMM (column N: the row sums of A)
  struct Variant {
    bool int4, accumulate, ones;
  };
  for (const Shape& g : std::vector<Shape>{{66, 192, 144, 16, 16}, {50, 17, 16, 3, 16}, {5, 13, 7, 4, 4}, {17, 40, 33, 4, 4}, {3, 70, 9, 3, 5}, {40, 9, 2, 8, 2}})
    for (const Variant& v : std::vector<Variant>{{false, true, false}, {true, false, true}, {true, true, false}, {false, false, true}})
      for (const model::Dataflow df : {model::Dataflow::ws, model::Dataflow::os, model::Dataflow::is})
        for (const bool overlap : {true, false}) {
          INFO("M " << g.m << " K " << g.k << " N " << g.n << " on " << g.rows << "x" << g.cols << " dataflow " << static_cast<int>(df)
                    << " overlap " << overlap << " int4 " << v.int4 << " accumulate " << v.accumulate << " ones " << v.ones);
          model::HwConfig hw;
          hw.array.rows = g.rows, hw.array.cols = g.cols, hw.array.dataflow = df, hw.array.overlap = overlap;
          const std::vector<int8_t> a = random_i8(static_cast<size_t>(g.m * g.k), -128, 127, 21);
          const std::vector<int8_t> b = v.int4 ? random_i8(static_cast<size_t>(g.n * g.k), -8, 7, 22) : random_i8(static_cast<size_t>(g.n * g.k), -128, 127, 22);
          const int64_t cw = g.n + v.ones, b_row = v.int4 ? (g.k + 1) / 2 : g.k;
          std::vector<uint8_t> b_bytes(static_cast<size_t>(g.n * b_row), 0);
          for (int64_t j = 0; j < g.n; ++j)
            for (int64_t x = 0; x < g.k; ++x) {
              const uint8_t e = static_cast<uint8_t>(b[static_cast<size_t>(j * g.k + x)]);
              if (v.int4) b_bytes[static_cast<size_t>(j * b_row + x / 2)] |= static_cast<uint8_t>((e & 0xF) << (4 * (x % 2)));
              else b_bytes[static_cast<size_t>(j * b_row + x)] = e;
            }
          std::vector<int32_t> c0(static_cast<size_t>(g.m * cw));
          for (size_t i = 0; i < c0.size(); ++i) c0[i] = static_cast<int32_t>(i * 2654435761u) >> 8;  // in the block before the GEMM
          const int64_t a_at = 0, b_at = 65536, c_at = 131072, out_at = 262144;
          std::vector<uint8_t> dram(393216, 0);
          std::memcpy(dram.data() + a_at, a.data(), a.size());
          std::memcpy(dram.data() + b_at, b_bytes.data(), b_bytes.size());
          std::memcpy(dram.data() + c_at, c0.data(), c0.size() * 4);
          const std::string M = std::to_string(g.m), K = std::to_string(g.k), N = std::to_string(g.n), CW = std::to_string(cw),
                            CW4 = std::to_string(4 * cw), BT = v.int4 ? "i4" : "i8";
          const std::string text =
              "load dtype=i8 rows=" + M + " cols=" + K + " dram=" + std::to_string(a_at) + " dram_stride=" + K + " sp=in addr=0 stride=" + K + "\n" +
              "load dtype=" + BT + " rows=" + N + " cols=" + K + " dram=" + std::to_string(b_at) + " dram_stride=" + std::to_string(b_row) +
              " sp=wt addr=0 stride=" + std::to_string(b_row) + "\n" + "load signal=ar dtype=i32 rows=" + M + " cols=" + CW +
              " dram=" + std::to_string(c_at) + " dram_stride=" + CW4 + " sp=acc addr=0 stride=" + CW4 + "\n" +
              "gemm wait=ld signal=st a_sp=in a=0 a_type=i8 b_sp=wt b=0 b_type=" + BT + " c=0 m=" + M + " k=" + K + " n=" + N +
              " accumulate=" + (v.accumulate ? "1" : "0") + " ones=" + (v.ones ? "1" : "0") + "\n" + "store wait=ar dtype=i32 rows=" + M +
              " cols=" + CW + " dram=" + std::to_string(out_at) + " dram_stride=" + CW4 + " sp=acc addr=0 stride=" + CW4 + "\n";
          const machine::MachineRun r = machine::run_machine(isa::assemble(text, "gemm.qasm"), dram, {65536, 65536, 65536}, hw);
          int64_t wrong = 0;
          for (int64_t i = 0; i < g.m; ++i)
            for (int64_t j = 0; j < cw; ++j) {
              int64_t s = v.accumulate ? c0[static_cast<size_t>(i * cw + j)] : 0;
              for (int64_t x = 0; x < g.k; ++x) s += a[static_cast<size_t>(i * g.k + x)] * (j < g.n ? b[static_cast<size_t>(j * g.k + x)] : 1);
              wrong += le(r.dram, static_cast<size_t>(out_at + (i * cw + j) * 4), 4, true) != s;
            }
          CHECK(wrong == 0);
        }
}

TEST_CASE("machine cycles by hand: an accumulator row wider than the SRAM word holds the array a cycle per extra word", "[machine]") {
  std::vector<uint8_t> dram(256, 0);
  const std::vector<int8_t> a = random_i8(32, -128, 127, 3), b = random_i8(32, -128, 127, 4);
  std::memcpy(dram.data(), a.data(), 32);
  std::memcpy(dram.data() + 64, b.data(), 32);
  const std::vector<isa::Instr> code = isa::assemble(kGemmProgram, "gemm.qasm");
  model::HwConfig hw = tiny_hw();
  // 16-byte words: a drained row of C = 4 int32 is one word, a K tile's piece of a row of A (4 bytes at 8r or
  // 8r + 4) and of B stay in one: the closed form, 2 * (4 + 8 + 4 - 2) = 28.
  hw.memory.word_bytes = 16;
  const machine::MachineRun w16 = machine::run_machine(code, dram, kTinySp, hw);
  CHECK(w16.instr[2].retire - w16.instr[2].issue == 28);
  // 8-byte words: each drained row spans two, and the array holds its step a cycle for the second: 4 rows of
  // 2 tiles, 28 + 8 = 36. Nothing else the array reads crosses a word.
  hw.memory.word_bytes = 8;
  const machine::MachineRun w8 = machine::run_machine(code, dram, kTinySp, hw);
  CHECK(w8.instr[2].retire - w8.instr[2].issue == 36);
  CHECK(w8.units[2].busy == 36);
  for (const machine::MachineRun* r : {&w16, &w8})
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) {
        int64_t s = 0;
        for (int x = 0; x < 8; ++x) s += a[static_cast<size_t>(i * 8 + x)] * b[static_cast<size_t>(j * 8 + x)];
        CHECK(le(r->dram, static_cast<size_t>(128 + (i * 4 + j) * 4), 4, true) == s);
      }
  // the default word: one drained row of the array, at least 64 bytes
  CHECK(tiny_hw().sram_word_bytes() == 64);
  model::HwConfig wide;
  wide.array.rows = wide.array.cols = 32;
  CHECK(wide.sram_word_bytes() == 128);
}

TEST_CASE("machine cycles by hand: the array and its weight port share a bank, and the weights wait", "[machine]") {
  model::HwConfig hw = tiny_hw();
  hw.array.overlap = true;
  std::vector<uint8_t> dram(1024, 0);
  const std::vector<int8_t> a = random_i8(80, -128, 127, 7), b = random_i8(32, -128, 127, 8);
  std::memcpy(dram.data(), a.data(), 80);
  std::memcpy(dram.data() + 128, b.data(), 32);
  auto program = [](int b_addr) {
    return std::string("load dtype=i8 rows=10 cols=8 dram=0 dram_stride=8 sp=in addr=0 stride=8\n") +
           "load signal=ar dtype=i8 rows=4 cols=8 dram=128 dram_stride=8 sp=in addr=" + std::to_string(b_addr) + " stride=8\n" +
           "gemm wait=ld signal=st a_sp=in a=0 a_type=i8 b_sp=in b=" + std::to_string(b_addr) + " b_type=i8 c=0 m=10 k=8 n=4\n" +
           "store wait=ar dtype=i32 rows=10 cols=4 dram=512 dram_stride=16 sp=acc addr=0 stride=16\n";
  };
  // B in the activation scratchpad's other bank: M 10 = 2R + C - 2, no hazard binds, T * M + 2R + C - 2 = 30.
  // Tile 0 preloads at 0-3 and streams at 4-13; tile 1 preloads into the second buffer at 4-7, beside tile 0's
  // stream, streams at 14-23 and its last row leaves at 29.
  const machine::MachineRun apart = machine::run_machine(isa::assemble(program(512), "apart.qasm"), dram, kTinySp, hw);
  CHECK(apart.instr[2].retire - apart.instr[2].issue == 30);
  CHECK(apart.bank_conflicts == 0);
  // B in bank 0 beside A: tile 0's stream reads bank 0 at 4-13 and wins it; tile 1's preload loses those 10
  // cycles, loads at 14-17 and its stream starts at 18 instead of 14: 34.
  const machine::MachineRun shared = machine::run_machine(isa::assemble(program(128), "shared.qasm"), dram, kTinySp, hw);
  CHECK(shared.instr[2].retire - shared.instr[2].issue == 34);
  CHECK(shared.bank_conflicts == 10);
  CHECK(shared.units[2].conflicts == 10);
  for (const machine::MachineRun* r : {&apart, &shared})
    for (int i = 0; i < 10; ++i)
      for (int j = 0; j < 4; ++j) {
        int64_t s = 0;
        for (int x = 0; x < 8; ++x) s += a[static_cast<size_t>(i * 8 + x)] * b[static_cast<size_t>(j * 8 + x)];
        INFO("C[" << i << "][" << j << "]");
        CHECK(le(r->dram, static_cast<size_t>(512 + (i * 4 + j) * 4), 4, true) == s);
      }
}

TEST_CASE("machine cycles by hand: a row of A straddling two SRAM words holds the array a cycle, a padded stride none", "[machine]") {
  const model::HwConfig hw = tiny_hw();  // 4x4, tile by tile: T * (M + 2R + C - 2)
  std::vector<uint8_t> dram(1024, 0xAB);  // the padding bytes on chip: garbage that must not be read
  std::vector<uint16_t> a(8 * 13);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<uint16_t>((i * 2654435761u >> 7) % 1000);
  const std::vector<int8_t> b = random_i8(4 * 13, -128, 127, 9);
  std::memcpy(dram.data(), a.data(), 8 * 26);
  std::memcpy(dram.data() + 256, b.data(), 4 * 13);
  auto program = [](int stride) {
    const std::string st = std::to_string(stride ? stride : 26);
    return std::string("load dtype=u8 rows=1 cols=256 dram=768 dram_stride=256 sp=in addr=0 stride=256\n") +
           "load dtype=u16 rows=8 cols=13 dram=0 dram_stride=26 sp=in addr=0 stride=" + st + "\n" +
           "load signal=ar dtype=i8 rows=4 cols=13 dram=256 dram_stride=13 sp=wt addr=0 stride=13\n" +
           "gemm wait=ld signal=st a_sp=in a=0 a_type=u16 a_stride=" + std::to_string(stride) +
           " b_sp=wt b=0 b_type=i8 c=0 m=8 k=13 n=4\n" +
           "store wait=ar dtype=i32 rows=8 cols=4 dram=512 dram_stride=16 sp=acc addr=0 stride=16\n";
  };
  // K 13 in 4 tiles of 4 PE steps (8 bytes of a u16 row; 2 in the last): T = 4, 4 * (8 + 8 + 4 - 2) = 72.
  // Packed rows of 26 bytes: tile 1's pieces start at 26r + 8, rows 2 (60) and 7 (190 = 2 * 64 + 62) cross a
  // 64-byte word; no other tile's do. Each costs its stream step a second cycle: 74.
  const machine::MachineRun packed = machine::run_machine(isa::assemble(program(0), "packed.qasm"), dram, kTinySp, hw);
  CHECK(packed.instr[3].retire - packed.instr[3].issue == 74);
  // Rows 32 bytes apart: every piece starts on a multiple of 8 and stays in its word: the closed form.
  const machine::MachineRun padded = machine::run_machine(isa::assemble(program(32), "padded.qasm"), dram, kTinySp, hw);
  CHECK(padded.instr[3].retire - padded.instr[3].issue == 72);
  for (const machine::MachineRun* r : {&packed, &padded})
    for (int i = 0; i < 8; ++i)
      for (int j = 0; j < 4; ++j) {
        int64_t s = 0;
        for (int x = 0; x < 13; ++x) s += int64_t{a[static_cast<size_t>(i * 13 + x)]} * b[static_cast<size_t>(j * 13 + x)];
        INFO("C[" << i << "][" << j << "]");
        CHECK(le(r->dram, static_cast<size_t>(512 + (i * 4 + j) * 4), 4, true) == s);
      }
}

TEST_CASE("machine: a GEMM whose operand rows overlap is refused, naming the instruction and the stride", "[machine]") {
  std::vector<uint8_t> dram(256, 0);
  std::string text = kGemmProgram;
  // rows of A are 8 bytes: a stride of 4 would read each row's second half as the next row's first
  text.replace(text.find("c=0 m=4"), 3, "a_stride=4 c=0");
  const std::vector<isa::Instr> code = isa::assemble(text, "overlap.qasm");
  CHECK_THROWS_WITH(machine::run_machine(code, dram, kTinySp, tiny_hw()),
                    Catch::Contains("instruction 2") && Catch::Contains("field a_stride: rows of 8 bytes overlap at a stride of 4"));
  // the reference semantics refuse it too
  isa::Memories m;
  m.dram = dram;
  for (auto& sp : m.sp) sp.assign(1024, 0);
  CHECK_THROWS_WITH(isa::execute(code[2], m, 2), Catch::Contains("overlap at a stride of 4"));
}

TEST_CASE("machine: a missing token shows as wrong bytes", "[machine]") {
  std::vector<uint8_t> dram(256, 0);
  const std::vector<int8_t> a = random_i8(32, 1, 100, 3), b = random_i8(32, 1, 100, 4);  // every product > 0
  std::memcpy(dram.data(), a.data(), 32);
  std::memcpy(dram.data() + 64, b.data(), 32);
  std::string text = kGemmProgram;
  text.replace(text.find("gemm wait=ld"), 12, "gemm wait=-");
  text.replace(text.find("load signal=ar"), 14, "load signal=-");
  const machine::MachineRun r = machine::run_machine(isa::assemble(text, "fault.qasm"), dram, kTinySp, tiny_hw());
  // the GEMM issued before its operands landed: it multiplied the scratchpads' zeros
  CHECK(r.instr[2].issue < r.instr[0].retire);
  CHECK(le(r.dram, 128, 4, true) == 0);
}

namespace {
// Shiftmax over X1 (2 rows) and ShiftGELU over X2 (3 rows), independent, loaded by two loads; X2 at in:x2.
std::string rows_program(int x2) {
  return "load dtype=i8 rows=2 cols=8 dram=0 dram_stride=8 sp=in addr=0 stride=8\n"
         "load signal=sm|gl dtype=i8 rows=3 cols=8 dram=64 dram_stride=8 sp=in addr=" + std::to_string(x2) + " stride=8\n"
         "shiftmax wait=ld signal=st x_sp=in x=0 x_type=i8 o_sp=acc o=0 o_type=u16 rows=2 cols=8 imm=-25 bits=16 num=0\n"
         "shiftgelu wait=ld signal=st x_sp=in x=" + std::to_string(x2) + " x_type=i8 o_sp=acc o=512 o_type=i16 rows=3 cols=8 imm=-17 num=0\n"
         "store wait=sm dtype=u16 rows=2 cols=8 dram=256 dram_stride=16 sp=acc addr=0 stride=16\n"
         "store wait=gl dtype=i16 rows=3 cols=8 dram=320 dram_stride=16 sp=acc addr=512 stride=16\n";
}
machine::MachineRun run_rows(int x2, const std::vector<int8_t>& x) {
  std::vector<uint8_t> dram(512, 0);
  std::memcpy(dram.data(), x.data(), 16);
  std::memcpy(dram.data() + 64, x.data() + 16, 24);
  const machine::MachineRun r = machine::run_machine(isa::assemble(rows_program(x2), "rows.qasm"), dram, kTinySp, tiny_hw());
  std::vector<int64_t> xv(8), out(8);
  for (int row = 0; row < 5; ++row) {
    for (int j = 0; j < 8; ++j) xv[static_cast<size_t>(j)] = x[static_cast<size_t>(row * 8 + j)];
    const bool sm = row < 2;
    if (sm) golden::shiftmax_row_int(xv.data(), 8, -25, 16, golden::Numerator::pow2_31, out.data());
    else golden::shiftgelu_row_int(xv.data(), 8, -17, golden::Numerator::pow2_31, out.data());
    for (int j = 0; j < 8; ++j) {
      INFO("row " << row << " column " << j);
      CHECK(le(r.dram, static_cast<size_t>((sm ? 256 + row * 16 : 320 + (row - 2) * 16) + j * 2), 2, !sm) == out[static_cast<size_t>(j)]);
    }
  }
  return r;
}
}  // namespace

TEST_CASE("machine cycles by hand: two independent ops overlap, and a bank conflict costs one cycle", "[machine]") {
  const std::vector<int8_t> x = random_i8(40, -50, 50, 5);
  const model::HwConfig hw = tiny_hw();
  const std::vector<isa::Instr> code = isa::assemble(rows_program(512), "rows.qasm");
  CHECK(machine::compute_cycles(code[2], hw) == 2 * (3 * 2 + 32));  // Shiftmax: 3 passes of 8/4 beats and a division per row
  CHECK(machine::compute_cycles(code[3], hw) == 3 * (2 * 2 + 32));  // ShiftGELU: 2 passes and the divider per row
  // X2 in bank 1. Loads: X1 channel 2-3, lands 14; X2 channel 4-6, lands 4 + 3 + 10 = 17: both units issue at 17
  // and read at 18. Shiftmax computes 19-94, writes 95; its store reads 96, channel 97-100, retires 111.
  // ShiftGELU computes 19-126, writes 127; its store issues 127, reads 128, channel 129-134, retires 145.
  // Alone the ShiftGELU path takes 144 cycles (its load alone on the channel lands at 15) and the Shiftmax path
  // 109: together 146, the longer path and the 2 cycles X2's load waits behind X1's on the channel.
  const machine::MachineRun apart = run_rows(512, x);
  CHECK(apart.instr[2].issue == 17);
  CHECK(apart.instr[3].issue == 17);
  CHECK(apart.instr[2].retire == 95);
  CHECK(apart.instr[3].retire == 127);
  CHECK(apart.instr[4].retire == 111);
  CHECK(apart.cycles == 146);
  CHECK(apart.bank_conflicts == 0);
  // X2 in bank 0 beside X1: both read bank 0 at 18; Shiftmax (ahead in queue order) gets it, ShiftGELU reads
  // at 19 and everything after it moves one cycle.
  const machine::MachineRun shared = run_rows(64, x);
  CHECK(shared.bank_conflicts == 1);
  CHECK(shared.units[5].conflicts == 1);
  CHECK(shared.instr[3].retire == 128);
  CHECK(shared.cycles == 147);
}

TEST_CASE("machine cycles by hand: a DMA starved at 1 byte a cycle stalls the unit by the shortfall", "[machine]") {
  model::HwConfig hw = tiny_hw();
  hw.memory.dram_bytes_per_cycle = 1;
  hw.memory.dram_latency_cycles = 5;
  std::vector<uint8_t> dram(2048, 0);
  const std::vector<int8_t> x = random_i8(256, -50, 50, 6);
  std::memcpy(dram.data(), x.data(), 256);
  const std::vector<isa::Instr> code = isa::assemble(
      "load signal=gl dtype=i8 rows=4 cols=64 dram=0 dram_stride=64 sp=in addr=0 stride=64\n"
      "shiftgelu wait=ld signal=st x_sp=in x=0 x_type=i8 o_sp=acc o=0 o_type=i16 rows=4 cols=64 imm=-17 num=0\n"
      "store wait=gl dtype=i16 rows=4 cols=64 dram=1024 dram_stride=128 sp=acc addr=0 stride=128\n",
      "starved.qasm");
  const machine::MachineRun r = machine::run_machine(code, dram, kTinySp, hw);
  // The load holds the channel 2-257 (256 bytes); its last word lands 2 + 256 + 5 = 263. ShiftGELU, fetched at 1,
  // stalls 1-263 (263 cycles: the 256 bytes, the latency, the cycle of issue and the first one on the channel),
  // reads its 4 words 264-267 and computes its 4 * (2 * 16 + 32) = 256 steps 265-520 as they arrive; its 8 result
  // words follow every 32 steps, the last at 521. The store reads 522-529, holds the channel 530-1041 and
  // retires 1047.
  CHECK(r.units[5].stall == 263);
  CHECK(r.units[5].busy == 521 - 264 + 1);
  CHECK(r.instr[1].retire == 521);
  CHECK(r.cycles == 1048);
  CHECK(r.units[5].idle == 1048 - 263 - 258);
  CHECK(r.dram_busy == 256 + 512);
  std::vector<int64_t> xv(64), out(64);
  for (int row = 0; row < 4; ++row) {
    for (int j = 0; j < 64; ++j) xv[static_cast<size_t>(j)] = x[static_cast<size_t>(row * 64 + j)];
    golden::shiftgelu_row_int(xv.data(), 64, -17, golden::Numerator::pow2_31, out.data());
    for (int j = 0; j < 64; ++j) CHECK(le(r.dram, static_cast<size_t>(1024 + row * 128 + j * 2), 2, true) == out[static_cast<size_t>(j)]);
  }
}

TEST_CASE("machine: small scratchpads and no double buffering, still every tap exact", "[machine]") {
  const sim::Config c = sim::load_config(std::string(QTSIM_CONFIG_DIR) + "/deit_tiny_int8.yaml", {});
  const sim::Workload w = sim::build_workload(c);
  model::HwConfig h;
  h.memory.input_kib = 8, h.memory.weight_kib = 16, h.memory.acc_kib = 8, h.memory.banks = 2;
  const machine::MachineRun two = check_machine(w.lowered.program, w.lowered.inputs, h);
  h.memory.double_buffer = false;
  h.memory.banks = 1;
  const machine::MachineRun one = check_machine(w.lowered.program, w.lowered.inputs, h);
  CHECK(one.cycles > two.cycles);  // one slot per buffer: loads wait for the computes that free it
}

TEST_CASE("machine: a flipped weight bit in DRAM changes one accumulator column by A[m][k] times the bit's weight", "[machine]") {
  const int64_t M = 21, K = 30, N = 13, row = 5, col = 17;
  const golden::Lowered l = golden::lower_gemm(M, K, N, 2);
  model::HwConfig h;
  h.memory.input_kib = 8, h.memory.weight_kib = 16, h.memory.acc_kib = 8, h.memory.banks = 2;
  const compiler::Compiled c = compiler::compile(l.program, l.inputs, h);
  const golden::ITensor gold = golden::run_program(l.program, l.inputs).at("acc");
  for (int bit : {0, 6, 7}) {
    INFO("bit " << bit);
    std::vector<uint8_t> dram = c.dram;
    compiler::apply_fault(c, dram, compiler::parse_fault("dram:w:" + std::to_string(row * K + col) + ":" + std::to_string(bit)));
    const machine::MachineRun r = machine::run_machine(c.code, dram, c.sp_bytes, h, c.probes);
    const golden::Taps t = compiler::read_taps(l.program, c, r.dram, r.probed);
    const int64_t w = l.program.consts.at("w")[row * K + col];
    const int64_t flipped = static_cast<int8_t>(static_cast<uint8_t>(w) ^ (1u << bit));
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) REQUIRE(t.at("acc")[i * N + j] == gold[i * N + j] + (j == row ? l.inputs.at("a")[i * K + col] * (flipped - w) : 0));
  }
}

TEST_CASE("machine: the next op's first loads run while the op before it computes", "[machine]") {
  // ln2's I-LayerNorm table does not depend on x2 (the residual before it); consecutive ops allocate from
  // opposite ends of the scratchpads, so the table's load shares no bytes with x2's buffers and issues
  // while x2 still runs, as soon as the load queue reaches it.
  const sim::Config c = sim::load_config(std::string(QTSIM_CONFIG_DIR) + "/deit_tiny_int8.yaml", {"workload.tokens=24"});
  const sim::Workload w = sim::build_workload(c);
  const compiler::Compiled comp = compiler::compile(w.lowered.program, w.lowered.inputs, c.hw);
  const machine::MachineRun r = machine::run_machine(comp.code, comp.dram, comp.sp_bytes, c.hw, comp.probes);
  const std::vector<machine::OpSpan> s = machine::op_spans(comp.op_index, comp.op_names.size(), r);
  auto at = [&](const std::string& name) {
    const auto it = std::find(comp.op_names.begin(), comp.op_names.end(), name);
    REQUIRE(it != comp.op_names.end());
    return s[static_cast<size_t>(it - comp.op_names.begin())];
  };
  CHECK(at("ln2").start < at("x2").end);
}
