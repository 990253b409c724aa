// The qtsim command line in-process: operators on the authors' vector files, exit codes, strict configs.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "golden/npy.hpp"
#include "models/isa/isa.hpp"
#include "cli_test_util.hpp"
#include "sim/config.hpp"
#include "sim/output.hpp"

using namespace qtsim;
namespace fs = std::filesystem;

namespace {
std::string vec(const std::string& name) { return std::string(QTSIM_TEST_DATA) + "/ivit/" + name + ".npy"; }

int run(std::vector<std::string> args) { return test::run_cli(std::move(args)); }
std::string scratch(const std::string& name) { return test::scratch_in("qtsim_cli_test", name); }

// What a command prints on stderr (its error message), with its exit code.
std::pair<int, std::string> stderr_of(std::vector<std::string> args) {
  const std::string file = scratch("stderr.txt");
  std::fflush(stderr);
  const int saved = dup(2), fd = open(file.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
  dup2(fd, 2);
  const int code = test::run_cli(std::move(args));
  std::cerr.flush();
  std::fflush(stderr);
  dup2(saved, 2);
  close(saved);
  close(fd);
  return {code, test::slurp(file)};
}

std::string write_yaml(const std::string& name, const std::string& text) {
  const std::string p = scratch(name);
  std::ofstream(p) << text;
  return p;
}

std::string config_error(const std::string& text) {
  try {
    sim::load_config(write_yaml("c.yaml", text), {});
  } catch (const sim::ConfigError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("qtsim op requant reproduces the authors' per-channel vector from files", "[sim][cli]") {
  const std::string out = scratch("rq.npy"), m = scratch("m.npy");
  REQUIRE(run({"op", "requant", "--in", "z=" + vec("requant_per_channel_i8_z_int"), "--in",
               "s_in=" + vec("requant_per_channel_i8_scale_in"), "--set", "s_out=0x1.fd8adap-6", "--set", "bits=8",
               "--out", "out=" + out, "--out", "m=" + m}) == 0);
  CHECK(golden::load_npy_int(out).data == golden::load_npy_int(vec("requant_per_channel_i8_out_int_exact")).data);
  CHECK(golden::load_npy_int(m).data == golden::load_npy_int(vec("requant_per_channel_i8_m")).data);
}

TEST_CASE("qtsim op shiftmax and shiftgelu take hex-float scales exactly", "[sim][cli]") {
  const std::string out = scratch("sm.npy"), factor = scratch("f.npy");
  REQUIRE(run({"op", "shiftmax", "--in", "x=" + vec("softmax_swin_b8_rand_x_int"), "--set", "scale=0x1.2dp-4", "--set",
               "out_bits=8", "--out", "out=" + out, "--out", "factor=" + factor}) == 0);
  CHECK(golden::load_npy_int(out).data == golden::load_npy_int(vec("softmax_swin_b8_rand_out_int_exact_p31")).data);
  CHECK(golden::load_npy_int(factor).data == golden::load_npy_int(vec("softmax_swin_b8_rand_factor_exact_p31")).data);
  const std::string g = scratch("g.npy");
  REQUIRE(run({"op", "shiftgelu", "--in", "x=" + vec("gelu_deit_rand_x_int"), "--set", "scale=0x1.52p-5", "--set",
               "numerator=pow2_31_minus_1", "--out", "out=" + g}) == 0);
  CHECK(golden::load_npy_int(g).data == golden::load_npy_int(vec("gelu_deit_rand_out_int_exact")).data);
}

TEST_CASE("qtsim op ilayernorm writes the output and its intermediates", "[sim][cli]") {
  const std::string out = scratch("ln.npy"), sd = scratch("std.npy");
  REQUIRE(run({"op", "ilayernorm", "--in", "x=" + vec("layernorm_deit_t_rand_x_int"), "--in",
               "gamma=" + vec("layernorm_deit_t_rand_weight"), "--in", "beta=" + vec("layernorm_deit_t_rand_bias"),
               "--out", "out=" + out, "--out", "std=" + sd}) == 0);
  CHECK(golden::load_npy_int(out).data == golden::load_npy_int(vec("layernorm_deit_t_rand_out_int_exact_p31")).data);
  CHECK(golden::load_npy_int(sd).data == golden::load_npy_int(vec("layernorm_deit_t_rand_std_exact")).data);
}

TEST_CASE("bad operator input exits 2 and writes nothing", "[sim][cli]") {
  const std::string out = scratch("never.npy");
  const std::string x = "x=" + vec("softmax_vit_b16_rand_x_int");
  CHECK(run({"op", "shiftmax", "--in", "x=/nonexistent.npy", "--set", "scale=0.1", "--out", "out=" + out}) == 2);
  CHECK(run({"op", "shiftmax", "--in", x, "--set", "scale=-0.1", "--out", "out=" + out}) == 2);
  CHECK(run({"op", "shiftmax", "--in", x, "--set", "scale=abc", "--out", "out=" + out}) == 2);
  CHECK(run({"op", "shiftmax", "--in", x, "--set", "scale=0.1", "--set", "out_bits=12", "--out", "out=" + out}) == 2);
  CHECK(run({"op", "shiftmax", "--in", x, "--set", "scale=0.1", "--set", "colour=red", "--out", "out=" + out}) == 2);
  CHECK(run({"op", "shiftmax", "--in", x, "--set", "scale=0.1", "--out", "bogus=" + out}) == 2);
  CHECK(run({"op", "shiftmax", "--in", "x=" + vec("softmax_vit_b16_rand_x_float"), "--set", "scale=0.1", "--out", "out=" + out}) == 2);
  CHECK(run({"op", "requant", "--in", "z=" + vec("requant_per_channel_i8_z_int"), "--in",
             "s_in=" + vec("requant_per_tensor_i8_scale_in"), "--set", "s_out=0.1", "--set", "bits=40", "--out", "out=" + out}) == 2);
  CHECK(run({"op", "nosuchop", "--out", "out=" + out}) == 2);
  CHECK(run({"frobnicate"}) == 2);
  CHECK(!fs::exists(out));
  CHECK(!fs::exists(out + ".tmp"));
}

TEST_CASE("duplicate keys, non-finite numbers and a folder as config are errors, not silently read", "[sim][config]") {
  // yaml-cpp keeps both entries of a repeated key and returns the first: the second must not vanish.
  CHECK_THAT(config_error("workload: {model: deit_tiny}\nhw:\n  clock_mhz: 500\n  clock_mhz: 800\n"),
             Catch::Contains("c.yaml:4:3: clock_mhz: duplicate key (first at line 3)"));
  CHECK_THAT(config_error("workload: {model: deit_tiny}\nworkload: {model: deit_small}\n"),
             Catch::Contains("c.yaml:2:1: workload: duplicate key (first at line 1)"));
  CHECK_THAT(config_error("run:\n  executors: [golden, {a: 1, a: 2}]\nworkload: {model: deit_tiny}\n"),
             Catch::Contains("c.yaml:2:30: a: duplicate key"));
  for (const char* inf : {".inf", "-.inf", ".nan"})
    CHECK_THAT(config_error(std::string("workload: {model: deit_tiny}\nhw: {clock_mhz: ") + inf + "}\n"),
               Catch::Contains("c.yaml:2:17: hw.clock_mhz: expected a finite number, got '" + std::string(inf) + "'"));
  const std::string folder = scratch("a_folder.yaml");
  fs::create_directories(folder);
  try {
    sim::load_config(folder, {});
    FAIL("a folder was read as a config");
  } catch (const sim::ConfigError& e) {
    CHECK_THAT(e.what(), Catch::Contains("a_folder.yaml: is a directory, not a config"));
  }
}

TEST_CASE("config errors name file, line, column, key and reason", "[sim][config]") {
  CHECK_THAT(config_error("workload: {model: deit_tiny, tokenz: 5}\n"),
             Catch::Contains("c.yaml:1:30: workload.tokenz: unknown key"));
  CHECK_THAT(config_error("workload:\n  model: deit_tiny\n  tokens: many\n"),
             Catch::Contains("c.yaml:3:11: workload.tokens: expected an integer, got 'many'"));
  CHECK_THAT(config_error("workload: {layer: encoder}\n"), Catch::Contains("workload.model: missing required key"));
  CHECK_THAT(config_error("workload: {gemm: {M: 0, K: 4, N: 4}}\n"), Catch::Contains("workload.gemm.M: must be >= 1"));
  CHECK_THAT(config_error("workload: {model: deit_tiny}\nquant: {w_bits: 4, group: 100}\n"),
             Catch::Contains("quant.group: group size 100 does not divide K"));
  CHECK_THAT(config_error("workload: {model: deit_tiny}\nquant: {w_bits: 3}\n"), Catch::Contains("quant.w_bits: unsupported width 3"));
  CHECK_THAT(config_error("workload: {model: deit_tiny}\nquant: {rounding: up}\n"),
             Catch::Contains("'up' is not one of: half_even, half_up"));
  CHECK_THAT(config_error("workload: {model: vit_huge}\n"), Catch::Contains("unknown model 'vit_huge'"));
  CHECK_THAT(config_error("workload: {model: deit_tiny}\nrun: {executors: [golden, fpga]}\n"), Catch::Contains("unknown executor 'fpga' (golden, model, machine, rtl)"));
  // the rtl executor needs every unit built as RTL at this hardware's sizes
  CHECK_THAT(config_error("hw: {array: {rows: 12, cols: 12}}\nworkload: {model: deit_tiny}\nrun: {executors: [golden, rtl]}\n"),
             Catch::Contains("c.yaml:3:") && Catch::Contains("run.executors: rtl: no RTL array of 12x12"));
  // 2^(7-1) = 64: attn @ v would shift an int8 v by up to 64 bits
  CHECK_THAT(config_error("workload: {model: deit_tiny}\nquant: {logsqrt2: true, logsqrt2_bits: 7}\n"),
             Catch::Contains("c.yaml:2:") && Catch::Contains("quant.logsqrt2_bits: must be in 2..6"));
  CHECK_THAT(config_error("workload: [1, 2\n"), Catch::Contains("YAML syntax error"));
}

TEST_CASE("set overrides apply to config keys before validation", "[sim][config]") {
  const sim::Config c = sim::load_config("", {"workload.tokens=50", "quant.w_bits=4", "run.seed=9"});
  CHECK(c.workload.tokens == 50);
  CHECK(c.quant.w_bits == 4);
  CHECK(c.run.seed == 9);
  CHECK_THROWS_WITH(sim::load_config("", {"workload.colour=red"}), Catch::Contains("workload.colour: unknown key"));
  CHECK_THROWS_WITH(sim::load_config("", {"novalue"}), Catch::Contains("expected key.path=value"));
  // the resolved config parses back to the same values
  const sim::Config again = sim::parse_config(sim::resolved_yaml(c), "resolved");
  CHECK(YAML::Dump(sim::resolved_yaml(again)) == YAML::Dump(sim::resolved_yaml(c)));
}

TEST_CASE("qtsim golden writes every tap with an index, qtsim run writes a report", "[sim][cli]") {
  const std::string cfg = write_yaml("g.yaml", "workload: {gemm: {M: 7, K: 33, N: 5}}\n");
  const std::string dir = scratch("golden_out");
  REQUIRE(run({"golden", cfg, "--out", dir}) == 0);
  for (const char* f : {"a.npy", "acc.npy", "out.npy", "taps.json", "config.resolved.yaml"}) CHECK(fs::exists(dir + "/" + f));
  CHECK(golden::load_npy_int(dir + "/out.npy").shape == golden::Shape{7, 5});
  const std::string rdir = scratch("run_out");
  REQUIRE(run({"run", "--set", "workload.tokens=20", "--out", rdir, "--dump-taps"}) == 0);
  for (const char* f : {"report.json", "stats.csv", "config.resolved.yaml", "taps/golden/probs.npy", "taps/model/probs.npy", "taps/machine/probs.npy",
                        "taps/rtl/probs.npy"})
    CHECK(fs::exists(rdir + "/" + f));
  // The default job runs golden, the model, the machine and the RTL: every tap of each against golden, the RTL's
  // cycles against the model's (counted by the report's own op records, independently of the executor's verdict).
  const nlohmann::json report = nlohmann::json::parse(std::ifstream(rdir + "/report.json"));
  CHECK(report["executors"] == nlohmann::json({"golden", "model", "machine", "rtl"}));
  // the machine executed every instruction of the program it compiled
  CHECK(report["machine"]["instructions"] == report["machine"]["program_instructions"]);
  int64_t machine_ops = 0;
  for (const auto& o : report["machine"]["ops"]) {
    CHECK(o["end_cycle"].get<int64_t>() < report["machine"]["total_cycles"].get<int64_t>());
    CHECK(o["start_cycle"].get<int64_t>() <= o["end_cycle"].get<int64_t>());
    ++machine_ops;
  }
  CHECK(machine_ops > 0);
  for (const auto& [name, u] : report["machine"]["units"].items())
    CHECK(u["busy_cycles"].get<int64_t>() + u["stall_cycles"].get<int64_t>() + u["idle_cycles"].get<int64_t>() ==
          report["machine"]["total_cycles"].get<int64_t>());
  int64_t rtl_checks = 0, model_cycles = 0;
  for (const auto& ch : report["checks"]) {
    CHECK(ch["bit_exact"].get<bool>());
    rtl_checks += ch["executor"] == "rtl";
  }
  for (const auto& op : report["ops"]) model_cycles += op["cycles"].get<int64_t>();
  CHECK(rtl_checks > 0);
  CHECK(report["rtl"]["cycles_equal_model"].get<bool>());
  CHECK(report["rtl"]["total_cycles"].get<int64_t>() == model_cycles);
  CHECK(run({"compare", rdir + "/taps/golden", rdir + "/taps/rtl"}) == 0);
  CHECK(run({"run", "--set", "workload.tokens=0"}) == 2);
  // golden against model: equal; a tampered tap: exit 1
  CHECK(run({"compare", rdir + "/taps/golden", rdir + "/taps/model"}) == 0);
  golden::ITensor probs = golden::load_npy_int(rdir + "/taps/model/probs.npy");
  probs.data[7] += 1;
  golden::save_npy(rdir + "/taps/model/probs.npy", probs);
  const std::string creport = scratch("compare.json");
  CHECK(run({"compare", rdir + "/taps/golden", rdir + "/taps/model", "--out", creport}) == 1);
  std::ifstream cr(creport);
  const std::string text((std::istreambuf_iterator<char>(cr)), std::istreambuf_iterator<char>());
  CHECK_THAT(text, Catch::Contains("\"index\": 7"));
  CHECK(run({"compare", rdir + "/taps/golden", "/nonexistent"}) == 2);
}

TEST_CASE("qtsim roofline prints every fidelity and rejects bad options", "[sim][cli]") {
  CHECK(run({"roofline", "--set", "workload.tokens=20", "--format", "csv"}) == 0);
  CHECK(run({"roofline", "--set", "workload.tokens=20", "--format", "json", "--fidelity", "roofline"}) == 0);
  CHECK(run({"roofline", "--set", "workload.tokens=20", "--fidelity", "cycle"}) == 0);
  CHECK(run({"roofline", "--model", "llama2-7b", "--device", "nvidia_H100", "--stage", "decode", "--format", "csv"}) == 0);
  CHECK(run({"roofline", "--model", "llama2-7b", "--compat", "llmviewer", "--flash-attention"}) == 0);
  CHECK(run({"roofline", "--model", "llama2-7b", "--compat", "vllm"}) == 2);
  CHECK(run({"roofline", "--model", "llama2-7b", "--w-bits", "3"}) == 2);
  CHECK(run({"roofline", "--model", "llama2-7b", "--device", "tpu"}) == 2);
  CHECK(run({"roofline", "--format", "xml"}) == 2);
  CHECK(run({"roofline", "--fidelity", "exact"}) == 2);
}

TEST_CASE("config errors for the accelerator name the key", "[sim][config]") {
  CHECK_THAT(config_error("hw: {preset: tpu_v9}\nworkload: {model: deit_tiny}\n"), Catch::Contains("hw.preset: unknown hw preset"));
  CHECK_THAT(config_error("hw: {array: {rows: 0}}\nworkload: {model: deit_tiny}\n"), Catch::Contains("hw.array.rows: must be >= 1"));
  CHECK_THAT(config_error("hw: {array: {rows: 64, cols: 64}, memory: {weight_kib: 4}}\nworkload: {model: deit_tiny}\n"),
             Catch::Contains("c.yaml:1:") && Catch::Contains("too small for one 64x64 tile"));
  CHECK_THAT(config_error("hw: {array: {dataflow: xs}}\nworkload: {model: deit_tiny}\n"), Catch::Contains("'xs' is not one of: ws, os, is"));
  CHECK_THAT(config_error("hw: {memory: {banks: 0}}\nworkload: {model: deit_tiny}\n"), Catch::Contains("hw.memory.banks: must be >= 1"));
  CHECK_THAT(config_error("hw:\n  memory: {banks: 1}\nworkload: {model: deit_tiny}\n"),
             Catch::Contains("c.yaml:2:") && Catch::Contains("double buffering needs at least 2 banks"));
  CHECK(sim::load_config("", {"hw.memory.banks=1", "hw.memory.double_buffer=false"}).hw.memory.banks == 1);
  CHECK_THAT(config_error("hw: {memory: {word_bytes: 48}}\nworkload: {model: deit_tiny}\n"),
             Catch::Contains("hw.memory") && Catch::Contains("word_bytes must be 0 (derived from the array) or a power of two"));
  // input-stationary tiles live in the input scratchpad
  CHECK_THAT(config_error("hw: {array: {dataflow: is, rows: 64, cols: 64}, memory: {input_kib: 4}}\nworkload: {model: deit_tiny}\n"),
             Catch::Contains("input scratchpad of 4 KiB is too small for one 64x64 tile"));
  CHECK_THAT(config_error("workload: {model: deit_tiny}\nrun: {impl: {ilayernorm: fpga}}\n"), Catch::Contains("'fpga' is not one of: model, rtl"));
  CHECK_THAT(config_error("hw: {array: {rows: 12, cols: 12}}\nworkload: {model: deit_tiny}\nrun: {impl: rtl}\n"),
             Catch::Contains("c.yaml:3:") && Catch::Contains("no RTL array of 12x12"));
  CHECK_THAT(config_error("hw: {nonlinear_lanes: 8}\nworkload: {model: deit_tiny}\nrun: {impl: {shiftmax: rtl}}\n"),
             Catch::Contains("built for 16, 32 lanes, not 8"));
  CHECK_THAT(config_error("hw: {array: {rows: 12, cols: 12}}\nworkload: {model: deit_tiny}\nrun: {impl: {array: rtl}}\n"),
             Catch::Contains("no RTL array of 12x12"));
  CHECK(sim::load_config("", {"run.impl.array=rtl"}).hw.rtl.array);
  CHECK(sim::load_config("", {"run.impl=rtl"}).hw.rtl.dma);
  CHECK_THAT(config_error("hw: {memory: {dram_latency_cycles: 600}}\nworkload: {model: deit_tiny}\nrun: {impl: {dma: rtl}}\n"),
             Catch::Contains("c.yaml:3:") && Catch::Contains("DRAM latency must be below 512 cycles, not 600"));
  CHECK_THAT(config_error("hw: {ppu_lanes: 8}\nworkload: {model: deit_tiny}\nrun: {impl: {ppu: rtl}}\n"),
             Catch::Contains("built for 16, 32 lanes, not 8"));
  CHECK(sim::load_config("", {"run.impl.ppu=rtl"}).hw.rtl.ppu);
  CHECK(sim::load_config("", {"hw.preset=w4a8_32x32_ws", "run.impl=rtl"}).hw.rtl.ppu);  // 32-lane units are built
  // an array too big for its scratchpads is the array's fault (its map at 1:13), not the preset's the file never names
  CHECK_THAT(config_error("hw: {array: {rows: 4096, cols: 4096}}\nworkload: {model: deit_tiny}\n"),
             Catch::Contains("c.yaml:1:13: hw.array: weight scratchpad of 64 KiB is too small for one 4096x4096 tile"));
}

TEST_CASE("quant keys on a workload that reads none are refused instead of claimed as applied", "[sim][config]") {
  CHECK_THAT(config_error("workload: {gemm: {M: 8, K: 8, N: 8}}\nquant: {w_bits: 4}\n"),
             Catch::Contains("c.yaml:2:8: quant: applies to the encoder and vit workloads; workload.gemm is an INT8 GEMM"));
  CHECK_THAT(config_error("workload: {model: deit_tiny, layer: binary_encoder}\nquant: {rounding: half_up}\n"),
             Catch::Contains("quant: applies to the encoder and vit workloads; layer binary_encoder is +-1"));
  CHECK(sim::load_config(write_yaml("ok.yaml", "workload: {model: deit_tiny}\nquant: {w_bits: 4}\n"), {}).quant.w_bits == 4);
}

TEST_CASE("an error in a value given by --set names the --set, not a line of the file it never came from", "[sim][config]") {
  const std::string f = write_yaml("s.yaml", "hw: {preset: int8_16x16_ws}\nworkload: {model: deit_tiny}\n");
  auto error = [&](std::vector<std::string> sets) {
    try {
      sim::load_config(f, sets);
    } catch (const sim::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error({"hw.array.rows=abc"}) == "--set hw.array.rows=abc: hw.array.rows: expected an integer, got 'abc'");
  CHECK(error({"hw.array={rows: 2, colz: 3}"}) == "--set hw.array={rows: 2, colz: 3}: hw.array.colz: unknown key");
  // the last --set of a key is the one in effect, and the one named
  CHECK(error({"hw.array.rows=abc", "hw.array.rows=-3"}) == "--set hw.array.rows=-3: hw.array.rows: must be >= 1, got -3");
  CHECK(error({"hw.clock_mhz=.inf"}) == "--set hw.clock_mhz=.inf: hw.clock_mhz: expected a finite number, got '.inf'");
  // an error of the map a --set went into names that --set: the array it made too big for the scratchpads
  CHECK_THAT(error({"hw.array.rows=4096", "hw.array.cols=4096"}), Catch::StartsWith("--set hw.array.cols=4096: hw.array: weight scratchpad"));
  // a key of the file beside a --set still gets its line
  const std::string g = write_yaml("t.yaml", "hw: {preset: int8_16x16_ws, ppu_lanes: x}\nworkload: {model: deit_tiny}\n");
  try {
    sim::load_config(g, {"hw.array.rows=4"});
    FAIL("ppu_lanes: x was accepted");
  } catch (const sim::ConfigError& e) {
    CHECK_THAT(e.what(), Catch::Contains("t.yaml:1:40: hw.ppu_lanes: expected an integer"));
  }
}

TEST_CASE("qtsim run --timeline writes a Chrome trace whose spans add up to the report's counters", "[sim][cli][timeline]") {
  const std::string cfg = write_yaml("tl.yaml", "hw: {clock_mhz: 500, memory: {dram_bytes_per_cycle: 4}}\nworkload: {gemm: {M: 37, K: 70, N: 41}}\n");
  const std::string dir = scratch("timeline_out");
  REQUIRE(test::run_cli_forked({"run", cfg, "--out", dir, "--timeline"}) == 0);
  const nlohmann::json report = nlohmann::json::parse(std::ifstream(dir + "/report.json"));
  const nlohmann::json tl = nlohmann::json::parse(std::ifstream(dir + "/timeline.json"));
  std::map<int64_t, std::string> tracks;
  std::map<std::string, int64_t> busy;  // per track: the cycles of its spans
  int64_t ops = 0;
  for (const auto& e : tl["traceEvents"]) {
    if (e["ph"] == "M" && e["name"] == "thread_name") tracks[e["tid"].get<int64_t>()] = e["args"]["name"].get<std::string>();
    if (e["ph"] != "X") continue;
    const std::string track = tracks.at(e["tid"].get<int64_t>());
    const int64_t cycles = e["args"]["cycles"].get<int64_t>();
    busy[track] += cycles;
    ops += track == "ops";
    // microseconds at 500 MHz: two cycles per nanosecond
    CHECK(e["dur"].get<double>() == Approx(static_cast<double>(cycles) / 500.0));
    CHECK(e["ts"].get<double>() == Approx(e["args"]["start_cycle"].get<double>() / 500.0));
  }
  int64_t total = 0, dram = 0, array = 0, ppu = 0, with_cycles = 0;
  for (const auto& op : report["ops"]) {
    total += op["cycles"].get<int64_t>(), dram += op["dram_busy_cycles"].get<int64_t>();
    (op["unit"] == "array" ? array : ppu) += op["compute_cycles"].get<int64_t>();
    with_cycles += op["cycles"].get<int64_t>() > 0;
  }
  CHECK(ops == with_cycles);
  CHECK(busy["ops"] == total);
  CHECK(busy["ops"] == report["total_cycles"].get<int64_t>());
  CHECK(busy["dram"] == dram);
  CHECK(busy["array"] == array);
  CHECK(busy["ppu"] == ppu);
  CHECK(busy["dram"] > 0);
  // usage errors exit 2 and write nothing
  CHECK(run({"run", cfg, "--timeline"}) == 2);
  const std::string none = scratch("timeline_none");
  CHECK(run({"run", cfg, "--out", none, "--timeline", "--set", "run.executors=[golden]"}) == 2);
  CHECK_FALSE(fs::exists(none + "/timeline.json"));
}

TEST_CASE("qtsim run --trace writes every RTL unit's waves: FST, and VCD whose clock toggles count the cycles", "[sim][cli][rtl][trace]") {
  const std::string cfg = write_yaml("t.yaml", "hw: {array: {rows: 8, cols: 8}}\nworkload: {gemm: {M: 7, K: 20, N: 9}}\nrun: {impl: rtl}\n");
  const std::string fst_dir = scratch("trace_fst"), vcd_dir = scratch("trace_vcd");
  REQUIRE(test::run_cli_forked({"run", cfg, "--out", fst_dir, "--trace", "fst"}) == 0);
  for (const char* unit : {"rtl_array", "rtl_requant", "rtl_shiftmax", "rtl_shiftgelu", "rtl_ilayernorm"})
    CHECK(fs::file_size(fst_dir + "/waves/" + std::string(unit) + ".fst") > 0);
  CHECK_FALSE(fs::exists(fst_dir + "/waves.tmp"));
  REQUIRE(test::run_cli_forked({"run", cfg, "--out", vcd_dir, "--trace", "vcd"}) == 0);
  // The array's clock toggles twice per cycle it ran: the report's cycles for the GEMM, counted
  // independently from the waves.
  const nlohmann::json report = nlohmann::json::parse(std::ifstream(vcd_dir + "/report.json"));
  int64_t array_cycles = 0;
  for (const auto& op : report["ops"])
    if (op["unit"] == "array") array_cycles += op["compute_cycles"].get<int64_t>();
  std::ifstream vcd(vcd_dir + "/waves/rtl_array.vcd");
  std::string line, clk_id;
  int64_t toggles = 0;
  while (std::getline(vcd, line)) {
    if (clk_id.empty() && line.find(" clk_i $end") != std::string::npos) clk_id = line.substr(line.find("wire 1 ") + 7, line.find(" clk_i") - line.find("wire 1 ") - 7);
    else if (!clk_id.empty() && line.size() == clk_id.size() + 1 && (line[0] == '0' || line[0] == '1') && line.substr(1) == clk_id) ++toggles;
  }
  REQUIRE_FALSE(clk_id.empty());
  CHECK(array_cycles > 0);
  // every clocked cycle is dumped at its rise and its fall (the first dump opens with the first rise)
  CHECK(toggles == 2 * array_cycles);
  // usage errors exit 2 and write nothing
  CHECK(run({"run", cfg, "--trace", "fst"}) == 2);
  CHECK(run({"run", cfg, "--out", scratch("trace_bad"), "--trace", "lxt"}) == 2);
  CHECK(run({"run", "--out", scratch("trace_none"), "--trace", "fst", "--set", "run.executors=[golden, model]"}) == 2);
  CHECK_FALSE(fs::exists(scratch("trace_none") + "/waves"));
}

TEST_CASE("qtsim compile writes the program, its DRAM image and map, and --check finds a fault's first tap", "[sim][cli][machine]") {
  const std::string cfg = write_yaml("compile.yaml", "workload: {gemm: {M: 9, K: 20, N: 11}}\n");
  const std::string dir = scratch("compile_out");
  REQUIRE(test::run_cli({"compile", cfg, "--out", dir, "--check", "--order-seed", "4"}) == 0);
  for (const char* f : {"program.qasm", "program.bin", "dram.bin", "dram_map.json", "check.json"}) CHECK(std::filesystem::exists(dir + "/" + f));
  std::ifstream qasm(dir + "/program.qasm");
  const std::string text((std::istreambuf_iterator<char>(qasm)), std::istreambuf_iterator<char>());
  // the text and the binary are the same program
  std::ifstream binf(dir + "/program.bin", std::ios::binary);
  const std::vector<uint8_t> bin((std::istreambuf_iterator<char>(binf)), std::istreambuf_iterator<char>());
  CHECK(isa::assemble(text, "program.qasm") == isa::from_binary(bin));
  CHECK_THAT(text, Catch::Contains("gemm wait=") && Catch::Contains("# gemm") && Catch::Contains("# requant"));
  const nlohmann::json map = nlohmann::json::parse(std::ifstream(dir + "/dram_map.json"));
  std::map<std::string, std::string> roles;
  for (const auto& t : map) roles[t["name"]] = t["role"];
  CHECK(roles["a"] == "input");
  CHECK(roles["w"] == "weight");
  CHECK(roles["acc"] == "intermediate");
  CHECK(roles["out"] == "output");
  CHECK(nlohmann::json::parse(std::ifstream(dir + "/check.json"))["bit_exact"] == true);
  // a flipped weight bit: the check fails at the accumulators, the first tap after the weight
  const std::string bad = scratch("compile_fault");
  CHECK(test::run_cli({"compile", cfg, "--out", bad, "--check", "--fault", "dram:w:3:6"}) == 1);
  const nlohmann::json chk = nlohmann::json::parse(std::ifstream(bad + "/check.json"));
  CHECK(chk["bit_exact"] == false);
  for (const auto& c : chk["checks"]) {
    if (c["name"] == "a") CHECK(c["bit_exact"] == true);
    if (c["name"] == "acc") CHECK(c["bit_exact"] == false);
  }
  // an unknown tensor, and a config the compiler cannot map: exit 2, nothing written
  const std::string none = scratch("compile_none");
  CHECK(test::run_cli({"compile", cfg, "--out", none, "--check", "--fault", "dram:nope:0:0"}) == 2);
  CHECK(test::run_cli({"compile", "--out", none, "--set", "hw.memory.input_kib=1"}) == 2);
  CHECK_FALSE(std::filesystem::exists(none + "/program.qasm"));
}

TEST_CASE("qtsim run --fault flips a DRAM bit under the machine: the checks locate the first tap it reaches", "[sim][cli][machine]") {
  const std::string cfg = write_yaml("run_fault.yaml", "workload: {gemm: {M: 9, K: 20, N: 11}}\nrun: {executors: [golden, machine]}\n");
  const std::string clean = scratch("run_clean");
  REQUIRE(test::run_cli({"run", cfg, "--out", clean}) == 0);
  const std::string dir = scratch("run_fault");
  CHECK(test::run_cli({"run", cfg, "--out", dir, "--fault", "dram:w:3:6", "--fault", "dram:w:4:0"}) == 1);
  const nlohmann::json r = nlohmann::json::parse(std::ifstream(dir + "/report.json"));
  CHECK(r["machine"]["first_differing_tap"] == "acc");
  for (const auto& c : r["checks"])
    if (c["name"] == "a" || c["name"] == "w") CHECK(c["bit_exact"] == true);  // golden's inputs stay clean; the machine reads a back
  // an unknown tensor, an element out of range: exit 2, nothing written
  const std::string none = scratch("run_fault_none");
  CHECK(test::run_cli({"run", cfg, "--out", none, "--fault", "dram:nope:0:0"}) == 2);
  CHECK(test::run_cli({"run", cfg, "--out", none, "--fault", "dram:w:220:0"}) == 2);
  CHECK_FALSE(std::filesystem::exists(none + "/report.json"));
}

TEST_CASE("an --out that can never be written is refused before any work, naming the path", "[sim][cli]") {
  const std::string file = scratch("not_a_dir");
  std::ofstream(file) << "keep";
  CHECK_THROWS_WITH(sim::check_out_dir(file), Catch::Contains("--out " + file + ": exists and is not a directory"));
  CHECK_THROWS_WITH(sim::check_out_dir(file + "/sub/dir"), Catch::Contains(file + " is not a directory"));
  const std::string fresh = scratch("fresh");
  sim::check_out_dir(fresh + "/a/b");  // mkdir -p can make it: accepted, and the check itself makes nothing
  CHECK(!fs::exists(fresh));
  if (geteuid() != 0) {  // root writes anywhere
    const std::string locked = scratch("locked");
    fs::create_directories(locked);
    fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec);
    CHECK_THROWS_WITH(sim::check_out_dir(locked + "/x"), Catch::Contains(locked + ": not writable"));
    fs::permissions(locked, fs::perms::owner_all);
  }
  const std::string dangling = scratch("dangling");
  fs::create_symlink(scratch("nothing_here"), dangling);
  CHECK_THROWS_WITH(sim::check_out_dir(dangling), Catch::Contains("a symbolic link to nothing"));
  // Every command that writes a folder refuses it up front, before it reads its config: a config that does
  // not exist shows that nothing else was looked at. The file is left as it was.
  const std::string none = scratch("no_such_config.yaml");
  for (const char* cmd : {"run", "compile", "golden", "eval"}) {
    INFO(cmd);
    const auto [code, err] = stderr_of({cmd, none, "--out", file});
    CHECK(code == 2);
    CHECK_THAT(err, Catch::Contains("--out " + file + ": exists and is not a directory"));
  }
  const auto [code, err] = stderr_of({"run", "--out", file});  // the default job, which would run for seconds
  CHECK(code == 2);
  CHECK_THAT(err, Catch::Contains("exists and is not a directory"));
  CHECK(test::slurp(file) == "keep");
}

TEST_CASE("a run the analytic model expects to exceed run.max_cycles is refused before it starts, unless --force", "[sim][cli]") {
  // DeiT-Tiny's qkv GEMM alone maps to about 86,000 cycles on 16x16 (docs/cycle-model.md: 85,150 for the
  // array): above a limit of 50,000 for the per-op model, and twice that with the machine beside it.
  const std::string cfg = std::string(QTSIM_CONFIG_DIR) + "/gemm_deit_tiny_qkv.yaml";
  CHECK(run({"run", cfg, "--set", "run.max_cycles=50000"}) == 2);
  CHECK(run({"run", cfg, "--set", "run.max_cycles=150000"}) == 0);
  CHECK(run({"run", cfg, "--set", "run.max_cycles=150000", "--set", "run.executors=[golden, model, machine]"}) == 2);
  CHECK(run({"run", cfg, "--set", "run.max_cycles=50000", "--force"}) == 0);
  CHECK(run({"run", cfg, "--set", "run.executors=[golden]", "--set", "run.max_cycles=1"}) == 0);  // nothing simulated
  // a fault runs the machine, whatever the executors say
  CHECK(run({"run", cfg, "--set", "run.executors=[golden]", "--set", "run.max_cycles=50000", "--fault", "dram:w:3:6"}) == 2);
  // the message names the key and the estimate
  try {
    sim::load_config(cfg, {"run.max_cycles=0"});
    FAIL("run.max_cycles 0 accepted");
  } catch (const sim::ConfigError& e) {
    CHECK_THAT(e.what(), Catch::Contains("run.max_cycles: must be >= 1"));
  }
}
