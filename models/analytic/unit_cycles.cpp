#include "models/analytic/unit_cycles.hpp"

#include <algorithm>

#include "golden/ilayernorm.hpp"

namespace qtsim::model {

namespace {
int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
}  // namespace

int64_t ppu_cycles(int64_t elements, int64_t lanes) { return ceil_div(elements, lanes) + kPpuLatency; }
int64_t shift_add_cycles(int64_t outputs, int64_t keys, int64_t lanes) { return ceil_div(outputs, lanes) * keys + kPpuLatency; }
int64_t shiftmax_cycles(int64_t rows, int64_t len, int64_t lanes) {
  return rows * (3 * ceil_div(len, lanes) + kDividerCycles);
}
int64_t shiftgelu_cycles(int64_t rows, int64_t len, int64_t lanes) {
  return rows * (2 * ceil_div(len, lanes) + kDividerCycles);
}
int64_t ilayernorm_cycles(int64_t rows, int64_t len, int64_t lanes) {
  return rows * (3 * ceil_div(len, lanes) + (1 + golden::kNewtonSteps + 1) * kDividerCycles);
}

ArrayConfig datapath_config(ArrayConfig cfg) {
  if (cfg.dataflow == Dataflow::is) cfg.dataflow = Dataflow::ws;
  return cfg;
}

Schedule array_schedule(const ArrayConfig& cfg, int64_t m, int64_t k_elems, int64_t n, int64_t lanes) {
  if (cfg.dataflow == Dataflow::is) return array_schedule(datapath_config(cfg), n, k_elems, m, lanes);
  const int64_t R = cfg.rows, C = cfg.cols, k = ceil_div(k_elems, lanes);
  Schedule s;
  if (cfg.dataflow == Dataflow::ws) {
    const int64_t tiles = ceil_div(n, C) * ceil_div(k, R);
    const int64_t pass = m + R + C - 2;  // a tile's first operand in to its last result out, exclusive
    for (int64_t i = 0; i < tiles; ++i) {
      int64_t p = 0, st = R;
      if (i > 0 && cfg.overlap) {
        // Weights load behind the previous stream into the buffer tile i-2 used, once its last operand has left.
        const int64_t buffer_free = i >= 2 ? s.start[static_cast<size_t>(i - 2)] + pass : 0;
        p = std::max(s.preload.back() + R, buffer_free);
        st = std::max(s.start.back() + m, p + R);
      } else if (i > 0) {
        p = s.start.back() + pass;
        st = p + R;
      }
      s.preload.push_back(p);
      s.start.push_back(st);
    }
    s.cycles = s.start.back() + pass;
  } else {
    // Overlapped, a tile's last row leaves a drain register k + R + C - 1 cycles after its start; serial
    // (SCALE-Sim), straight from the PEs one cycle sooner.
    const int64_t tiles = ceil_div(m, R) * ceil_div(n, C), span = k + R + C - (cfg.overlap ? 1 : 2);
    const int64_t gap = cfg.overlap ? std::max({k, R, C}) : span;
    for (int64_t i = 0; i < tiles; ++i) s.start.push_back(i == 0 ? 0 : s.start.back() + gap);
    s.cycles = s.start.back() + span;
  }
  return s;
}

int64_t array_cycles(const ArrayConfig& cfg, int64_t m, int64_t k_elems, int64_t n, int64_t lanes) {
  if (cfg.dataflow == Dataflow::is) return array_cycles(datapath_config(cfg), n, k_elems, m, lanes);
  const int64_t R = cfg.rows, C = cfg.cols, k = ceil_div(k_elems, lanes);
  if (cfg.dataflow == Dataflow::os) {
    const int64_t tiles = ceil_div(m, R) * ceil_div(n, C), span = k + R + C - (cfg.overlap ? 1 : 2);
    return (tiles - 1) * (cfg.overlap ? std::max({k, R, C}) : span) + span;
  }
  const int64_t tiles = ceil_div(n, C) * ceil_div(k, R), pass = m + R + C - 2;
  if (!cfg.overlap) return (tiles - 1) * (pass + R) + R + pass;
  // The same recurrence as array_schedule. Its future depends only on (p_i - a_i, a_{i-1} - a_i): once that
  // state repeats at i and i - d, every later start is the one d tiles earlier plus a_i - a_{i-d}.
  std::vector<int64_t> a{R}, p{0};
  for (int64_t i = 1; i < tiles; ++i) {
    const size_t u = static_cast<size_t>(i);
    const int64_t buffer_free = i >= 2 ? a[u - 2] + pass : 0;
    p.push_back(std::max(p[u - 1] + R, buffer_free));
    a.push_back(std::max(a[u - 1] + m, p[u] + R));
    for (size_t d = 1; d <= 2 && i >= 2 + static_cast<int64_t>(d); ++d) {
      if (p[u] - a[u] != p[u - d] - a[u - d] || a[u - 1] - a[u] != a[u - d - 1] - a[u - d]) continue;
      const int64_t j = i - static_cast<int64_t>(d), last = tiles - 1, delta = a[u] - a[u - d];
      const int64_t base = j + (last - j) % static_cast<int64_t>(d);
      return a[static_cast<size_t>(base)] + (last - j) / static_cast<int64_t>(d) * delta + pass;
    }
  }
  return a.back() + pass;
}

}  // namespace qtsim::model
