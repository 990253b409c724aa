// A one-line progress bar on a terminal: done of total (points of a sweep, simulated cycles of a run), the
// rate and the ETA, redrawn at most ten times a second. Silent when stdout is not a terminal, and, for a run,
// until it has taken `quiet_s` seconds, so that short jobs print nothing extra.
#pragma once
#include <chrono>
#include <string>

namespace qtsim::sim {

class Progress {
 public:
  // label: what runs ("" or "machine: "); unit: what is counted ("points", "cycles"); estimated: the total
  // is an estimate (shown as "~")
  Progress(double total, double done, std::string unit, double quiet_s = 0, std::string label = "", bool estimated = false);
  void tick(double n) { set(done_ + n); }
  void set(double done);  // done may pass total (an estimate): the bar stays full, the ETA at 0
  void finish();          // ends the bar's line, if one was drawn
  double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
  double fresh() const { return done_ - start_done_; }  // done since the start

 private:
  double total_, done_, start_done_, quiet_s_;
  std::string unit_, label_;
  bool estimated_, tty_, drawn_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_{};
};

}  // namespace qtsim::sim
