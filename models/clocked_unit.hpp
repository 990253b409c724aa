// Shared plumbing of the clocked units: a clock input, one job at a time, a done event, busy-cycle counts.
// A unit advances its job by one cycle per rising edge in step(); step() returns false on the job's last cycle.
#pragma once
#include <systemc>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace qtsim::model {

class ClockedUnit : public sc_core::sc_module {
 public:
  sc_core::sc_in<bool> clk;
  sc_core::sc_event done;
  int64_t busy_cycles = 0;

  SC_HAS_PROCESS(ClockedUnit);
  explicit ClockedUnit(sc_core::sc_module_name name) : sc_module(name) {
    SC_METHOD(tick);
    sensitive << clk.pos();
    dont_initialize();
  }
  bool busy() const { return busy_; }

  // Runs the current job to completion on the unit's own clock; returns the cycles it took.
  int64_t run_to_done() {
    const int64_t before = busy_cycles;
    while (busy_) sc_core::sc_start(1000, sc_core::SC_NS);
    return busy_cycles - before;
  }

 protected:
  void begin() {
    if (busy_) throw std::logic_error(std::string(name()) + ": start while busy");
    busy_ = true;
  }
  virtual bool step() = 0;

 private:
  void tick() {
    if (!busy_) return;
    ++busy_cycles;
    if (!step()) {
      busy_ = false;
      done.notify(sc_core::SC_ZERO_TIME);
    }
  }
  bool busy_ = false;
};

}  // namespace qtsim::model
