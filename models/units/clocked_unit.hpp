// Shared plumbing of the clocked units: one job at a time, a done event, busy-cycle counts.
// A unit advances its job by one clock cycle per step(); step() returns false on the job's last cycle.
//
// The units keep their own time: an idle unit sleeps on its start event, and a busy one runs a batch of
// cycles per activation and wakes again that many clock periods later. Nothing outside a unit observes it
// mid-job (jobs hand over whole tensors), so this is cycle-identical to a process on every clock edge, without
// the kernel cost of a clock signal toggling twice per cycle. RTL units that need a real clock bring their own.
#pragma once
#include <systemc>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace qtsim::model {

class ClockedUnit : public sc_core::sc_module {
 public:
  sc_core::sc_event done;
  int64_t busy_cycles = 0;

  SC_HAS_PROCESS(ClockedUnit);
  explicit ClockedUnit(sc_core::sc_module_name name, sc_core::sc_time period = sc_core::sc_time(1, sc_core::SC_NS))
      : sc_module(name), period_(period) {
    SC_METHOD(tick);
    sensitive << wake_;
    dont_initialize();
  }
  bool busy() const { return busy_; }

  // Runs the current job to completion; returns the cycles it took.
  int64_t run_to_done() {
    const int64_t before = busy_cycles;
    while (busy_) sc_core::sc_start(period_ * static_cast<double>(expected_ + 1));
    return busy_cycles - before;
  }

 protected:
  // `cycles`: the job's expected length, for run_to_done (the unit itself decides when it ends).
  void begin(int64_t cycles) {
    if (busy_) throw std::logic_error(std::string(name()) + ": start while busy");
    busy_ = true;
    started_ = false;
    expected_ = cycles;
    wake_.notify(sc_core::SC_ZERO_TIME);
  }
  virtual bool step() = 0;
  // The simulated time of the current step's rising clock edge (SystemC time: picoseconds by default), for
  // the waves of RTL units.
  uint64_t edge_time() const { return (sc_core::sc_time_stamp() + period_ * static_cast<double>(batch_step_)).value(); }
  uint64_t half_period() const { return period_.value() / 2; }

 private:
  static constexpr int64_t kBatch = 64;

  void tick() {
    if (!busy_) return;
    if (!started_) {  // woken by a start: the first cycle is the next clock edge
      started_ = true;
      next_trigger(period_);
      return;
    }
    for (int64_t i = 0; i < kBatch; ++i) {
      batch_step_ = i;
      ++busy_cycles;
      if (!step()) {
        busy_ = false;
        done.notify(sc_core::SC_ZERO_TIME);
        return;  // back to static sensitivity: the next start
      }
    }
    next_trigger(period_ * static_cast<double>(kBatch));
  }

  sc_core::sc_time period_;
  sc_core::sc_event wake_;
  bool busy_ = false, started_ = false;
  int64_t expected_ = 0;
  int64_t batch_step_ = 0;  // the step within the current batch of cycles
};

}  // namespace qtsim::model
