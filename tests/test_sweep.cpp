// qtsim sweep: point expansion, rows against direct costing, resume after a kill, shards and merge, errors.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "models/analytic/analytic.hpp"
#include "models/analytic/llm_roofline.hpp"
#include "cli_test_util.hpp"
#include "sim/config.hpp"
#include "sim/sweep.hpp"

using namespace qtsim;
namespace fs = std::filesystem;

namespace {
using test::run_cli;
using test::slurp;
int run(std::vector<std::string> args) { return run_cli(std::move(args)); }
std::string scratch(const std::string& name) { return test::scratch_in("qtsim_sweep_test", name); }

std::string write(const std::string& name, const std::string& text) {
  const std::string p = scratch(name);
  std::ofstream(p) << text;
  return p;
}

// The CSV as header -> column index and rows of fields.
struct Csv {
  std::map<std::string, size_t> col;
  std::vector<std::vector<std::string>> rows;
  const std::string& at(size_t row, const std::string& name) const { return rows.at(row).at(col.at(name)); }
};
Csv read_csv(const std::string& path) {
  std::istringstream in(slurp(path));
  Csv c;
  std::string line;
  for (bool header = true; std::getline(in, line); header = false) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
    if (header)
      for (size_t i = 0; i < f.size(); ++i) c.col[f[i]] = i;
    else
      c.rows.push_back(f);
  }
  return c;
}

const char* kGemmBase =
    "hw: {preset: int8_16x16_ws, memory: {dram_bytes_per_cycle: 16, dram_latency_cycles: 20}}\n"
    "workload: {gemm: {M: 50, K: 40, N: 30}}\n";
}  // namespace

TEST_CASE("sweep points are the product of the blocks, the first block varying slowest", "[sim][sweep]") {
  write("base.yaml", kGemmBase);
  const std::string f = write("order.yaml",
                              "base: base.yaml\n"
                              "sweep:\n"
                              "  - grid: {hw.array.rows: [4, 8], hw.memory.dram_bytes_per_cycle: [8, 16, 32]}\n"
                              "  - zip: {hw.array.cols: [4, 8], hw.memory.input_kib: [32, 64]}\n"
                              "  - list: [{workload.gemm.M: 7}, {workload.gemm.M: 9}]\n");
  const sim::SweepSpec s = sim::load_sweep(f);
  REQUIRE(s.keys == std::vector<std::string>{"hw.array.rows", "hw.memory.dram_bytes_per_cycle", "hw.array.cols",
                                             "hw.memory.input_kib", "workload.gemm.M"});
  std::vector<std::vector<std::string>> expected;
  for (const char* r : {"4", "8"})
    for (const char* bw : {"8", "16", "32"})
      for (auto [c, kib] : {std::pair{"4", "32"}, std::pair{"8", "64"}})
        for (const char* m : {"7", "9"}) expected.push_back({r, bw, c, kib, m});
  REQUIRE(s.points == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    std::vector<std::string> got;
    for (const auto& v : s.point(i)) got.push_back(v.text);
    CHECK(got == expected[i]);
    // the parsed config holds the point's values
    CHECK(s.config(i).hw.array.rows == std::stoll(expected[i][0]));
    CHECK(s.config(i).hw.memory.input_kib == std::stoll(expected[i][3]));
    CHECK(s.config(i).workload.m == std::stoll(expected[i][4]));
    CHECK(s.config(i).workload.k == 40);  // from the base
  }
}

