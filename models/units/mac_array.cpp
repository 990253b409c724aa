#include "models/units/mac_array.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace qtsim::model {

namespace {
int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
}  // namespace

GemmJob datapath_job(const ArrayConfig& cfg, GemmJob job) {
  if (cfg.dataflow == Dataflow::is) std::swap(job.a, job.b), std::swap(job.m, job.n);
  return job;
}

Tiles array_tiles(const ArrayConfig& cfg, const GemmJob& job) {
  Tiles t;
  const int64_t R = cfg.rows, C = cfg.cols;
  if (cfg.dataflow != Dataflow::os) {
    for (int64_t n0 = 0; n0 < job.n; n0 += C)
      for (int64_t k0 = 0; k0 < job.k; k0 += R * job.lanes) t.r0.push_back(k0), t.c0.push_back(n0);
  } else {
    for (int64_t m0 = 0; m0 < job.m; m0 += R)
      for (int64_t n0 = 0; n0 < job.n; n0 += C) t.r0.push_back(m0), t.c0.push_back(n0);
  }
  return t;
}

int64_t tile_at(const std::vector<int64_t>& start, int64_t pos, int64_t len, int64_t& cur) {
  const auto tiles = static_cast<int64_t>(start.size());
  while (cur < tiles && pos >= start[static_cast<size_t>(cur)] + len) ++cur;
  return (cur < tiles && pos >= start[static_cast<size_t>(cur)]) ? cur : -1;
}

MacArray::MacArray(sc_core::sc_module_name name, const ArrayConfig& cfg) : ClockedUnit(name), cfg_(cfg) {
  if (cfg.rows < 1 || cfg.cols < 1) throw std::invalid_argument("array rows and cols must be >= 1");
  const size_t pe = static_cast<size_t>(cfg.rows * cfg.cols);
  a_.assign(pe, 0), a_next_ = a_, b_ = a_, b_next_ = a_;
  p_.assign(pe, 0), p_next_ = p_, shadow_ = p_;
  cursor_.assign(static_cast<size_t>(cfg.rows + cfg.cols), 0);
  zero_row_.assign(static_cast<size_t>(cfg.cols), 0);
  tag_.assign(pe, -1), tag_next_ = tag_, shadow_tag_ = tag_;
  w_[0].assign(pe, 0), w_[1] = w_[0];
}

void MacArray::start(const GemmJob& job) {
  if (job.m < 1 || job.k < 1 || job.n < 1) throw std::invalid_argument("array job needs M, K, N >= 1");
  if (job.lanes < 1) throw std::invalid_argument("array job needs lanes >= 1");
  job_ = datapath_job(cfg_, job);
  sched_ = array_schedule(datapath_config(cfg_), job_.m, job_.k, job_.n, job_.lanes);
  const size_t lanes_total = static_cast<size_t>(cfg_.rows * cfg_.cols * job.lanes);
  a_.assign(lanes_total, 0), a_next_ = a_, b_ = a_, b_next_ = a_, w_[0] = a_, w_[1] = a_;
  tiles_ = array_tiles(cfg_, job_);
  begin(sched_.cycles);
  t_ = 0;
  loaded_ = 0;
  last_write_ = -1;
  std::fill(tag_.begin(), tag_.end(), -1);
  std::fill(shadow_tag_.begin(), shadow_tag_.end(), -1);
  std::fill(p_.begin(), p_.end(), 0);
  std::fill(cursor_.begin(), cursor_.end(), 0);
  drain_tile_ = 0;
}

bool MacArray::step() {
  if (cfg_.dataflow == Dataflow::os) tick_os();
  else tick_ws();
  if (++t_ < sched_.cycles) return true;
  // The schedule's length must be the simulation's: the last result left the array on the last cycle.
  if (last_write_ != t_ - 1) throw std::logic_error(std::string(name()) + ": schedule length disagrees with the datapath");
  return false;
}

// Every operand register moves one PE to the right: rows are contiguous, so one copy of the whole array
// shifted by one PE does it for all rows (column 0 of each row is overwritten by that row's new operand).
static inline void shift_all_right(std::vector<int32_t>& dst, const std::vector<int32_t>& src, size_t by) {
  std::memcpy(dst.data() + by, src.data(), (src.size() - by) * sizeof(int32_t));
}

