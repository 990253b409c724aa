// The compiler's programs on the instruction set's reference semantics: every tensor of every shipped layer,
// read back from the DRAM image the program leaves, equals the golden's bit for bit, in program order and in
// random orders the dependency tokens allow; a missing token shows; a flipped DRAM bit changes exactly what a
// hand computation predicts; configurations that cannot be mapped are errors naming the key.
#include <catch2/catch.hpp>

#include "golden/exec.hpp"
#include "golden/lower.hpp"
#include "models/compiler/compile.hpp"
#include "models/isa/footprint.hpp"
#include "sim/config.hpp"

using namespace qtsim;

namespace {
// Every tap equal; returns the number of instructions.
size_t check_program(const golden::Program& p, const std::map<std::string, golden::ITensor>& inputs, const model::HwConfig& hw,
                     std::vector<uint64_t> seeds = {0, 1, 2}) {
  const golden::Taps gold = golden::run_program(p, inputs);
  const compiler::Compiled c = compiler::compile(p, inputs, hw);
  for (uint64_t seed : seeds) {
    INFO("seed " << seed);
    isa::FunctionalRun stats;
    const golden::Taps taps = compiler::run_reference(p, c, c.dram, seed, &stats);
    CHECK(stats.executed == static_cast<int64_t>(c.code.size()));
    CHECK(stats.unconsumed == 0);  // every token signalled is waited for
    REQUIRE(taps.order == gold.order);
    for (const auto& name : gold.order) {
      INFO("tap " << name);
      REQUIRE(taps.at(name).shape == gold.at(name).shape);
      REQUIRE(taps.at(name).data == gold.at(name).data);
    }
  }
  // the binary form decodes to the same program
  CHECK(isa::from_binary(isa::to_binary(c.code)) == c.code);
  return c.code.size();
}

void check_config(const std::string& name, const std::vector<std::string>& sets = {}) {
  const sim::Config c = sim::load_config(std::string(QTSIM_CONFIG_DIR) + "/" + name, sets);
  const sim::Workload w = sim::build_workload(c);
  check_program(w.lowered.program, w.lowered.inputs, c.hw);
}

model::HwConfig small_hw() {
  model::HwConfig h;
  h.memory.input_kib = 8, h.memory.weight_kib = 16, h.memory.acc_kib = 8, h.memory.banks = 2;
  return h;
}
}  // namespace

TEST_CASE("shipped layer deit_tiny_int8 on the instruction set", "[machine]") { check_config("deit_tiny_int8.yaml"); }
TEST_CASE("shipped layer deit_tiny_int8_os on the instruction set", "[machine]") { check_config("deit_tiny_int8_os.yaml"); }
TEST_CASE("shipped layer deit_tiny_int8_is on the instruction set", "[machine]") { check_config("deit_tiny_int8_is.yaml"); }
TEST_CASE("shipped layer deit_tiny_w4a8 on the instruction set", "[machine]") { check_config("deit_tiny_w4a8.yaml"); }
TEST_CASE("shipped layer deit_tiny_w4a8_g32 on the instruction set", "[machine]") { check_config("deit_tiny_w4a8_g32.yaml"); }
TEST_CASE("shipped layer deit_tiny_logsqrt2 on the instruction set", "[machine]") { check_config("deit_tiny_logsqrt2.yaml"); }
TEST_CASE("shipped layer deit_tiny_mixed on the instruction set", "[machine]") { check_config("deit_tiny_mixed.yaml"); }
TEST_CASE("shipped layer deit_tiny_binary on the instruction set", "[machine]") { check_config("deit_tiny_binary.yaml"); }
TEST_CASE("shipped gemm_deit_tiny_qkv on the instruction set", "[machine]") { check_config("gemm_deit_tiny_qkv.yaml"); }
TEST_CASE("shipped fashion_vit (whole model: embedding, blocks, head) on the instruction set", "[machine][fashion]") { check_config("fashion_vit.yaml"); }
TEST_CASE("shipped layers deit_small_int8 and deit_base_int8 on the instruction set", "[machine][slow]") {
  check_config("deit_small_int8.yaml");
  check_config("deit_base_int8.yaml");
}

TEST_CASE("small scratchpads: K split into slices, many blocks, still every tap exact", "[machine]") {
  // small scratchpads force K slices (fc2's 16 weight rows of 768 pass 8 KiB: accumulate), N and M blocks and
  // row blocks of every op
  const sim::Config c = sim::load_config(std::string(QTSIM_CONFIG_DIR) + "/deit_tiny_int8.yaml", {});
  const sim::Workload w = sim::build_workload(c);
  const size_t n = check_program(w.lowered.program, w.lowered.inputs, small_hw(), {0, 5});
  model::HwConfig big;
  CHECK(n > compiler::compile(w.lowered.program, w.lowered.inputs, big).code.size());
  // and without double buffering (one slot per buffer)
  model::HwConfig single = small_hw();
  single.memory.double_buffer = false;
  single.memory.banks = 1;
  check_program(w.lowered.program, w.lowered.inputs, single, {0, 9});
}

