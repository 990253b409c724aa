#include "sim/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace qtsim::sim {

namespace {
// 3 significant digits with an SI suffix: 6.7 M, 412 k
std::string human(double v) {
  const char* suffix[] = {"", " k", " M", " G", " T"};
  int i = 0;
  for (; i < 4 && v >= 1000; ++i) v /= 1000;
  char b[32];
  std::snprintf(b, sizeof b, "%.3g%s", v, suffix[i]);
  return b;
}
}  // namespace

Progress::Progress(double total, double done, std::string unit, double quiet_s, std::string label, bool estimated)
    : total_(total), done_(done), start_done_(done), quiet_s_(quiet_s), unit_(std::move(unit)), label_(std::move(label)),
      estimated_(estimated), tty_(isatty(STDOUT_FILENO)) {}

void Progress::set(double done) {
  done_ = done;
  if (!tty_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(100) || seconds() < quiet_s_) return;
  last_ = now;
  const double s = seconds(), rate = (done_ - start_done_) / std::max(s, 1e-9);
  const double eta = rate > 0 ? std::max(0.0, total_ - done_) / rate : 0;
  const int width = 30, fill = total_ > 0 ? static_cast<int>(width * std::min(1.0, done_ / total_)) : width;
  std::printf("\r%s[%s%s] %s of %s%s %s  %s %s/s  ETA %.1f s   ", label_.c_str(), std::string(static_cast<size_t>(fill), '#').c_str(),
              std::string(static_cast<size_t>(width - fill), '.').c_str(), human(done_).c_str(), estimated_ ? "~" : "", human(total_).c_str(), unit_.c_str(),
              human(rate).c_str(), unit_.c_str(), eta);
  std::fflush(stdout);
  drawn_ = true;
}

void Progress::finish() {
  if (!drawn_) return;
  last_ = {};  // the final state, whatever the throttle skipped
  set(done_);
  std::printf("\n");
  drawn_ = false;
}

}  // namespace qtsim::sim
