// The valid/ready streams of the post-processing unit's lanes (requant, group-wise fold, shift-add), as the
// SystemC model and the RTL (rtl/qtsim_pipe_ctrl.sv) both implement them. A beat enters at a cycle's edge when
// its producer offers it (valid) and the pipeline advances (ready); a result leaves when the last stage holds
// it and the consumer takes it. The pipeline moves as one: it stalls only while its last stage holds a result
// the consumer refuses.
//
// Inside the accelerator both ends are scratchpads, always ready, and a stream of B beats takes B + 4
// cycles. A StreamPace paces the ends instead (tests drive back-pressure and bubbles with it); the SystemC
// unit and its RTL, paced alike, take the same cycles.
#pragma once
#include <array>
#include <cstdint>
#include <functional>

#include "models/analytic/unit_cycles.hpp"

namespace qtsim::model {

// When the ends of a stream are ready, by the job's cycle (0 for its first): unset means always.
struct StreamPace {
  std::function<bool(int64_t)> in_valid;   // the producer offers its next beat in cycle t
  std::function<bool(int64_t)> out_ready;  // the consumer takes a result in cycle t
  bool offer(int64_t t) const { return !in_valid || in_valid(t); }
  bool take(int64_t t) const { return !out_ready || out_ready(t); }
};

// The pipeline's control, cycle by cycle, as qtsim_pipe_ctrl: kDepth stages of beats (registered on entry,
// then four), each beat an id and whether it carries a result (the shift-add lanes emit one per group).
class StreamPipe {
 public:
  static constexpr int kDepth = kPpuLatency + 1;
  struct Cycle {
    bool accepted = false;  // the offered beat entered
    int64_t taken = -1;     // the id of the result the consumer took, or -1
  };
  void reset() {
    stages_.fill(Beat{});
    ready_ = true;
  }
  // Cycle t: the edge (an offered beat `id` enters if the pipeline advances), then the consumer's answer.
  Cycle cycle(int64_t t, const StreamPace& pace, bool have, int64_t id, bool result) {
    Cycle c;
    const Beat& out = stages_[kDepth - 1];
    if (ready_ || !(out.valid && out.result)) {
      c.accepted = have && pace.offer(t);
      for (int s = kDepth - 1; s > 0; --s) stages_[s] = stages_[s - 1];
      stages_[0] = c.accepted ? Beat{true, result, id} : Beat{};
    }
    ready_ = pace.take(t);
    const Beat& now = stages_[kDepth - 1];
    if (now.valid && now.result && ready_) c.taken = now.id;
    return c;
  }

 private:
  struct Beat {
    bool valid = false, result = false;
    int64_t id = -1;
  };
  std::array<Beat, kDepth> stages_{};
  bool ready_ = true;
};

}  // namespace qtsim::model