void MacArray::tick_ws() {
  const int64_t R = cfg_.rows, C = cfg_.cols, M = job_.m, K = job_.k, N = job_.n, L = job_.lanes;
  // Weight port: a tile's weights land in its buffer when its preload starts (the schedule guarantees the
  // buffer's previous tile has left every PE).
  while (loaded_ < static_cast<int64_t>(sched_.preload.size()) && sched_.preload[static_cast<size_t>(loaded_)] == t_) {
    const int64_t k0 = tiles_.r0[static_cast<size_t>(loaded_)], n0 = tiles_.c0[static_cast<size_t>(loaded_)];
    std::vector<int32_t>& w = w_[loaded_ % 2];
    // Registers hold the operands of the previous cycle; those short of the last column still have a
    // multiply ahead of them, with this buffer if they belong to the tile two back.
    for (int64_t r = 0; r < R; ++r)
      for (int64_t c = 0; c + 1 < C; ++c) {
        const int32_t tg = tag_[static_cast<size_t>(r * C + c)];
        if (tg >= 0 && tg % 2 == loaded_ % 2 && tg != loaded_)
          throw std::logic_error("ws schedule: weight buffer overwritten while in use");
      }
    for (int64_t r = 0; r < R; ++r)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t l = 0; l < L; ++l) {
          const int64_t k = k0 + r * L + l;
          w[static_cast<size_t>((r * C + c) * L + l)] = (k < K && n0 + c < N) ? job_.b[(n0 + c) * K + k] : 0;
        }
    ++loaded_;
  }
  shift_all_right(a_next_, a_, static_cast<size_t>(L));
  shift_all_right(tag_next_, tag_, 1);
  for (int64_t r = 0; r < R; ++r) {
    const size_t base = static_cast<size_t>(r * C), lbase = base * static_cast<size_t>(L);
    // Column 0 takes A[m][k0 + r L + l] of the tile streaming now, skewed by r.
    const int64_t tile = tile_at(sched_.start, t_ - r, M, cursor_[static_cast<size_t>(r)]);
    const int64_t m = tile < 0 ? 0 : t_ - r - sched_.start[static_cast<size_t>(tile)];
    const int64_t k = tile < 0 ? K : tiles_.r0[static_cast<size_t>(tile)] + r * L;
    for (int64_t l = 0; l < L; ++l) a_next_[lbase + static_cast<size_t>(l)] = k + l < K ? job_.a[m * K + k + l] : 0;  // bubbles carry 0
    tag_next_[base] = static_cast<int32_t>(tile);
    // Each PE adds its L products to the partial sum of the PE above, with the weight buffer of its operand's tile.
    const int32_t* __restrict above = r == 0 ? zero_row_.data() : &p_[base - static_cast<size_t>(C)];
    const int32_t* __restrict tg = &tag_next_[base];
    int32_t* __restrict pn = &p_next_[base];
    if (L == 1) {
      const int32_t *__restrict an = &a_next_[lbase], *__restrict w0 = &w_[0][lbase], *__restrict w1 = &w_[1][lbase];
      for (int64_t c = 0; c < C; ++c) pn[c] = above[c] + an[c] * ((tg[c] & 1) ? w1[c] : w0[c]);
    } else {
      for (int64_t c = 0; c < C; ++c) {
        const size_t o = lbase + static_cast<size_t>(c * L);
        const int32_t *an = &a_next_[o], *w = &w_[tg[c] & 1][o];
        int32_t s = above[c];
        for (int64_t l = 0; l < L; ++l) s += an[l] * w[l];
        pn[c] = s;
      }
    }
  }
  // Bottom row: finished partial sums into the accumulators (K tiles fold by addition). The operand at
  // (R-1, c) entered the array at t - (R-1) - c: its A row follows from its tile's stream start.
  for (int64_t c = 0; c < C; ++c) {
    const size_t i = static_cast<size_t>((R - 1) * C + c);
    const int32_t tg = tag_next_[i];
    if (tg < 0) continue;
    const int64_t n = tiles_.c0[static_cast<size_t>(tg)] + c;
    const int64_t m = t_ - (R - 1) - c - sched_.start[static_cast<size_t>(tg)];
    if (n < N) job_.c[cfg_.dataflow == Dataflow::is ? n * M + m : m * N + n] += p_next_[i];
    last_write_ = t_;
  }
  std::swap(a_, a_next_), std::swap(tag_, tag_next_), std::swap(p_, p_next_);
}

