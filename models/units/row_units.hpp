// The post-processing unit and the nonlinear units (Shiftmax, ShiftGELU, I-LayerNorm) as clocked SystemC
// units. Each streams its tensor `lanes` elements per cycle in the passes its arithmetic needs, computing
// with the golden's scalar functions in the order and at the cycle the hardware would. docs/cycle-model.md
// gives the cycle counts.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "golden/ilayernorm.hpp"
#include "golden/shiftgelu.hpp"
#include "golden/shiftmax.hpp"
#include "golden/tensor.hpp"
#include "models/units/clocked_unit.hpp"
#include "models/units/stream.hpp"

namespace qtsim::model {

// A unit of `lanes` elements per cycle.
class LaneUnit : public ClockedUnit {
 public:
  LaneUnit(sc_core::sc_module_name name, int64_t lanes);
  int64_t lanes() const { return lanes_; }

 protected:
  // Elements [first, last) of a row of `len` that beat k of a streaming pass covers.
  int64_t beat_first(int64_t k) const { return k * lanes_; }
  int64_t beat_last(int64_t k, int64_t len) const { return std::min(len, (k + 1) * lanes_); }
  int64_t beats(int64_t len) const { return (len + lanes_ - 1) / lanes_; }

 private:
  int64_t lanes_;
};

// Rows processed one after another, each in the same sequence of phases (a number of cycles each).
class RowUnit : public LaneUnit {
 public:
  using LaneUnit::LaneUnit;

 protected:
  void start_rows(int64_t rows, std::vector<int64_t> phase_cycles);
  // The k-th cycle of `phase` for `row`.
  virtual void cycle(int64_t row, size_t phase, int64_t k) = 0;

 private:
  bool step() override;
  int64_t rows_ = 0, row_ = 0, k_ = 0;
  size_t phase_ = 0;
  std::vector<int64_t> phases_;
};

// The post-processing lanes: beats stream through the pipeline between a valid/ready producer and consumer
// (models/units/stream.hpp), kPpuLatency cycles from entry to result when neither end holds them back.
class StreamUnit : public LaneUnit {
 public:
  using LaneUnit::LaneUnit;
  // Paces the stream's ends for the jobs that follow (always ready when unset).
  void set_pace(StreamPace pace) { pace_ = std::move(pace); }

 protected:
  // A job of `beats` beats of which `results` carry a result.
  void start_stream(int64_t beats, int64_t results);
  // Beat b enters the pipeline; its result leaves (for the beats that carry one).
  virtual void enter(int64_t b) = 0;
  virtual void leave(int64_t b) = 0;
  virtual bool carries_result(int64_t b) const = 0;

 private:
  bool step() override;
  StreamPipe pipe_;
  StreamPace pace_;
  int64_t t_ = 0, beats_ = 0, next_ = 0, results_ = 0, taken_ = 0;
};

// Element-wise post-processing (requant, residual add, binarize, fixed-point affine, masks, codes):
// `lanes` elements per beat, each beat's results kPpuLatency cycles after it enters. out[i] = f(i), written
// as the consumer takes the beat's results.
class Ppu : public StreamUnit {
 public:
  using StreamUnit::StreamUnit;
  void start(int64_t count, std::function<int64_t(int64_t)> f, int64_t* out);

