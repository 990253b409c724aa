// The SystemC machine: every shipped layer's taps, read back from the DRAM image the machine leaves, equal
// the golden's bit for bit; small hand-written programs take the cycles derived by hand in each case.
#include <catch2/catch.hpp>

#include "golden/exec.hpp"
#include "models/compiler/compile.hpp"
#include "models/machine/machine.hpp"
#include "sim/config.hpp"

using namespace qtsim;

namespace {
machine::MachineRun check_machine(const golden::Program& p, const std::map<std::string, golden::ITensor>& inputs, const model::HwConfig& hw) {
  const golden::Taps gold = golden::run_program(p, inputs);
  const compiler::Compiled c = compiler::compile(p, inputs, hw);
  machine::MachineRun run = machine::run_machine(c.code, c.dram, c.sp_bytes, hw);
  CHECK(run.executed == static_cast<int64_t>(c.code.size()));
  const golden::Taps taps = compiler::read_taps(p, c, run.dram);
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
TEST_CASE("shipped fashion_vit (whole model) on the machine", "[machine][fashion]") { check_config("fashion_vit.yaml"); }
TEST_CASE("shipped layers deit_small_int8 and deit_base_int8 on the machine", "[machine][slow]") {
  check_config("deit_small_int8.yaml");
  check_config("deit_base_int8.yaml");
}