TEST_CASE("a sweep of ten million points loads without expanding them, and still finds a bad value on any axis", "[sim][sweep]") {
  write("base.yaml", kGemmBase);
  std::string rows, cols, bw;
  for (int i = 1; i <= 100; ++i) rows += (i > 1 ? ", " : "") + std::to_string(i), cols += (i > 1 ? ", " : "") + std::to_string(i);
  for (int i = 1; i <= 1000; ++i) bw += (i > 1 ? ", " : "") + std::to_string(i);
  const std::string grid = "base: base.yaml\nsweep:\n  - grid: {hw.array.rows: [" + rows + "], hw.array.cols: [" + cols + "]}\n" +
                           "  - grid: {hw.memory.dram_bytes_per_cycle: [" + bw + "]}\n";
  const sim::SweepSpec s = sim::load_sweep(write("huge.yaml", grid));
  REQUIRE(s.points == 10'000'000);
  // point i in the mixed radix (100, 100, 1000), the first axis slowest: 1234567 = 12 * 100000 + 34 * 1000 + 567
  auto texts = [&](size_t i) {
    std::vector<std::string> t;
    for (const auto& v : s.point(i)) t.push_back(v.text);
    return t;
  };
  CHECK(texts(1234567) == std::vector<std::string>{"13", "35", "568"});
  CHECK(texts(9'999'999) == std::vector<std::string>{"100", "100", "1000"});
  CHECK(s.config(1234567).hw.array.cols == 35);
  // a bad value deep in the last axis is still an error before anything runs, at its line and column
  const std::string bad = "base: base.yaml\nsweep:\n  - grid: {hw.array.rows: [" + rows + "], hw.array.cols: [" + cols + "]}\n" +
                          "  - grid: {hw.memory.dram_bytes_per_cycle: [" + bw.substr(0, bw.rfind(',')) + ", -5]}\n";  // -5 for 1000
  CHECK_THROWS_WITH(sim::load_sweep(write("huge_bad.yaml", bad)), Catch::Contains("huge_bad.yaml:4:") && Catch::Contains("dram_bytes_per_cycle: must be > 0"));
}

