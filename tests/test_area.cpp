// qtsim area: yosys synthesis of the RTL units, per-lane scaling, and the cache that lets sweeps reuse it.
#include <catch2/catch.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_test_util.hpp"

namespace fs = std::filesystem;

namespace {
int run(std::vector<std::string> args) { return qtsim::test::run_cli(std::move(args)); }
// The cached result of the requant unit at `lanes`.
nlohmann::json cached(const fs::path& dir, int lanes) {
  for (const auto& e : fs::directory_iterator(dir / "area")) {
    const std::string n = e.path().filename().string();
    if (n.rfind("qtsim_requant-LANES" + std::to_string(lanes) + "-", 0) == 0 && e.path().extension() == ".json")
      return nlohmann::json::parse(std::ifstream(e.path()));
  }
  FAIL("no cache entry for LANES " << lanes);
  return {};
}
}  // namespace

TEST_CASE("qtsim area synthesizes the requant lanes, scales per lane and caches by parameter set", "[sim][area][rtl]") {
  const fs::path dir = fs::temp_directory_path() / "qtsim_area_test";
  fs::remove_all(dir);
  setenv("QTSIM_CACHE_DIR", dir.c_str(), 1);
  REQUIRE(run({"area", "--unit", "ppu", "--set", "hw.ppu_lanes=1"}) == 0);
  REQUIRE(run({"area", "--unit", "ppu", "--set", "hw.ppu_lanes=2"}) == 0);
  const nlohmann::json one = cached(dir, 1), two = cached(dir, 2);
  for (const auto& j : {one, two}) {
    int64_t sum = 0;
    for (const auto& [cell, n] : j["by_type"].items()) sum += n.get<int64_t>();
    CHECK(sum == j["cells"].get<int64_t>());  // the per-type counts are the whole design
    CHECK(j["nand2_eq"].get<double>() > j["cells"].get<double>() * 0.67);
  }
  // Every lane is its own generate block; only the valid/enable pipeline and the clamp bounds are shared.
  const double ratio = two["cells"].get<double>() / one["cells"].get<double>();
  INFO("cells 1 lane " << one["cells"] << ", 2 lanes " << two["cells"]);
  CHECK(ratio > 1.85);
  CHECK(ratio <= 2.0);
  // flip-flops: per lane two terms of 64 + 32 + 6 + 6 + 96 x 5 (z, m, e twice, product, floor, remainder,
  // half, rounded), four 96-bit stages of the element ops and the 96-bit result; shared 5 valid bits
  // and 5 x LANES enables (qtsim_pipe_ctrl: reset, and enabled by the pipeline's advance, as every flop now)
  const int64_t per_lane = 2 * (64 + 32 + 6 + 6 + 96 * 5) + 4 * 96 + 96;
  auto flops = [](const nlohmann::json& j) {
    int64_t n = 0;
    for (const auto& [cell, count] : j["by_type"].items())
      if (cell.rfind("$_DFF", 0) == 0 || cell.rfind("$_SDFF", 0) == 0) n += count.get<int64_t>();
    return n;
  };
  CHECK(one["by_type"]["$_DFFE_PN0P_"].get<int64_t>() == 5 + 5);  // only the valid and enable pipeline has a reset
  CHECK(two["by_type"]["$_DFFE_PN0P_"].get<int64_t>() == 5 + 2 * 5);
  CHECK(flops(one) <= per_lane + 5 + 5);
  CHECK(flops(two) - flops(one) <= per_lane + 5);
  CHECK(flops(two) - flops(one) > per_lane / 2);

  // Sixteen lanes: extrapolated from the one- and two-lane syntheses (cached above: no yosys run), the
  // straight line through them.
  const std::string out = qtsim::test::scratch_in("qtsim_area_test_out", "area.json");
  {
    const std::string path = std::getenv("PATH");
    setenv("PATH", "/nonexistent", 1);
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {
      if (!std::freopen(out.c_str(), "w", stdout)) _exit(3);
      const int rc = run({"area", "--unit", "ppu", "--set", "hw.ppu_lanes=16", "--format", "json"});
      std::fflush(stdout);  // _exit does not flush
      _exit(rc);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    setenv("PATH", path.c_str(), 1);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
  }
  const nlohmann::json sixteen = nlohmann::json::parse(std::ifstream(out))["units"][0];
  CHECK(sixteen["cells"].get<int64_t>() == one["cells"].get<int64_t>() + 15 * (two["cells"].get<int64_t>() - one["cells"].get<int64_t>()));
  CHECK(sixteen["lanes_extrapolated_from"] == nlohmann::json::array({1, 2}));

  // Cached: a second run needs no yosys; without the cache and without yosys it fails with the fix.
  const std::string path = std::getenv("PATH");
  setenv("PATH", "/nonexistent", 1);
  CHECK(run({"area", "--unit", "ppu", "--set", "hw.ppu_lanes=2"}) == 0);
  CHECK(run({"area", "--unit", "ppu", "--set", "hw.ppu_lanes=2", "--no-cache"}) == 2);
  CHECK(run({"area", "--unit", "fpu"}) == 2);
  setenv("PATH", path.c_str(), 1);
  unsetenv("QTSIM_CACHE_DIR");
}