TEST_CASE("odd GEMM shapes and int4 weights map and compute exactly", "[machine]") {
  for (auto [m, k, n] : {std::array<int64_t, 3>{1, 1, 1}, {3, 5, 7}, {17, 33, 19}, {197, 64, 70}}) {
    INFO(m << "x" << k << "x" << n);
    const golden::Lowered l = golden::lower_gemm(m, k, n, 3);
    check_program(l.program, l.inputs, small_hw());
  }
}

TEST_CASE("a missing dependency token shows: the GEMM runs before its operands land", "[machine]") {
  const golden::Lowered l = golden::lower_gemm(40, 64, 48, 1);
  const golden::Taps gold = golden::run_program(l.program, l.inputs);
  compiler::Compiled c = compiler::compile(l.program, l.inputs, small_hw());
  for (isa::Instr& in : c.code)
    if (in.op == isa::Opcode::gemm) in[isa::F::wait] = 0;
  // Program order still works (the loads come first); some random order must not.
  CHECK(compiler::run_reference(l.program, c, c.dram, 0).at("acc").data == gold.at("acc").data);
  int wrong = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const golden::Taps t = compiler::run_reference(l.program, c, c.dram, seed);
    wrong += t.at("acc").data != gold.at("acc").data;
  }
  CHECK(wrong > 0);
}

TEST_CASE("a flipped weight bit changes one accumulator column by A[m][k] times the bit's weight, nothing else", "[machine]") {
  const int64_t M = 21, K = 30, N = 13, row = 5, col = 17;
  const golden::Lowered l = golden::lower_gemm(M, K, N, 2);
  const compiler::Compiled c = compiler::compile(l.program, l.inputs, small_hw());
  const golden::Taps clean = compiler::run_reference(l.program, c, c.dram);
  for (int bit : {0, 3, 7}) {
    INFO("bit " << bit);
    std::vector<uint8_t> dram = c.dram;
    compiler::apply_fault(c, dram, compiler::parse_fault("dram:w:" + std::to_string(row * K + col) + ":" + std::to_string(bit)));
    const golden::Taps t = compiler::run_reference(l.program, c, dram);
    // by hand: int8 w becomes w ^ (1 << bit) read as two's complement
    const int64_t w = l.program.consts.at("w")[row * K + col];
    const int64_t flipped = static_cast<int8_t>(static_cast<uint8_t>(w) ^ (1u << bit));
    const golden::ITensor& acc0 = clean.at("acc");
    const golden::ITensor& acc1 = t.at("acc");
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        const int64_t expect = acc0[i * N + j] + (j == row ? l.inputs.at("a")[i * K + col] * (flipped - w) : 0);
        REQUIRE(acc1[i * N + j] == expect);
      }
    CHECK(t.at("a").data == clean.at("a").data);  // the input tensor is untouched
  }
}

TEST_CASE("faults name what is wrong", "[machine]") {
  const golden::Lowered l = golden::lower_gemm(4, 8, 4, 2);
  const compiler::Compiled c = compiler::compile(l.program, l.inputs, small_hw());
  std::vector<uint8_t> dram = c.dram;
  CHECK_THROWS_WITH(compiler::apply_fault(c, dram, compiler::parse_fault("dram:nope:0:0")), Catch::Contains("no tensor 'nope'"));
  CHECK_THROWS_WITH(compiler::apply_fault(c, dram, compiler::parse_fault("dram:w:32:0")), Catch::Contains("has 32 elements"));
  CHECK_THROWS_WITH(compiler::apply_fault(c, dram, compiler::parse_fault("dram:w:0:8")), Catch::Contains("has 8 bits"));
  CHECK_THROWS_WITH(compiler::parse_fault("sram:w:0:1"), Catch::Contains("dram:TENSOR:ELEMENT:BIT"));
  CHECK_THROWS_WITH(compiler::parse_fault("dram:w:x:1"), Catch::Contains("element 'x'"));
  CHECK(dram == c.dram);  // nothing flipped by the refused faults
}

