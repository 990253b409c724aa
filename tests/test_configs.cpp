// The shipped configs are the regression matrix: each parses, lowers and runs on the golden.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "cli_test_util.hpp"
#include "golden/exec.hpp"
#include "models/units/accelerator.hpp"
#include "sim/cli.hpp"
#include "sim/config.hpp"

using namespace qtsim;
namespace fs = std::filesystem;

namespace {
void run_config(const std::string& name) {
  const std::string path = std::string(QTSIM_CONFIG_DIR) + "/" + name;
  const sim::Config c = sim::load_config(path, {});
  const sim::Workload w = sim::build_workload(c);
  const golden::Taps taps = golden::run_program(w.lowered.program, w.lowered.inputs);
  REQUIRE(taps.t.count(w.lowered.program.outputs.at(0)) == 1);
  if (std::find(c.run.executors.begin(), c.run.executors.end(), "model") == c.run.executors.end()) return;
  const model::ModelRun run = model::run_on_model(w.lowered.program, w.lowered.inputs, c.hw);
  for (const auto& name : taps.order) {
    INFO("tap " << name);
    REQUIRE(run.taps.at(name).data == taps.at(name).data);
  }
}
}  // namespace

TEST_CASE("shipped config deit_tiny_int8", "[sim][configs]") { run_config("deit_tiny_int8.yaml"); }
TEST_CASE("shipped config deit_tiny_int8_os", "[sim][configs]") { run_config("deit_tiny_int8_os.yaml"); }
TEST_CASE("shipped config deit_tiny_w4a8", "[sim][configs]") { run_config("deit_tiny_w4a8.yaml"); }
TEST_CASE("shipped config deit_tiny_w4a8_g32", "[sim][configs]") { run_config("deit_tiny_w4a8_g32.yaml"); }
TEST_CASE("shipped config deit_tiny_logsqrt2", "[sim][configs]") { run_config("deit_tiny_logsqrt2.yaml"); }
TEST_CASE("shipped config gemm_deit_tiny_qkv", "[sim][configs]") { run_config("gemm_deit_tiny_qkv.yaml"); }
TEST_CASE("shipped config deit_tiny_int8_is", "[sim][configs]") { run_config("deit_tiny_int8_is.yaml"); }
TEST_CASE("shipped config fashion_vit: the whole trained model on the accelerator, two real images", "[sim][configs][fashion]") {
  // qtsim run exits 0 only when, for both images, every tap of the model equals the golden's and the
  // predicted classes agree.
  const std::string path = std::string(QTSIM_CONFIG_DIR) + "/fashion_vit.yaml";
  const char* argv[] = {"qtsim", "run", path.c_str()};
  REQUIRE(sim::cli_main(3, argv) == 0);
}
TEST_CASE("fashion_vit refuses images past the test set, even where first_image + images overflows", "[sim][configs][fashion]") {
  // The 10,000 Fashion-MNIST test images: 9,999 is the last, and 2^63 - 2 plus 2 images wraps int64.
  const std::string path = std::string(QTSIM_CONFIG_DIR) + "/fashion_vit.yaml";
  for (const char* first : {"9999", "9223372036854775806"}) {
    const sim::Config c = sim::load_config(path, {std::string("workload.vit.first_image=") + first});
    CHECK_THROWS_WITH(sim::build_workload(c), Catch::Contains("reaches past the 10000 test images"));
  }
  const sim::Config last = sim::load_config(path, {"workload.vit.first_image=9998"});
  CHECK(sim::build_workload(last).vit);
}
TEST_CASE("fashion_vit refuses a test label that is not one of the model's classes, naming the file and the image", "[sim][configs][fashion]") {
  // A data folder of plain (uncompressed) IDX files, which the reader takes like gzip: one blank 28x28 image
  // for calibration, two test images labelled 3 and 10 (Fashion-MNIST's classes are 0-9).
  const fs::path dir = fs::temp_directory_path() / "qtsim_bad_labels";
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto idx = [&](const char* name, uint32_t magic, std::vector<uint32_t> dims, const std::string& data) {
    std::string h;
    for (const uint32_t v : std::vector<uint32_t>{magic, dims[0]}) h += {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
    for (size_t i = 1; i < dims.size(); ++i) h += {char(dims[i] >> 24), char(dims[i] >> 16), char(dims[i] >> 8), char(dims[i])};
    std::ofstream(dir / name, std::ios::binary) << h << data;
  };
  idx("train-images-idx3-ubyte.gz", 0x803, {1, 28, 28}, std::string(784, '\0'));
  idx("t10k-images-idx3-ubyte.gz", 0x803, {2, 28, 28}, std::string(2 * 784, '\0'));
  idx("t10k-labels-idx1-ubyte.gz", 0x801, {2}, std::string{char(3), char(10)});
  const std::string path = std::string(QTSIM_CONFIG_DIR) + "/fashion_vit.yaml";
  const sim::Config c = sim::load_config(path, {"workload.vit.data=" + dir.string(), "workload.vit.first_image=0"});
  CHECK_THROWS_WITH(sim::build_workload(c), Catch::Contains("t10k-labels-idx1-ubyte.gz: label 10 of test image 1 is not one of the model's 10 classes"));
}
TEST_CASE("fashion_vit with every unit as Verilated RTL: same taps, classes and cycles as the SystemC units", "[sim][configs][fashion][rtl]") {
  // Both runs exit 0 only when every tap equals the golden's and the classes agree; the reports must then
  // give the same cycles op by op.
  const std::string path = std::string(QTSIM_CONFIG_DIR) + "/fashion_vit.yaml";
  const fs::path dir = fs::temp_directory_path() / "qtsim_fashion_rtl";
  fs::remove_all(dir);
  REQUIRE(test::run_cli_forked({"run", path, "--out", (dir / "model").string()}) == 0);
  REQUIRE(test::run_cli_forked({"run", path, "--set", "run.impl=rtl", "--out", (dir / "rtl").string()}) == 0);
  const nlohmann::json a = nlohmann::json::parse(std::ifstream(dir / "model" / "report.json"));
  const nlohmann::json b = nlohmann::json::parse(std::ifstream(dir / "rtl" / "report.json"));
  CHECK(b["total_cycles"] == a["total_cycles"]);
  REQUIRE(a["ops"].size() == b["ops"].size());
  for (size_t i = 0; i < a["ops"].size(); ++i) {
    INFO("op " << a["ops"][i]["name"]);
    CHECK(b["ops"][i]["cycles"] == a["ops"][i]["cycles"]);
    CHECK(b["ops"][i]["compute_cycles"] == a["ops"][i]["compute_cycles"]);
  }
}
TEST_CASE("shipped config deit_tiny_mixed", "[sim][configs]") { run_config("deit_tiny_mixed.yaml"); }
TEST_CASE("shipped config deit_tiny_binary", "[sim][configs]") { run_config("deit_tiny_binary.yaml"); }
TEST_CASE("shipped config deit_small_int8", "[sim][configs][slow]") { run_config("deit_small_int8.yaml"); }
TEST_CASE("shipped config deit_base_int8", "[sim][configs][slow]") { run_config("deit_base_int8.yaml"); }

TEST_CASE("every file in configs/ has a test above", "[sim][configs]") {
  const std::set<std::string> tested{"deit_tiny_int8.yaml", "deit_tiny_int8_os.yaml", "deit_tiny_w4a8.yaml", "deit_tiny_w4a8_g32.yaml",
                                     "deit_tiny_logsqrt2.yaml", "gemm_deit_tiny_qkv.yaml", "deit_tiny_binary.yaml", "deit_small_int8.yaml",
                                     "deit_base_int8.yaml", "deit_tiny_mixed.yaml", "deit_tiny_int8_is.yaml", "fashion_vit.yaml"};
  for (const auto& e : std::filesystem::directory_iterator(QTSIM_CONFIG_DIR))
    if (e.path().extension() == ".yaml") CHECK(tested.count(e.path().filename().string()) == 1);
}