TEST_CASE("past 100,000 points a combination that fails to parse fails alone, and the rest of the sweep runs", "[sim][sweep]") {
  // 320 x 320 = 102,400 arrays on the 64 KiB weight scratchpad: every value passes with the other axis at 1
  // (checked at load), but a double-buffered R x C int8 tile needs 2 R C bytes, so 320 x 320 cannot map.
  write("base.yaml", kGemmBase);
  std::string v;
  for (int i = 1; i <= 320; ++i) v += (i > 1 ? ", " : "") + std::to_string(i);
  const std::string f = write("wide.yaml", "base: base.yaml\nsweep:\n  - grid: {hw.array.rows: [" + v + "], hw.array.cols: [" + v + "]}\n");
  const sim::SweepSpec s = sim::load_sweep(f);
  REQUIRE(s.points == 102'400);
  CHECK_THROWS_WITH(s.config(102'399), Catch::Contains("too small for one 320x320 tile"));
  const std::string out = scratch("wide_out");
  CHECK(run({"sweep", f, "--out", out, "-j", "2"}) == 1);  // failed points, the others in the CSV
  const Csv csv = read_csv(out + "/sweep.csv");
  std::set<std::string> points;
  for (size_t i = 0; i < csv.rows.size(); ++i) points.insert(csv.at(i, "point"));
  CHECK(points.count("0"));        // 1 x 1
  CHECK(points.count("102080"));   // 320 x 1
  CHECK(points.count("319"));      // 1 x 320
  CHECK(points.count("25727"));    // 81 x 128 = 10,368: 20,736 bytes, fits
  CHECK(!points.count("102399"));  // 320 x 320
  CHECK(csv.rows.size() < 102'400);
}

TEST_CASE("each sweep row equals the roofline of the same config set by --set", "[sim][sweep]") {
  const std::string base = write("base.yaml", kGemmBase);
  const std::string f = write("rows.yaml",
                              "base: base.yaml\n"
                              "sweep:\n"
                              "  - grid: {workload.gemm.N: [30, 65], hw.array.dataflow: [ws, os], hw.array.rows: [4, 16],\n"
                              "           hw.memory.weight_kib: [1, 64]}\n");
  const std::string out = scratch("rows_out");
  REQUIRE(run({"sweep", f, "--out", out, "-j", "2"}) == 0);
  const Csv csv = read_csv(out + "/sweep.csv");
  REQUIRE(csv.rows.size() == 16);
  for (size_t i = 0; i < csv.rows.size(); ++i) {
    CHECK(csv.at(i, "point") == std::to_string(i));
    const sim::Config c = sim::load_config(base, {"workload.gemm.N=" + csv.at(i, "workload.gemm.N"),
                                                  "hw.array.dataflow=" + csv.at(i, "hw.array.dataflow"),
                                                  "hw.array.rows=" + csv.at(i, "hw.array.rows"),
                                                  "hw.memory.weight_kib=" + csv.at(i, "hw.memory.weight_kib")});
    const sim::Workload w = sim::build_workload(c);
    const model::Roofline r = model::roofline(w.lowered.program, c.hw);
    INFO("point " << i);
    CHECK(csv.at(i, "mapped_cycles") == std::to_string(r.mapped_cycles));
    CHECK(csv.at(i, "dram_bytes") == std::to_string(r.dram_bytes));
    // 2 M K N for the GEMM plus one op per requantised output
    const int64_t n = std::stoll(csv.at(i, "workload.gemm.N"));
    CHECK(std::stod(csv.at(i, "ops")) == 2.0 * 50 * 40 * n + 50.0 * n);
  }
}

TEST_CASE("cycle fidelity: isolated GEMMs run bit-exact on the machine, never under the roofline", "[sim][sweep]") {
  write("base.yaml", kGemmBase);
  const std::string f = write("cycle.yaml",
                              "base: base.yaml\n"
                              "fidelity: cycle\n"
                              "sweep:\n"
                              "  - grid: {hw.array.dataflow: [ws, os], hw.array.rows: [3, 8], workload.gemm.K: [17, 64]}\n");
  const std::string out = scratch("cycle_out");
  REQUIRE(run({"sweep", f, "--out", out, "-j", "2"}) == 0);
  const Csv csv = read_csv(out + "/sweep.csv");
  REQUIRE(csv.rows.size() == 8);
  for (size_t i = 0; i < csv.rows.size(); ++i) {
    INFO("point " << i);
    CHECK(csv.at(i, "bit_exact") == "true");
    // the roofline (every MAC at the array's peak, every byte once over the channel) bounds any schedule from below
    CHECK(std::stod(csv.at(i, "cycle_cycles")) >= std::stod(csv.at(i, "roofline_cycles")));
    CHECK(csv.at(i, "cycles") == csv.at(i, "cycle_cycles"));
  }
}

TEST_CASE("a cycle-fidelity sweep whose points would simulate beyond run.max_cycles stops before any point, unless --force", "[sim][sweep]") {
  // 50x40x30 maps to a few thousand cycles a point on the machine: four points exceed a limit of 1000.
  write("base.yaml", std::string(kGemmBase) + "run: {max_cycles: 1000}\n");
  const std::string f = write("costly.yaml", "base: base.yaml\nfidelity: cycle\nsweep:\n  - grid: {hw.array.rows: [4, 8], workload.gemm.K: [17, 64]}\n");
  const std::string out = scratch("costly_out");
  CHECK(run({"sweep", f, "--out", out}) == 2);
  CHECK(!fs::exists(out + "/sweep.csv"));  // nothing half-written: not even the header
  REQUIRE(run({"sweep", f, "--out", out, "--force"}) == 0);
  CHECK(read_csv(out + "/sweep.csv").rows.size() == 4);
}

TEST_CASE("a killed sweep resumes without losing or duplicating a point", "[sim][sweep]") {
  write("base.yaml", kGemmBase);
  const std::string f = write("resume.yaml",
                              "base: base.yaml\n"
                              "sweep:\n"
                              "  - grid: {hw.array.rows: [2, 4, 8, 16], hw.array.cols: [2, 4, 8, 16], hw.memory.dram_bytes_per_cycle: [4, 64]}\n");
  const std::string full = scratch("resume_full"), cut = scratch("resume_cut");
  REQUIRE(run({"sweep", f, "--out", full}) == 0);
  const std::string whole = slurp(full + "/sweep.csv");
  REQUIRE(read_csv(full + "/sweep.csv").rows.size() == 32);

  // A kill: rows arrived out of order, and the last one was cut mid-line.
  std::vector<std::string> lines;
  {
    std::istringstream in(whole);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
  }
  fs::create_directories(cut);
  {
    std::ofstream o(cut + "/sweep.csv", std::ios::binary);
    o << lines[0] << "\n";
    for (size_t i = 20; i > 0; --i) o << lines[i] << "\n";  // points 19..0
    o << lines[25].substr(0, 9);
  }
  const std::string before = slurp(cut + "/sweep.csv");
  CHECK(run({"sweep", f, "--out", cut}) == 2);  // without --resume nothing is touched
  CHECK(slurp(cut + "/sweep.csv") == before);
  {  // another process writing the same CSV holds its lock: refused, nothing touched
    const int fd = open((cut + "/sweep.csv.lock").c_str(), O_CREAT | O_RDWR, 0644);
    REQUIRE(flock(fd, LOCK_EX | LOCK_NB) == 0);
    CHECK(run({"sweep", f, "--out", cut, "--resume"}) == 2);
    CHECK(slurp(cut + "/sweep.csv") == before);
    close(fd);
  }
  REQUIRE(run({"sweep", f, "--out", cut, "--resume", "-j", "3"}) == 0);
  CHECK(slurp(cut + "/sweep.csv") == whole);
  REQUIRE(run({"sweep", f, "--out", cut, "--resume"}) == 0);  // nothing left to do: unchanged
  CHECK(slurp(cut + "/sweep.csv") == whole);

  // A file from another sweep is refused.
  const std::string other = write("other.yaml", "base: base.yaml\nsweep:\n  - grid: {hw.array.rows: [2, 4]}\n");
  CHECK(run({"sweep", other, "--out", cut, "--resume"}) == 2);
}

TEST_CASE("shards cover every point once and merge into the unsharded table", "[sim][sweep]") {
  write("base.yaml", kGemmBase);
  const std::string f = write("shard.yaml",
                              "base: base.yaml\n"
                              "sweep:\n"
                              "  - grid: {hw.array.rows: [2, 4, 8], hw.array.cols: [4, 16], workload.gemm.M: [5, 64]}\n");
  const std::string whole = scratch("shard_whole"), dir = scratch("shard_dir");
  REQUIRE(run({"sweep", f, "--out", whole, "-j", "2"}) == 0);
  for (int i = 0; i < 3; ++i) REQUIRE(run({"sweep", f, "--out", dir, "--shard", std::to_string(i) + "/3"}) == 0);
  size_t rows = 0;
  for (int i = 0; i < 3; ++i) {
    const Csv c = read_csv(dir + "/sweep.shard-" + std::to_string(i) + "-of-3.csv");
    for (const auto& r : c.rows) CHECK(std::stoul(r[0]) % 3 == static_cast<unsigned long>(i));
    rows += c.rows.size();
  }
  CHECK(rows == 12);
  REQUIRE(run({"sweep", "merge", f, "--out", dir}) == 0);
  CHECK(slurp(dir + "/sweep.csv") == slurp(whole + "/sweep.csv"));
  fs::remove(dir + "/sweep.shard-1-of-3.csv");
  CHECK(run({"sweep", "merge", f, "--out", dir}) == 1);  // points missing
  CHECK(run({"sweep", f, "--out", dir, "--shard", "3/3"}) == 2);
}

TEST_CASE("LLM sweep rows: whole-model time and memory from the layer roofline and closed forms", "[sim][sweep][llm]") {
  const std::string f = write("llm.yaml",
                              "llm: {model: llama2-7b, device: nvidia_A100, batch: 2}\n"
                              "sweep:\n"
                              "  - grid: {llm.stage: [prefill, decode], llm.seqlen: [128, 2048], llm.kv_bits: [16, 8]}\n");
  const std::string out = scratch("llm_out");
  REQUIRE(run({"sweep", f, "--out", out}) == 0);
  const Csv csv = read_csv(out + "/sweep.csv");
  REQUIRE(csv.rows.size() == 8);
  for (size_t i = 0; i < csv.rows.size(); ++i) {
    model::LlmQuery q;
    q.stage = csv.at(i, "llm.stage");
    q.seqlen = std::stoll(csv.at(i, "llm.seqlen"));
    q.kv_bits = std::stoi(csv.at(i, "llm.kv_bits"));
    q.batch = 2;
    double layer = 0, head = 0;
    for (const auto& o : model::llm_layer_roofline(model::llm_shape("llama2-7b"), model::device("nvidia_A100"), q))
      (o.name == "lm_head" ? head : layer) += o.time_s;
    INFO("point " << i);
    CHECK(std::stod(csv.at(i, "model_time_s")) == Approx(32 * layer + head).epsilon(1e-9));
    // 6,738,415,616 parameters at 2 bytes; K and V of 32 layers x 4096 values per token at kv_bits.
    const double kv = 2.0 * 32 * 4096 * 2 * static_cast<double>(q.seqlen) * q.kv_bits / 8;
    CHECK(std::stod(csv.at(i, "memory_bytes")) == Approx(2 * 6738415616.0 + kv).epsilon(1e-9));
    const double tokens = q.stage == "prefill" ? 2.0 * static_cast<double>(q.seqlen) : 2.0;
    CHECK(std::stod(csv.at(i, "tokens_per_s")) == Approx(tokens / (32 * layer + head)).epsilon(1e-9));
  }
}

TEST_CASE("sweep errors name the sweep file's line and column, the point and the key, and nothing is written", "[sim][sweep]") {
  write("base.yaml", kGemmBase);
  auto error = [](const std::string& text) {
    try {
      sim::load_sweep(write("bad.yaml", text));
    } catch (const sim::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(error("base: base.yaml\nsweep:\n  - grid: {hw.array.rows: [8, 0]}\n"),
             Catch::Contains("bad.yaml:3:31: sweep point 1 (hw.array.rows=0)") && Catch::Contains("hw.array.rows: must be >= 1"));
  CHECK_THAT(error("sweep:\n  - grid: {hw.array.rowz: [8]}\n"), Catch::Contains("hw.array.rowz: unknown key"));
  CHECK_THAT(error("sweep:\n  - zip: {hw.array.rows: [8, 16], hw.array.cols: [8]}\n"), Catch::Contains("equal lengths"));
  CHECK_THAT(error("sweep:\n  - cube: {hw.array.rows: [8]}\n"), Catch::Contains("unknown block"));
  CHECK_THAT(error("sweep:\n  - grid: {hw.array.rows: [8]}\n  - grid: {hw.array.rows: [16]}\n"), Catch::Contains("swept twice"));
  CHECK_THAT(error("sweep:\n  - grid: {llm.seqlen: [8]}\n"), Catch::Contains("llm.* keys need an llm: query"));
  CHECK_THAT(error("llm: {model: llama2-7b}\nsweep:\n  - grid: {hw.array.rows: [8]}\n"), Catch::Contains("start with llm."));
  CHECK_THAT(error("llm: {model: llama2-70b}\nsweep:\n  - grid: {llm.seqlen: [8]}\n"), Catch::Contains("unknown model"));
  CHECK_THAT(error("sweep:\n  - grid: {quant.op_w_bits.fc1: [4, 3]}\n"), Catch::Contains("quant.op_w_bits.fc1: unsupported width 3"));
  CHECK_THAT(error("sweep:\n  - list: [{hw.array.rows: 8}, {hw.array.cols: 8}]\n"), Catch::Contains("same keys"));
  CHECK_THAT(error("sweep: []\n"), Catch::Contains("non-empty list"));
  const std::string out = scratch("bad_out");
  CHECK(run({"sweep", write("bad.yaml", "sweep:\n  - grid: {hw.array.rows: [0]}\n"), "--out", out}) == 2);
  CHECK_FALSE(fs::exists(out));
}

TEST_CASE("per-linear weight bits are swept like any key and cost the 4-bit linears at two products per PE", "[sim][sweep]") {
  const std::string f = write("mixed.yaml",
                              "sweep:\n"
                              "  - list: [{quant.op_w_bits.fc1: 8, quant.op_w_bits.fc2: 8}, {quant.op_w_bits.fc1: 4, quant.op_w_bits.fc2: 4}]\n");
  const sim::SweepSpec s = sim::load_sweep(f);
  REQUIRE(s.points == 2);
  const sim::Workload w8 = sim::build_workload(s.config(0)), w4 = sim::build_workload(s.config(1));
  const model::Roofline r8 = model::roofline(w8.lowered.program, s.config(0).hw);
  const model::Roofline r4 = model::roofline(w4.lowered.program, s.config(1).hw);
  for (size_t i = 0; i < r8.rows.size(); ++i) {
    INFO(r8.rows[i].name);
    const bool mlp = r8.rows[i].name == "fc1" || r8.rows[i].name == "fc2";
    if (!mlp) {  // everything else is the same program
      CHECK(r4.rows[i].mapped_cycles == r8.rows[i].mapped_cycles);
      CHECK(r4.rows[i].dram_bytes == r8.rows[i].dram_bytes);
      continue;
    }
    CHECK(r4.rows[i].ops == r8.rows[i].ops);
    CHECK(r4.rows[i].peak == 2 * r8.rows[i].peak);  // two int4 products per PE per cycle
    CHECK(r4.rows[i].dram_bytes < r8.rows[i].dram_bytes);
  }
  CHECK(r4.rows.size() == r8.rows.size());
}

TEST_CASE("every shipped sweep runs to one row per point", "[sim][sweep][configs]") {
  const fs::path dir = fs::path(QTSIM_CONFIG_DIR) / "sweeps";
  int sweeps = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".yaml") continue;
    INFO(e.path());
    const sim::SweepSpec s = sim::load_sweep(e.path().string());
    const std::string out = scratch("shipped_" + e.path().stem().string());
    REQUIRE(run({"sweep", e.path().string(), "--out", out, "-j", "2"}) == 0);
    const Csv csv = read_csv(out + "/sweep.csv");
    CHECK(csv.rows.size() == s.points);
    ++sweeps;
  }
  CHECK(sweeps == 4);
}

TEST_CASE("the memory sweep: double buffering and more bandwidth never slow the DeiT-Tiny layer down", "[sim][sweep][configs]") {
  const std::string path = std::string(QTSIM_CONFIG_DIR) + "/sweeps/deit_tiny_memory.yaml";
  const std::string out = scratch("memory_sweep");
  REQUIRE(run({"sweep", path, "--out", out, "-j", "2"}) == 0);
  const Csv csv = read_csv(out + "/sweep.csv");
  // (double_buffer, banks, KiB, bytes per cycle) -> cycles
  std::map<std::tuple<std::string, std::string, int, int>, int64_t> cycles;
  for (size_t i = 0; i < csv.rows.size(); ++i)
    cycles[{csv.at(i, "hw.memory.double_buffer"), csv.at(i, "hw.memory.banks"), std::stoi(csv.at(i, "hw.memory.input_kib")),
            std::stoi(csv.at(i, "hw.memory.dram_bytes_per_cycle"))}] = std::stoll(csv.at(i, "cycles"));
  REQUIRE(cycles.size() == 96);
  int faster = 0;
  for (const auto& [k, c] : cycles) {
    const auto& [db, banks, kib, bw] = k;
    INFO(db << " " << banks << " banks " << kib << " KiB " << bw << " B/cycle");
    if (db == "true") {
      const int64_t serial = cycles.at({"false", banks, kib, bw});
      CHECK(c <= serial);
      faster += c < serial;
    }
    if (bw < 64) CHECK(cycles.at({db, banks, kib, bw * 2}) <= c);
  }
  CHECK(faster == 48);  // overlapping transfers with compute pays at every point
}