TEST_CASE("accumulator slots on banks of their own never refuse a config that maps packed", "[machine]") {
  // The tiles do not depend on the bank count; on one bank the two slots are packed. So every accumulator size
  // that maps on one bank must map on eight, the slots put apart only where the requant's blocks still fit.
  int mapped = 0;
  for (const char* name : {"deit_tiny_int8.yaml", "deit_tiny_w4a8.yaml", "deit_tiny_logsqrt2.yaml", "deit_tiny_binary.yaml"}) {
    const sim::Config cfg = sim::load_config(std::string(QTSIM_CONFIG_DIR) + "/" + name, {"workload.tokens=20"});
    const sim::Workload w = sim::build_workload(cfg);
    for (int64_t kib = 2; kib <= 62; kib += 6) {  // even: banks of whole words on the 64x64 array too
      model::HwConfig h = cfg.hw;
      h.memory.acc_kib = kib;
      h.memory.banks = 1;  // with double buffering, which qtsim's configs refuse on one bank: the slots packed
      bool packed = true;
      try {
        compiler::compile(w.lowered.program, w.lowered.inputs, h);
      } catch (const compiler::MapError&) {
        packed = false;
      }
      if (!packed) continue;
      ++mapped;
      h.memory.banks = 8;
      INFO(name << ", acc_kib " << kib);
      CHECK_NOTHROW(compiler::compile(w.lowered.program, w.lowered.inputs, h));
    }
  }
  CHECK(mapped > 20);
}

TEST_CASE("configurations the compiler cannot map are errors naming the key", "[machine]") {
  const sim::Config cfg = sim::load_config(std::string(QTSIM_CONFIG_DIR) + "/deit_tiny_int8.yaml", {});
  const sim::Workload w = sim::build_workload(cfg);
  model::HwConfig h;
  h.memory.input_kib = 1;  // an I-LayerNorm row (192 int16 in; 768 bytes of int32 out in acc) twice over is more than 1 KiB
  CHECK_THROWS_WITH(compiler::compile(w.lowered.program, w.lowered.inputs, h),
                    Catch::Contains("hw.memory.input_kib") && Catch::Contains("one row (384 bytes) of op ln1"));
  h = model::HwConfig{};
  h.memory.banks = 3;
  CHECK_THROWS_WITH(compiler::compile(w.lowered.program, w.lowered.inputs, h), Catch::Contains("hw.memory.banks"));
  h = model::HwConfig{};
  h.memory.banks = 64;  // 1 KiB banks of the 64 KiB scratchpads
  h.memory.word_bytes = 2048;
  CHECK_THROWS_WITH(compiler::compile(w.lowered.program, w.lowered.inputs, h),
                    Catch::Contains("hw.memory.word_bytes") && Catch::Contains("a bank of 1024 bytes"));
  h = model::HwConfig{};
  h.memory.acc_kib = 16384;
  CHECK_THROWS_WITH(compiler::compile(w.lowered.program, w.lowered.inputs, h), Catch::Contains("24-bit"));
}

TEST_CASE("program.qasm assembles back to the program and dram_map.json lists every tensor", "[machine]") {
  const golden::Lowered l = golden::lower_gemm(20, 16, 24, 1);
  const compiler::Compiled c = compiler::compile(l.program, l.inputs, small_hw());
  CHECK(isa::assemble(compiler::program_text(c), "program.qasm") == c.code);
  const std::string map = compiler::dram_map_json(c);
  for (const char* name : {"\"a\"", "\"w\"", "\"acc\"", "\"out\"", "\"gemm.bias\""}) CHECK_THAT(map, Catch::Contains(name));
  CHECK(c.tensor("a").role == "input");
  CHECK(c.tensor("w").role == "weight");
  CHECK(c.tensor("out").role == "output");
  CHECK(c.tensor("acc").role == "intermediate");
  // tensors do not overlap
  for (size_t i = 1; i < c.map.size(); ++i) CHECK(c.map[i].addr >= c.map[i - 1].addr + c.map[i - 1].bytes);
}

TEST_CASE("a GEMM's requant runs on its accumulator tiles on chip: only the requantized outputs are stored", "[machine]") {
  const int64_t M = 40, K = 64, N = 48;
  const golden::Lowered l = golden::lower_gemm(M, K, N, 3);
  const compiler::Compiled c = compiler::compile(l.program, l.inputs, small_hw());
  const compiler::DramTensor& acc = c.tensor("acc");
  CHECK(acc.on_chip);
  int64_t stored = 0;
  for (const isa::Instr& in : c.code) {
    if (in.op != isa::Opcode::load && in.op != isa::Opcode::store) continue;
    const isa::Footprint f = isa::footprint(in);
    CHECK((f.dram_hi <= acc.addr || f.dram_lo >= acc.addr + acc.bytes));  // nothing moves the accumulators' home
    if (in.op == isa::Opcode::store) stored += f.dram_bytes;
  }
  CHECK(stored == M * N);  // by hand: the int8 outputs, one byte each, and nothing else
  CHECK(!c.probes.empty());
  check_program(l.program, l.inputs, small_hw());  // the accumulators read through the probes equal the golden's
  std::vector<uint8_t> dram = c.dram;
  CHECK_THROWS_WITH(compiler::apply_fault(c, dram, compiler::parse_fault("dram:acc:0:0")), Catch::Contains("stays on chip"));
}
