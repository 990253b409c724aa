#include "models/units/dma.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <tuple>

namespace qtsim::model {

TransferTimes DmaEngine::run(const std::vector<Block>& blocks, const MemoryConfig& mem, std::vector<Span>* spans) {
  spans_ = spans;
  if (spans_) spans_->clear();
  last_span_.fill(SIZE_MAX);
  if (blocks.empty()) return {};
  const int64_t expected = expand_blocks(blocks, mem, blocks_);
  mem_ = mem;
  window_ = mem.window_bytes();
  const size_t n = blocks_.size();
  t_ = 0;
  arrive_.assign(n, -1), end_.assign(n, -1), stored_.assign(n, -1);
  loads_.clear(), stores_.clear();
  next_load_ = next_compute_ = 0, computing_ = -1;
  held_ = kept_ = channel_free_ = channel_busy_ = last_landing_ = 0;
  begin(expected + 2 * mem.dram_latency_cycles);
  return {run_to_done(), channel_busy_};
}

bool DmaEngine::step() {
  finish_compute();
  queue_loads();
  start_compute();
  start_transfer();
  const int64_t n = static_cast<int64_t>(blocks_.size());
  // Done once every block computes or has computed, no store is still to be queued or moved, and the last
  // compute end or store landing is the next cycle edge.
  const bool all_queued = next_compute_ == n && (computing_ < 0 || blocks_[static_cast<size_t>(computing_)].store == 0);
  const bool done = all_queued && loads_.empty() && stores_.empty() && std::max(end_.back(), last_landing_) == t_ + 1;
  ++t_;
  return !done;
}

void DmaEngine::finish_compute() {
  if (computing_ < 0 || end_[static_cast<size_t>(computing_)] != t_) return;
  const Block& b = blocks_[static_cast<size_t>(computing_)];
  held_ -= b.load - b.keep;
  if (b.store > 0) stores_.push_back({t_, computing_, true, b.store});
  else stored_[static_cast<size_t>(computing_)] = t_;
  computing_ = -1;
}

void DmaEngine::queue_loads() {
  const int64_t n = static_cast<int64_t>(blocks_.size());
  while (next_load_ < n) {
    const size_t j = static_cast<size_t>(next_load_);
    const Block& b = blocks_[j];
    bool room;
    if (mem_.double_buffer) {
      room = held_ == kept_ || held_ + b.load <= window_;  // nothing left to free, or it fits
    } else {
      room = j == 0 || (stored_[j - 1] >= 0 && stored_[j - 1] <= t_);
    }
    if (!room) return;
    held_ += b.load, kept_ += b.keep;
    if (b.load == 0) arrive_[j] = t_;
    else loads_.push_back({t_, next_load_, false, b.load});
    ++next_load_;
  }
}

void DmaEngine::start_compute() {
  if (computing_ >= 0 || next_compute_ >= static_cast<int64_t>(blocks_.size())) return;
  const size_t j = static_cast<size_t>(next_compute_);
  if (arrive_[j] < 0 || arrive_[j] > t_) return;  // data not there: the unit waits
  end_[j] = t_ + blocks_[j].compute;
  computing_ = next_compute_++;
  if (spans_) record(Span::Kind::compute, t_, blocks_[j].compute, 0);
}

void DmaEngine::record(Span::Kind kind, int64_t start, int64_t cycles, int64_t bytes) {
  // the last span of this kind is extended when this one follows it without a gap
  size_t& last = last_span_[static_cast<size_t>(kind)];
  if (last < spans_->size() && (*spans_)[last].start + (*spans_)[last].cycles == start) {
    Span& s = (*spans_)[last];
    s.cycles += cycles, s.bytes += bytes, ++s.blocks;
    return;
  }
  last = spans_->size();
  spans_->push_back({kind, start, cycles, bytes, 1});
}

void DmaEngine::start_transfer() {
  if (channel_free_ > t_ || (loads_.empty() && stores_.empty())) return;
  // Loads and stores are each queued in block order, so the earliest request heads one of the two queues.
  auto earlier = [](const Request& a, const Request& b) {
    return std::tie(a.queued, a.block, a.store) < std::tie(b.queued, b.block, b.store);
  };
  std::deque<Request>& q = stores_.empty() || (!loads_.empty() && earlier(loads_.front(), stores_.front())) ? loads_ : stores_;
  const Request r = q.front();
  q.pop_front();
  const int64_t d = mem_.transfer_cycles(r.bytes);
  channel_free_ = t_ + d;
  channel_busy_ += d;
  if (spans_) record(r.store ? Span::Kind::store : Span::Kind::load, t_, d, r.bytes);
  const int64_t landing = t_ + d + mem_.dram_latency_cycles;
  if (r.store) {
    stored_[static_cast<size_t>(r.block)] = landing;
    last_landing_ = std::max(last_landing_, landing);
  } else {
    arrive_[static_cast<size_t>(r.block)] = landing;
  }
}

}  // namespace qtsim::model
