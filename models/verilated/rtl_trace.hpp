// Waves of the Verilated units (qtsim run --trace fst|vcd): one FST file per unit, on the accelerator's
// time axis (a unit idle between jobs shows no edges there). Off unless a folder is set before the
// accelerator is built. VCD is converted from the FST afterwards with GTKWave's fst2vcd.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

class VerilatedFstC;
class VerilatedContext;

namespace qtsim::model {

// "" turns tracing off; otherwise DIR/<unit>.fst for every RTL unit built afterwards.
void set_rtl_trace_dir(const std::string& dir);
const std::string& rtl_trace_dir();
// Closes every unit's wave file (the accelerator lives until the process ends; its waves are complete
// when the runs are).
void close_rtl_traces();
// DIR/<unit>.fst to DIR/<unit>.vcd for every unit traced; throws naming the file and the fix.
void convert_traces_to_vcd(const std::string& dir);

// A context for one Verilated unit, with tracing enabled when a trace folder is set (Verilator needs that
// before the model is built).
std::unique_ptr<VerilatedContext> new_rtl_context();

class UnitTrace {
 public:
  UnitTrace();
  ~UnitTrace();
  // Opens DIR/<unit>.fst for top when a trace folder is set. Defined where Top and VerilatedFstC are
  // complete: the unit's own source, after the Verilator headers.
  template <class Top>
  void open(Top& top, const std::string& unit) {
    if (rtl_trace_dir().empty()) return;
    fst_ = std::make_unique<VerilatedFstC>();
    top.trace(fst_.get(), 99);
    open_file(unit);
  }
  void dump(uint64_t time);
  void close();

 private:
  void open_file(const std::string& unit);
  std::unique_ptr<VerilatedFstC> fst_;
};

}  // namespace qtsim::model
