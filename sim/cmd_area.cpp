// qtsim area CONFIG.yaml: the configuration's RTL units synthesized by yosys (generic cells: `synth`, then
// `stat`), with a NAND2-equivalent gate count; results cached per unit, parameter set and RTL source.
#include <boost/program_options.hpp>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "golden/npy.hpp"
#include "sim/cli.hpp"
#include "sim/cli_args.hpp"
#include "sim/config.hpp"
#include "sim/output.hpp"

namespace po = boost::program_options;
using nlohmann::json;

namespace qtsim::sim {

namespace {

// Approximate gate equivalents of yosys's generic cells (a NAND2 is 1), as standard-cell libraries size
// them: inverter 0.67, two-input AND/OR-type gates 1.33, XOR/XNOR and 2:1 mux 2.33, flip-flop 4.33 (5.33
// with an asynchronous reset or set).
double nand2_weight(const std::string& cell) {
  if (cell == "$_NOT_") return 0.67;
  if (cell == "$_NAND_" || cell == "$_NOR_") return 1.0;
  if (cell == "$_AND_" || cell == "$_OR_" || cell == "$_ANDNOT_" || cell == "$_ORNOT_") return 1.33;
  if (cell == "$_XOR_" || cell == "$_XNOR_" || cell == "$_MUX_") return 2.33;
  // Flip-flops: a plain one 4.33; an asynchronous reset adds 1, a synchronous reset an AND gate, an
  // enable a multiplexer.
  if (cell.rfind("$_DFF_P", 0) == 0 || cell.rfind("$_DFF_N", 0) == 0) return cell.size() > 8 ? 5.33 : 4.33;
  if (cell.rfind("$_DFFE_", 0) == 0) return (cell.size() > 10 ? 5.33 : 4.33) + 2.33;
  if (cell.rfind("$_SDFF_", 0) == 0) return 4.33 + 1.33;
  if (cell.rfind("$_SDFFE_", 0) == 0 || cell.rfind("$_SDFFCE_", 0) == 0) return 4.33 + 1.33 + 2.33;
  if (cell.rfind("$_AOI", 0) == 0 || cell.rfind("$_OAI", 0) == 0) return 1.67;
  if (cell == "$_BUF_") return 0;
  throw std::runtime_error("yosys produced a cell with no gate-equivalent weight: " + cell);
}

struct Unit {
  std::string name, module;
  std::vector<std::string> sources;  // file names under rtl/, the module's own last
  std::map<std::string, int64_t> params;
  int64_t copies = 1;  // instances of the synthesized module the unit is made of
};

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(path + ": cannot open");
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

std::string cache_dir() {
  if (const char* x = std::getenv("QTSIM_CACHE_DIR")) return x;
  if (const char* x = std::getenv("XDG_CACHE_HOME")) return std::string(x) + "/qtsim";
  if (const char* h = std::getenv("HOME")) return std::string(h) + "/.cache/qtsim";
  return "/tmp/qtsim-cache";
}

// Cell counts by type from yosys's `stat` output.
std::map<std::string, int64_t> parse_stat(const std::string& text) {
  std::map<std::string, int64_t> cells;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream ls(line);
    std::string name;
    int64_t count = 0;
    if (ls >> name >> count && name.rfind("$_", 0) == 0) cells[name] = count;
  }
  return cells;
}

json synthesize(const Unit& u, bool use_cache, bool& cached) {
  std::string src, paths;
  for (const auto& f : u.sources) {
    const std::string path = std::string(QTSIM_RTL_DIR) + "/" + f;
    src += read_file(path), paths += " " + path;
  }
  std::string key = u.module;
  for (const auto& [k, v] : u.params) key += "-" + k + std::to_string(v);
  char hash[20];
  std::snprintf(hash, sizeof hash, "%016zx", std::hash<std::string>{}(src));
  key += "-" + std::string(hash);
  const std::string dir = cache_dir() + "/area", file = dir + "/" + key + ".json";
  struct stat st {};
  if (use_cache && stat(file.c_str(), &st) == 0) {
    cached = true;
    return json::parse(read_file(file));
  }
  cached = false;
  make_dir(dir);
  const std::string stat_file = file + ".stat.tmp", script = file + ".ys.tmp";
  std::string chparam;
  for (const auto& [k, v] : u.params) chparam += "chparam -set " + k + " " + std::to_string(v) + " " + u.module + "\n";
  std::ofstream(script) << "read_verilog -sv" << paths << "\n" << chparam << "synth -top " << u.module << " -flatten\n"
                        << "tee -q -o " << stat_file << " stat\n";
  const std::string cmd = "yosys -q -s '" + script + "' > '" + file + ".log.tmp' 2>&1";
  const int rc = std::system(cmd.c_str());
  if (rc != 0) {
    if (std::system("command -v yosys > /dev/null 2>&1") != 0)
      throw std::runtime_error("yosys not found: install the Debian package (apt-get install yosys)");
    throw std::runtime_error("yosys failed on" + paths + " (log: " + file + ".log.tmp)");
  }
  const std::map<std::string, int64_t> cells = parse_stat(read_file(stat_file));
  if (cells.empty()) throw std::runtime_error("no cells in yosys's statistics (" + stat_file + ")");
  int64_t total = 0;
  double nand2 = 0;
  for (const auto& [c, n] : cells) total += n, nand2 += static_cast<double>(n) * nand2_weight(c);
  json j{{"unit", u.name}, {"module", u.module}, {"params", u.params}, {"cells", total}, {"nand2_eq", nand2}, {"by_type", cells}};
  golden::write_file_atomic(file, j.dump(2) + "\n");
  std::remove(stat_file.c_str()), std::remove(script.c_str()), std::remove((file + ".log.tmp").c_str());
  return j;
}

// Units of LANES generate copies grow linearly in their lanes: above two lanes the area is extrapolated
// from syntheses at one and two (yosys takes many minutes on sixteen lanes of 32 x 32 multipliers, and
// the result would be the same line).
json unit_area(const Unit& u, bool use_cache, bool& cached) {
  const auto it = u.params.find("LANES");
  if (it == u.params.end() || it->second <= 2) return synthesize(u, use_cache, cached);
  Unit one = u, two = u;
  one.params["LANES"] = 1, two.params["LANES"] = 2;
  bool c1 = false, c2 = false;
  const json a = synthesize(one, use_cache, c1), b = synthesize(two, use_cache, c2);
  cached = c1 && c2;
  const int64_t extra = it->second - 1;
  json j = b;
  j["params"] = u.params;
  j["lanes_extrapolated_from"] = {1, 2};
  j["cells"] = a["cells"].get<int64_t>() + extra * (b["cells"].get<int64_t>() - a["cells"].get<int64_t>());
  j["nand2_eq"] = a["nand2_eq"].get<double>() + static_cast<double>(extra) * (b["nand2_eq"].get<double>() - a["nand2_eq"].get<double>());
  json types = json::object();
  for (const auto& [cell, n] : b["by_type"].items()) {
    const int64_t n1 = a["by_type"].value(cell, int64_t{0});
    types[cell] = n1 + extra * (n.get<int64_t>() - n1);
  }
  for (const auto& [cell, n] : a["by_type"].items())
    if (!types.contains(cell)) types[cell] = n.get<int64_t>() - extra * n.get<int64_t>();
  j["by_type"] = types;
  return j;
}

}  // namespace