 private:
  void enter(int64_t) override {}
  void leave(int64_t b) override;
  bool carries_result(int64_t) const override { return true; }
  std::function<int64_t(int64_t)> f_;
  int64_t* out_ = nullptr;
  int64_t count_ = 0;
};

// One group of a group-wise INT4 GEMM folded into its wide accumulators by the post-processing unit, element i
// = (row, col) of M x N: acc[i] += group4_term(P, S, zero[col], mult[col]) from the array's partial sums
// ps[row][col] and activation sums ps[row][N] (its extra column of ones). The last group narrows the
// accumulators to int64 into out.
struct Group4Fold {
  int64_t m = 0, n = 0;
  const int32_t* ps = nullptr;                          // [m][n + 1]
  const int64_t* zero_fx = nullptr, *mult = nullptr;    // [n], this group's
  __int128* acc = nullptr;                              // [m][n]
  int64_t* out = nullptr;                               // [m][n], written by the last group only
  int64_t elements() const { return m * n; }
  // The accumulator's new value for element i (golden::group4_term).
  __int128 folded(int64_t i) const;
};

// Log-sqrt2 attn @ v (RepQ-ViT) on the post-processing lanes in shift-add mode: each lane holds one output
// e = (head, row, column) in that order, with its even and odd sums, and takes one key per cycle, so a group
// of `lanes` outputs takes T cycles (golden::logsqrt2_attn_v's values, golden::logsqrt2_shift_term's steps).
// The beats are (group, key) in that order; a group's last key carries its sums.
struct ShiftAddJob {
  const golden::ITensor* codes = nullptr;  // [H, M, T] log-sqrt2 codes of the probabilities
  const golden::ITensor* vt = nullptr;     // [H, D, T] v transposed
  int bits = 4;
  int64_t keys() const { return codes->shape[2]; }
  int64_t outputs() const { return codes->shape[0] * codes->shape[1] * vt->shape[1]; }
  golden::Shape out_shape() const { return {codes->shape[0], codes->shape[1], vt->shape[1]}; }
  // Output e's code and value for key t.
  int64_t code(int64_t e, int64_t t) const { return (*codes)[e / vt->shape[1] * keys() + t]; }
  int64_t value(int64_t e, int64_t t) const {
    const int64_t d = vt->shape[1], hm = codes->shape[1];
    return (*vt)[((e / d / hm) * d + e % d) * keys() + t];
  }
  void check() const;
};

class ShiftAddUnit : public StreamUnit {
 public:
  using StreamUnit::StreamUnit;
  void start(const ShiftAddJob& job, golden::ITensor& even, golden::ITensor& odd);

 private:
  // The lanes' sums are the output tensors' elements, accumulated as each key enters.
  void enter(int64_t b) override;
  void leave(int64_t) override {}
  bool carries_result(int64_t b) const override { return b % job_.keys() == job_.keys() - 1; }
  ShiftAddJob job_;
  golden::ITensor* even_ = nullptr;
  golden::ITensor* odd_ = nullptr;
};

// Shiftmax per row: max pass, exp-and-sum pass, one division, normalise pass.
class ShiftmaxUnit : public RowUnit {
 public:
  using RowUnit::RowUnit;
  void start(const golden::ITensor& x, const golden::ShiftmaxParams& p, golden::ITensor& out);

 private:
  void cycle(int64_t row, size_t phase, int64_t k) override;
  const golden::ITensor* x_ = nullptr;
  golden::ITensor* out_ = nullptr;
  golden::ShiftmaxParams p_;
  int64_t x0_ = 0, len_ = 0, max_ = 0, sum_ = 0, factor_ = 0;
  std::vector<int64_t> exp_;
};

// ShiftGELU per row: max pass (and e^-max), then per element the exp, a pipelined division and the product.
class ShiftGeluUnit : public RowUnit {
 public:
  using RowUnit::RowUnit;
  void start(const golden::ITensor& x, const golden::ShiftGeluParams& p, golden::ITensor& out);

 private:
  void cycle(int64_t row, size_t phase, int64_t k) override;
  const golden::ITensor* x_ = nullptr;
  golden::ITensor* out_ = nullptr;
  golden::ShiftGeluParams p_;
  int64_t x0_ = 0, len_ = 0, max_ = 0, e2_ = 0;
};

// I-LayerNorm per row: sum pass, mean division, squares pass, ten Newton divisions, factor division,
// normalise pass.
class ILayerNormUnit : public RowUnit {
 public:
  using RowUnit::RowUnit;
  void start(const golden::ITensor& x, const golden::ILayerNormParams& p, golden::ITensor& out);

 private:
  void cycle(int64_t row, size_t phase, int64_t k) override;
  const golden::ITensor* x_ = nullptr;
  golden::ITensor* out_ = nullptr;
  golden::Numerator num_ = golden::Numerator::pow2_31;
  std::vector<int64_t> bias_;
  int64_t len_ = 0, sum_ = 0, mean_ = 0, var_ = 0, std_ = 0, factor_ = 0;
};

}  // namespace qtsim::model
