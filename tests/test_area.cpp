// qtsim area: yosys synthesis of the RTL units, per-lane scaling, and the cache that lets sweeps reuse it.
#include <catch2/catch.hpp>
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
  REQUIRE(run({"area", "--set", "hw.ppu_lanes=1"}) == 0);
  REQUIRE(run({"area", "--set", "hw.ppu_lanes=2"}) == 0);
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
  // flip-flops: per lane 32 + 32 + 6 + 6 + 64 x 6 (z, m, e twice, product, floor, remainder, half, rounded,
  // result), shared 5 valid bits and 5 x LANES enables
  const int64_t per_lane = 32 + 32 + 6 + 6 + 64 * 6;
  CHECK(one["by_type"]["$_DFF_PN0_"].get<int64_t>() <= per_lane + 5 + 5);
  CHECK(two["by_type"]["$_DFF_PN0_"].get<int64_t>() - one["by_type"]["$_DFF_PN0_"].get<int64_t>() <= per_lane + 5);

  // Cached: a second run needs no yosys; without the cache and without yosys it fails with the fix.
  const std::string path = std::getenv("PATH");
  setenv("PATH", "/nonexistent", 1);
  CHECK(run({"area", "--set", "hw.ppu_lanes=2"}) == 0);
  CHECK(run({"area", "--set", "hw.ppu_lanes=2", "--no-cache"}) == 2);
  setenv("PATH", path.c_str(), 1);
  unsetenv("QTSIM_CACHE_DIR");
}