int cmd_area(int argc, const char* const* argv) {
  std::vector<std::string> sets, only;
  std::string format = "table";
  bool no_cache = false;
  po::options_description opts(
      "usage: qtsim area [CONFIG.yaml] [--set key.path=value ...] [--unit NAME ...] [--format table|json] [--no-cache]\n\n"
      "Synthesizes the configuration's RTL units with yosys (generic cells) and reports cells and NAND2\n"
      "equivalents per unit: the array as rows x cols PEs, units of more than two lanes extrapolated from\n"
      "one and two lanes (lanes are generate copies). Results are cached by unit, parameters and RTL source in $QTSIM_CACHE_DIR,\n"
      "else $XDG_CACHE_HOME/qtsim, else ~/.cache/qtsim.\n\noptions");
  opts.add_options()("help,h", "this help")("set", po::value(&sets)->composing(), "override a config key")(
      "format", po::value(&format), "table or json")("no-cache", po::bool_switch(&no_cache), "synthesize again")(
      "unit", po::value(&only)->composing(), "only this unit (array, ppu, ppu_fold, ppu_shift_add, shiftmax, shiftgelu, ilayernorm); repeatable");
  std::vector<std::string> positional;
  if (!parse_args(argc, argv, opts, positional, 1)) return 0;
  if (format != "table" && format != "json") throw std::invalid_argument("--format must be table or json");
  const Config c = load_config(positional.empty() ? "" : positional[0], sets);
  // Every unit of the accelerator at the configuration's parameters. The array is its PEs (as
  // rtl/CMakeLists.txt builds them: two products per PE, 17-bit operands), synthesized once and counted
  // rows x cols times: flattening hundreds of multipliers takes yosys the better part of an hour, and the
  // array adds only a row-select decoder to them.
  const int64_t nl = c.hw.nonlinear_lanes;
  const std::vector<Unit> units{
      {"array", "qtsim_mac_pe", {"qtsim_mac_pe.sv"}, {{"LANES", 2}, {"AW", 17}, {"BW", 17}}, c.hw.array.rows * c.hw.array.cols},
      {"ppu", "qtsim_requant", {"qtsim_pipe_ctrl.sv", "qtsim_requant_term.sv", "qtsim_requant.sv"}, {{"LANES", c.hw.ppu_lanes}}},
      {"ppu_fold", "qtsim_group4_fold", {"qtsim_pipe_ctrl.sv", "qtsim_group4_fold.sv"}, {{"LANES", c.hw.ppu_lanes}}},
      {"ppu_shift_add", "qtsim_shift_add", {"qtsim_pipe_ctrl.sv", "qtsim_shift_add.sv"}, {{"LANES", c.hw.ppu_lanes}}},
      {"shiftmax", "qtsim_shiftmax", {"qtsim_row_seq.sv", "qtsim_shift_exp.sv", "qtsim_shiftmax.sv"}, {{"LANES", nl}}},
      {"shiftgelu", "qtsim_shiftgelu", {"qtsim_row_seq.sv", "qtsim_shift_exp.sv", "qtsim_shiftgelu.sv"}, {{"LANES", nl}}},
      {"ilayernorm", "qtsim_ilayernorm", {"qtsim_row_seq.sv", "qtsim_div64.sv", "qtsim_ilayernorm.sv"}, {{"LANES", nl}}}};
  for (const auto& name : only)
    if (std::none_of(units.begin(), units.end(), [&](const Unit& u) { return u.name == name; }))
      throw std::invalid_argument("--unit: no unit '" + name + "' (array, ppu, ppu_fold, ppu_shift_add, shiftmax, shiftgelu, ilayernorm)");
  json rows = json::array();
  double total = 0;
  if (format == "table") std::printf("%-10s %-16s %-34s %10s %12s  %s\n", "unit", "module", "params", "cells", "NAND2 eq", "");
  for (const Unit& u : units) {
    if (!only.empty() && std::find(only.begin(), only.end(), u.name) == only.end()) continue;
    bool cached = false;
    json j = unit_area(u, !no_cache, cached);
    const auto n = static_cast<double>(u.copies);
    j["unit"] = u.name, j["copies"] = u.copies;
    j["cells"] = j["cells"].get<int64_t>() * u.copies, j["nand2_eq"] = j["nand2_eq"].get<double>() * n;
    rows.push_back(j);
    total += j["nand2_eq"].get<double>();
    if (format == "table") {
      std::string params;
      for (const auto& [k, v] : u.params) params += k + "=" + std::to_string(v) + " ";
      if (u.copies > 1) params += "x " + std::to_string(u.copies);
      if (j.contains("lanes_extrapolated_from")) params += "(from 1, 2)";
      std::printf("%-10s %-16s %-34s %10lld %12.0f  %s\n", u.name.c_str(), u.module.c_str(), params.c_str(),
                  static_cast<long long>(j["cells"].get<int64_t>()), j["nand2_eq"].get<double>(), cached ? "(cached)" : "");
    }
  }
  if (format == "json") std::cout << json{{"config", c.source}, {"units", rows}, {"nand2_eq", total}}.dump(2) << "\n";
  else std::printf("%-10s %-16s %-34s %10s %12.0f\n", "total", "", "", "", total);
  return 0;
}

}  // namespace qtsim::sim
