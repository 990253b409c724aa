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
  }
  bool busy() const { return busy_; }

  // Runs the current job to completion on the unit's own clock; returns the cycles it took.
  int64_t run_to_done() {
    const int64_t before = busy_cycles;
    if (busy_) sc_core::sc_start(static_cast<double>(expected_), sc_core::SC_NS);
    while (busy_) sc_core::sc_start(1, sc_core::SC_NS);
    return busy_cycles - before;
  }

 protected:
  // `cycles`: the job's length, for run_to_done to simulate in one call (the unit still decides when it ends).
  void begin(int64_t cycles) {
    if (busy_) throw std::logic_error(std::string(name()) + ": start while busy");
    busy_ = true;
    expected_ = cycles;
    wake_.notify(sc_core::SC_ZERO_TIME);  // an idle unit sleeps on this event instead of taking every clock edge
  }
  virtual bool step() = 0;

 private:
  void tick() {
    if (!busy_) {
      next_trigger(wake_);
      return;
    }
    if (sleeping_) {  // woken by a start, not by the clock: steps begin on the next edge
      sleeping_ = false;
      next_trigger();
      return;
    }
    ++busy_cycles;
    if (!step()) {
      busy_ = false;
      sleeping_ = true;
      done.notify(sc_core::SC_ZERO_TIME);
      next_trigger(wake_);
    }
  }
  bool busy_ = false, sleeping_ = true;
  int64_t expected_ = 0;
  sc_core::sc_event wake_;
};

}  // namespace qtsim::model
