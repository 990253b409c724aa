#include "models/units/row_units.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "golden/gemm_group4.hpp"
#include "golden/quantize.hpp"

namespace qtsim::model {

LaneUnit::LaneUnit(sc_core::sc_module_name name, int64_t lanes) : ClockedUnit(name), lanes_(lanes) {
  if (lanes < 1) throw std::invalid_argument(std::string(this->name()) + ": lanes must be >= 1");
}

void RowUnit::start_rows(int64_t rows, std::vector<int64_t> phase_cycles) {
  if (rows < 1) throw std::invalid_argument(std::string(name()) + ": a job needs at least one row");
  for (int64_t c : phase_cycles)
    if (c < 1) throw std::invalid_argument(std::string(name()) + ": every phase takes at least one cycle");
  int64_t per_row = 0;
  for (int64_t c : phase_cycles) per_row += c;
  begin(rows * per_row);
  rows_ = rows, row_ = 0, phase_ = 0, k_ = 0;
  phases_ = std::move(phase_cycles);
}

bool RowUnit::step() {
  cycle(row_, phase_, k_);
  if (++k_ < phases_[phase_]) return true;
  k_ = 0;
  if (++phase_ < phases_.size()) return true;
  phase_ = 0;
  return ++row_ < rows_;
}

void StreamUnit::start_stream(int64_t beats, int64_t results) {
  if (beats < 1 || results < 1) throw std::invalid_argument(std::string(name()) + ": a stream needs at least one beat and one result");
  begin(beats + kPpuLatency);
  pipe_.reset();
  t_ = next_ = taken_ = 0;
  beats_ = beats, results_ = results;
}

bool StreamUnit::step() {
  const bool have = next_ < beats_;
  const StreamPipe::Cycle c = pipe_.cycle(t_++, pace_, have, next_, have && carries_result(next_));
  if (c.accepted) enter(next_++);
  if (c.taken >= 0) {
    leave(c.taken);
    ++taken_;
  }
  return taken_ < results_;
}

void Ppu::start(int64_t count, std::function<int64_t(int64_t)> f, int64_t* out) {
  f_ = std::move(f), out_ = out, count_ = count;
  start_stream(beats(count), beats(count));
}

void Ppu::leave(int64_t b) {
  for (int64_t i = beat_first(b); i < beat_last(b, count_); ++i) out_[i] = f_(i);
}

__int128 Group4Fold::folded(int64_t i) const {
  const auto col = static_cast<size_t>(i % n), row = static_cast<size_t>(i / n), w = static_cast<size_t>(n + 1);
  return acc[i] + golden::group4_term(ps[row * w + col], ps[row * w + static_cast<size_t>(n)], zero_fx[col], mult[col]);
}

void ShiftAddJob::check() const {
  if (!codes || !vt || codes->shape.size() != 3 || vt->shape.size() != 3 || codes->shape[0] != vt->shape[0] || codes->shape[2] != vt->shape[2] ||
      codes->size() == 0 || vt->size() == 0)
    throw std::invalid_argument("shift-add attn @ v needs codes [H, M, T] and v^T [H, D, T], none empty");
  if (bits < 1 || bits > golden::kLogSqrt2MaxBits) throw std::invalid_argument("shift-add attn @ v: bits must be in 1.." + std::to_string(golden::kLogSqrt2MaxBits));
  for (int64_t q : codes->data)
    if (q < golden::kLogZero || q >= (int64_t{1} << bits))
      throw std::invalid_argument("shift-add attn @ v: code " + std::to_string(q) + " outside -1.." + std::to_string((int64_t{1} << bits) - 1));
}

void ShiftAddUnit::start(const ShiftAddJob& job, golden::ITensor& even, golden::ITensor& odd) {
  job.check();
  job_ = job, even_ = &even, odd_ = &odd;
  even = golden::ITensor(job.out_shape()), odd = golden::ITensor(job.out_shape());
  // Groups of lanes() outputs, one key per beat each.
  start_stream(beats(job.outputs()) * job.keys(), beats(job.outputs()));
}

void ShiftAddUnit::enter(int64_t b) {
  const int64_t group = b / job_.keys(), t = b % job_.keys();
  for (int64_t e = beat_first(group); e < beat_last(group, job_.outputs()); ++e) {
    const int64_t q = job_.code(e, t);
    if (q == golden::kLogZero) continue;
    (q % 2 == 0 ? *even_ : *odd_)[e] += golden::logsqrt2_shift_term(job_.value(e, t), q, job_.bits);
  }
}

void ShiftmaxUnit::start(const golden::ITensor& x, const golden::ShiftmaxParams& p, golden::ITensor& out) {
  p.check();
  x_ = &x, out_ = &out, p_ = p;
  x0_ = golden::shift_exp_x0(p.scale);
  len_ = x.last();
  exp_.assign(static_cast<size_t>(len_), 0);
  out = golden::ITensor(x.shape);
  const int64_t b = beats(len_);
  start_rows(x.rows(), {b, b, kDividerCycles, b});
}

void ShiftmaxUnit::cycle(int64_t row, size_t phase, int64_t k) {
  const int64_t* x = &(*x_)[row * len_];
  int64_t* out = &(*out_)[row * len_];
  const int64_t lo = beat_first(k), hi = beat_last(k, len_);
  switch (phase) {
    case 0:  // running maximum
      if (k == 0) max_ = x[0];
      for (int64_t j = lo; j < hi; ++j) max_ = std::max(max_, x[j]);
      break;
    case 1:  // exponentials and their sum
      if (k == 0) sum_ = 0;
      for (int64_t j = lo; j < hi; ++j) {
        exp_[static_cast<size_t>(j)] = golden::shift_exp(x[j] - max_, x0_, golden::ShiftmaxParams::n);
        sum_ += exp_[static_cast<size_t>(j)];
      }
      break;
    case 2:  // the division, done when its last step is
      if (k == kDividerCycles - 1) factor_ = golden::shift_norm_factor(sum_, p_.numerator);
      break;
    default:
      for (int64_t j = lo; j < hi; ++j) out[j] = golden::shift_normalise(exp_[static_cast<size_t>(j)], factor_, 32 - p_.out_bits);
  }
}

void ShiftGeluUnit::start(const golden::ITensor& x, const golden::ShiftGeluParams& p, golden::ITensor& out) {
  p.check();
  x_ = &x, out_ = &out, p_ = p;
  x0_ = golden::shift_exp_x0(p.sigmoid_scale());
  len_ = x.last();
  out = golden::ITensor(x.shape);
  const int64_t b = beats(len_);
  start_rows(x.rows(), {b, b, kDividerCycles});
}

void ShiftGeluUnit::cycle(int64_t row, size_t phase, int64_t k) {
  const int64_t* x = &(*x_)[row * len_];
  int64_t* out = &(*out_)[row * len_];
  const int64_t lo = beat_first(k), hi = beat_last(k, len_);
  constexpr int n = golden::ShiftGeluParams::n;
  if (phase == 0) {  // running maximum; e^-max once it is known
    if (k == 0) max_ = x[0];
    for (int64_t j = lo; j < hi; ++j) max_ = std::max(max_, x[j]);
    if (hi == len_) e2_ = golden::shift_exp(-max_, x0_, n);
  } else if (phase == 1) {  // per element: exp, division (pipelined, drains in phase 2), product
    for (int64_t j = lo; j < hi; ++j)
      out[j] = x[j] * golden::shiftgelu_sigmoid(golden::shift_exp(x[j] - max_, x0_, n), e2_, p_.numerator);
  }
}

void ILayerNormUnit::start(const golden::ITensor& x, const golden::ILayerNormParams& p, golden::ITensor& out) {
  len_ = x.last();
  p.check(len_);
  x_ = &x, out_ = &out, num_ = p.numerator;
  bias_ = golden::ilayernorm_bias_int(p, len_);
  out = golden::ITensor(x.shape);
  const int64_t b = beats(len_);
  start_rows(x.rows(), {b, kDividerCycles, b, golden::kNewtonSteps * kDividerCycles, kDividerCycles, b});
}

void ILayerNormUnit::cycle(int64_t row, size_t phase, int64_t k) {
  const int64_t* x = &(*x_)[row * len_];
  int64_t* out = &(*out_)[row * len_];
  const int64_t lo = beat_first(k), hi = beat_last(k, len_);
  switch (phase) {
    case 0:  // sum
      if (k == 0) sum_ = 0;
      for (int64_t j = lo; j < hi; ++j) sum_ += x[j];
      break;
    case 1:  // mean = round_half_even(sum / C)
      if (k == kDividerCycles - 1) mean_ = golden::round_div_half_even(sum_, len_);
      break;
    case 2:  // sum of squares
      if (k == 0) var_ = 0;
      for (int64_t j = lo; j < hi; ++j) var_ += (x[j] - mean_) * (x[j] - mean_);  // as golden's ilayernorm_row
      break;
    case 3:  // ten Newton steps, one division each
      if (k == golden::kNewtonSteps * kDividerCycles - 1) std_ = golden::ilayernorm_sqrt(var_);
      break;
    case 4:
      if (k == kDividerCycles - 1) factor_ = golden::ilayernorm_factor(std_, num_);
      break;
    default:
      for (int64_t j = lo; j < hi; ++j) out[j] = golden::ilayernorm_out(x[j] - mean_, factor_, bias_[static_cast<size_t>(j)]);
  }
}

}  // namespace qtsim::model
