#include "verilated.h"
#include "verilated_fst_c.h"
// (after Verilator's headers, which switch to SystemC mode when included after <systemc>)
#include "models/verilated/rtl_trace.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace qtsim::model {

namespace {
std::string& trace_dir() {
  static std::string dir;
  return dir;
}
std::vector<UnitTrace*>& open_traces() {
  static std::vector<UnitTrace*> v;
  return v;
}
}  // namespace

void set_rtl_trace_dir(const std::string& dir) {
  if (!dir.empty()) std::filesystem::create_directories(dir);
  trace_dir() = dir;
}

const std::string& rtl_trace_dir() { return trace_dir(); }

std::unique_ptr<VerilatedContext> new_rtl_context() {
  auto ctx = std::make_unique<VerilatedContext>();
  if (!trace_dir().empty()) ctx->traceEverOn(true);
  return ctx;
}

UnitTrace::UnitTrace() = default;

UnitTrace::~UnitTrace() { close(); }

void UnitTrace::close() {
  if (!fst_) return;
  fst_->close();
  fst_.reset();
  auto& v = open_traces();
  v.erase(std::remove(v.begin(), v.end(), this), v.end());
}

void close_rtl_traces() {
  while (!open_traces().empty()) open_traces().back()->close();
}

void UnitTrace::open_file(const std::string& unit) {
  // the units of the first accelerator by their own names (accelerator.rtl_array -> rtl_array); those of a
  // second one (qtsim run's rtl executor beside a model with RTL units) by their full names
  const std::string first = "accelerator.";
  const std::string base = unit.rfind(first, 0) == 0 ? unit.substr(first.size()) : unit;
  const std::string path = trace_dir() + "/" + base + ".fst";
  fst_->open(path.c_str());
  if (!fst_->isOpen()) throw std::runtime_error(path + ": cannot open for the unit's waves");
  open_traces().push_back(this);
}

void UnitTrace::dump(uint64_t time) {
  if (fst_) fst_->dump(time);
}

void convert_traces_to_vcd(const std::string& dir) {
  namespace fs = std::filesystem;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".fst") continue;
    fs::path vcd = e.path();
    vcd.replace_extension(".vcd");
    const std::string tmp = vcd.string() + ".tmp";
    const std::string cmd = "fst2vcd -f '" + e.path().string() + "' -o '" + tmp + "' > /dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      std::remove(tmp.c_str());
      if (std::system("command -v fst2vcd > /dev/null 2>&1") != 0)
        throw std::runtime_error("--trace vcd converts the FST waves with GTKWave's fst2vcd: install the Debian package (apt-get install gtkwave)");
      throw std::runtime_error("fst2vcd failed on " + e.path().string());
    }
    fs::rename(tmp, vcd);
    fs::remove(e.path());
  }
}

}  // namespace qtsim::model