void MacArray::tick_os() {
  const int64_t R = cfg_.rows, C = cfg_.cols, M = job_.m, K = job_.k, N = job_.n, L = job_.lanes;
  const int64_t steps = ceil_div(K, L);  // PE steps per tile
  // Drain port: one row of C results per cycle, row r of tile s at start + steps + lag + r. Overlapped, it
  // reads the drain registers as they stood at the clock edge (lag C - 1), while the PEs may refill them in
  // this same cycle. Serial (SCALE-Sim's timing), each row goes out in the cycle its last MAC completes
  // (lag C - 2): nothing else is in flight to need the register.
  auto drain = [&](int64_t lag) {
    drain_due_rows(sched_.start, steps + lag, R, t_, drain_tile_, [&](int64_t s, int64_t r) {
      const int64_t mm = tiles_.r0[static_cast<size_t>(s)] + r;
      for (int64_t c = 0; c < C; ++c) {
        const size_t i = static_cast<size_t>(r * C + c);
        if (shadow_tag_[i] != static_cast<int32_t>(s)) throw std::logic_error("os schedule: drained a row that was not ready");
        const int64_t nn = tiles_.c0[static_cast<size_t>(s)] + c;
        if (mm < M && nn < N) job_.c[mm * N + nn] += shadow_[i];
        shadow_tag_[i] = -1;
        last_write_ = t_;
      }
    });
  };
  if (cfg_.overlap) drain(C - 1);
  // B enters the top row (column c takes B[n0 + c][k..k+L), skewed by c) and moves one row down per cycle.
  shift_all_right(b_next_, b_, static_cast<size_t>(C * L));  // one row down
  for (int64_t c = 0; c < C; ++c) {
    const int64_t tile = tile_at(sched_.start, t_ - c, steps, cursor_[static_cast<size_t>(R + c)]);
    const int64_t kb = tile < 0 ? 0 : (t_ - c - sched_.start[static_cast<size_t>(tile)]) * L;
    const int64_t nn = tile < 0 ? N : tiles_.c0[static_cast<size_t>(tile)] + c;
    for (int64_t l = 0; l < L; ++l) b_next_[static_cast<size_t>(c * L + l)] = (nn < N && kb + l < K) ? job_.b[nn * K + kb + l] : 0;
  }
  shift_all_right(a_next_, a_, static_cast<size_t>(L));
  shift_all_right(tag_next_, tag_, 1);
  for (int64_t r = 0; r < R; ++r) {
    const size_t base = static_cast<size_t>(r * C), lbase = base * static_cast<size_t>(L);
    // A row m0 + r enters row r, skewed by r, and moves one column right per cycle.
    const int64_t tile = tile_at(sched_.start, t_ - r, steps, cursor_[static_cast<size_t>(r)]);
    const int64_t step = tile < 0 ? 0 : t_ - r - sched_.start[static_cast<size_t>(tile)];
    const int64_t mm = tile < 0 ? M : tiles_.r0[static_cast<size_t>(tile)] + r;
    for (int64_t l = 0; l < L; ++l) {
      const int64_t k = step * L + l;
      a_next_[lbase + static_cast<size_t>(l)] = (mm < M && k < K) ? job_.a[mm * K + k] : 0;
    }
    tag_next_[base] = static_cast<int32_t>(tile);
    const int32_t *an = &a_next_[lbase], *bn = &b_next_[lbase];
    int32_t* acc = &p_[base];
    for (int64_t c = 0; c < C; ++c)
      for (int64_t l = 0; l < L; ++l) acc[c] += an[c * L + l] * bn[c * L + l];  // bubbles carry 0
    // The PE that took its tile's last step hands the sum to its drain register (its step follows from the
    // cycle and its tile's start, as the operands travel one PE per cycle).
    for (int64_t c = 0; c < C; ++c) {
      const size_t i = base + static_cast<size_t>(c);
      if (tag_next_[i] < 0 || t_ - r - c - sched_.start[static_cast<size_t>(tag_next_[i])] != steps - 1) continue;
      if (shadow_tag_[i] >= 0) throw std::logic_error("os schedule: drain register overwritten before it drained");
      shadow_[i] = p_[i], shadow_tag_[i] = tag_next_[i], p_[i] = 0;
    }
  }
  if (!cfg_.overlap) drain(C - 2);
  std::swap(a_, a_next_), std::swap(b_, b_next_), std::swap(tag_, tag_next_);
}

}  // namespace qtsim::model
