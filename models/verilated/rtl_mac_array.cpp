// Verilator's headers come first: included after <systemc> they switch to SystemC mode, which this
// C++-driven model does not use.
#include "qtsim_rtl_arrays.hpp"
#include "verilated.h"
#include "verilated_fst_c.h"
// (the unit's own header after them, for the reason above)
#include "models/verilated/rtl_mac_array.hpp"

#include <stdexcept>
#include <type_traits>

#include "models/verilated/verilated_ports.hpp"
#include "models/verilated/verilated_unit.hpp"

namespace qtsim::model {

namespace {
constexpr int kAw = 17, kBw = 17, kPw = 32;  // the RTL's operand and sum widths (rtl/CMakeLists.txt)

std::string built_sizes() {
  std::string s;
#define QTSIM_NAME_SIZE(R, C, OS, Top) s += (s.empty() ? "" : ", ") + std::to_string(R) + "x" + std::to_string(C) + ((OS) ? " os" : " ws/is");
  QTSIM_RTL_ARRAYS(QTSIM_NAME_SIZE)
#undef QTSIM_NAME_SIZE
  return s;
}

bool is_os(const ArrayConfig& cfg) { return cfg.dataflow == Dataflow::os; }
}  // namespace

// Port access of one Verilated array size, behind a size-independent interface.
struct RtlMacArray::Dut {
  virtual ~Dut() = default;
  virtual void set_binary(bool on) = 0;
  virtual void set_row(int64_t r, bool valid, bool sel, const int32_t* a, uint64_t bits) = 0;  // kLanes activations, or bits
  virtual void set_steps(int64_t r, bool first, bool last) = 0;  // os: the activation's place in its tile
  virtual void set_column(int64_t c, const int32_t* b) = 0;      // os: kLanes streamed operands into column c
  virtual void set_column_bits(int64_t c, uint64_t bits, uint64_t mask) = 0;  // os, binary: a word and its valid bits
  virtual void drain(int64_t row, int32_t* out) = 0;             // os: the row's finished sums, cols of them
  // cols x kLanes weights, or per column a word of weight bits and of the bits that hold a weight
  virtual void set_weights(bool we, bool buf, int64_t row, const int32_t* w, const uint64_t* bits, const uint64_t* mask) = 0;
  virtual void clock(uint64_t edge, uint64_t half) = 0;  // one cycle; waves at the two edges' times
  virtual bool valid(int64_t c) const = 0;
  virtual int32_t psum(int64_t c) const = 0;
};

namespace {
template <class Top>
struct DutOf : RtlMacArray::Dut {
  int64_t cols;
  VerilatedUnit<Top> unit;
  Top& top = unit.top;
  DutOf(int64_t c, const std::string& name) : cols(c), unit(name) {}
  void set_binary(bool on) override { top.bin_i = on; }
  void set_steps(int64_t r, bool first, bool last) override {
    const auto bit = static_cast<std::remove_reference_t<decltype(top.first_i)>>(1u << r);
    top.first_i = first ? (top.first_i | bit) : (top.first_i & ~bit);
    top.last_i = last ? (top.last_i | bit) : (top.last_i & ~bit);
  }
  void set_column(int64_t c, const int32_t* b) override {
    for (int l = 0; l < RtlMacArray::kLanes; ++l)
      put_field(top.b_i, static_cast<int>((c * RtlMacArray::kLanes + l) * kBw), kBw, static_cast<uint32_t>(b[l]));
  }
  void set_column_bits(int64_t c, uint64_t bits, uint64_t mask) override {
    put_field(top.bb_i, static_cast<int>(c * 64), 64, bits);
    put_field(top.bm_i, static_cast<int>(c * 64), 64, mask);
  }
  void drain(int64_t row, int32_t* out) override {
    top.drain_row_i = static_cast<std::remove_reference_t<decltype(top.drain_row_i)>>(row);
    top.eval();  // a read port: combinational
    for (int64_t c = 0; c < cols; ++c) out[c] = static_cast<int32_t>(get_field(top.drain_o, static_cast<int>(c * kPw), kPw));
  }
  void set_row(int64_t r, bool valid, bool sel, const int32_t* a, uint64_t bits) override {
    const auto bit = static_cast<std::remove_reference_t<decltype(top.valid_i)>>(1u << r);
    top.valid_i = valid ? (top.valid_i | bit) : (top.valid_i & ~bit);
    top.sel_i = sel ? (top.sel_i | bit) : (top.sel_i & ~bit);
    if (top.bin_i) {
      put_field(top.ab_i, static_cast<int>(r * 64), 64, bits);
      return;
    }
    for (int l = 0; l < RtlMacArray::kLanes; ++l)
      put_field(top.a_i, static_cast<int>((r * RtlMacArray::kLanes + l) * kAw), kAw, static_cast<uint32_t>(a[l]));
  }
  void set_weights(bool we, bool buf, int64_t row, const int32_t* w, const uint64_t* bits, const uint64_t* mask) override {
    top.w_we_i = we, top.w_buf_i = buf, top.w_row_i = static_cast<std::remove_reference_t<decltype(top.w_row_i)>>(row);
    if (!we) return;
    if (top.bin_i) {
      for (int64_t c = 0; c < cols; ++c)
        put_field(top.wb_i, static_cast<int>(c * 64), 64, bits[c]), put_field(top.wm_i, static_cast<int>(c * 64), 64, mask[c]);
      return;
    }
    for (int64_t i = 0; i < cols * RtlMacArray::kLanes; ++i) put_field(top.w_i, static_cast<int>(i * kBw), kBw, static_cast<uint32_t>(w[i]));
  }
  void clock(uint64_t edge, uint64_t half) override { unit.cycle(edge, half); }
  bool valid(int64_t c) const override { return (top.valid_o >> c) & 1; }
  int32_t psum(int64_t c) const override { return static_cast<int32_t>(get_field(top.psum_o, static_cast<int>(c * kPw), kPw)); }
};
}  // namespace

std::string RtlMacArray::unsupported(const ArrayConfig& cfg) {
#define QTSIM_IS_BUILT(R, C, OS, Top) \
  if (cfg.rows == (R) && cfg.cols == (C) && is_os(cfg) == (OS)) return "";
  QTSIM_RTL_ARRAYS(QTSIM_IS_BUILT)
#undef QTSIM_IS_BUILT
  return "no RTL array of " + std::to_string(cfg.rows) + "x" + std::to_string(cfg.cols) + " " + (is_os(cfg) ? "os" : "ws/is") +
         " in this build (built: " + built_sizes() + "; add it to QTSIM_RTL_ARRAYS in rtl/CMakeLists.txt and rebuild)";
}

RtlMacArray::RtlMacArray(sc_core::sc_module_name name, const ArrayConfig& cfg) : ClockedUnit(name), cfg_(cfg) {
  if (const std::string why = unsupported(cfg); !why.empty()) throw std::invalid_argument(why);
#define QTSIM_MAKE_DUT(R, C, OS, Top) \
  if (cfg.rows == (R) && cfg.cols == (C) && is_os(cfg) == (OS)) dut_ = std::make_unique<DutOf<Top>>(C, this->name());
  QTSIM_RTL_ARRAYS(QTSIM_MAKE_DUT)
#undef QTSIM_MAKE_DUT
}

RtlMacArray::~RtlMacArray() = default;

void RtlMacArray::start(const GemmJob& job) {
  if (job.m < 1 || job.k < 1 || job.n < 1) throw std::invalid_argument("array job needs M, K, N >= 1");
  if (job.lanes != 1 && job.lanes != kLanes && job.lanes != kBinaryLanes)
    throw std::invalid_argument(std::string(name()) + ": the RTL array takes 1 or 2 products per PE per cycle, or a 64-bit binary word, not " +
                                std::to_string(job.lanes));
  auto check = [&](const int32_t* v, int64_t count, int bits, const char* what) {
    for (int64_t i = 0; i < count; ++i)
      if (v[i] < -(1 << (bits - 1)) || v[i] >= (1 << (bits - 1)))
        throw std::invalid_argument(std::string(name()) + ": " + what + " " + std::to_string(v[i]) + " does not fit the RTL's " +
                                    std::to_string(bits) + "-bit operand");
  };
  check(job.a, job.m * job.k, kAw, "activation");
  check(job.b, job.n * job.k, kBw, "weight");
  const bool binary = job.lanes == kBinaryLanes;
  if (binary)
    for (const auto& [v, count] : {std::pair{job.a, job.m * job.k}, std::pair{job.b, job.n * job.k}})
      for (int64_t i = 0; i < count; ++i)
        if (v[i] != 1 && v[i] != -1) throw std::invalid_argument(std::string(name()) + ": binary operands are +-1, got " + std::to_string(v[i]));
  dut_->set_binary(binary);
  job_ = datapath_job(cfg_, job);
  sched_ = array_schedule(datapath_config(cfg_), job_.m, job_.k, job_.n, job_.lanes);
  tiles_ = array_tiles(cfg_, job_);
  t_ = loading_ = received_ = drain_tile_ = 0;
  // ws / is: every tile streams M rows past every column; os: every tile drains its R rows
  expected_ = static_cast<int64_t>(tiles_.r0.size()) * (cfg_.dataflow == Dataflow::os ? cfg_.rows : job_.m * cfg_.cols);
  in_cursor_.assign(static_cast<size_t>(cfg_.rows + cfg_.cols), 0);
  out_cursor_.assign(static_cast<size_t>(cfg_.cols), 0);
  w_.assign(static_cast<size_t>(cfg_.cols * kLanes), 0);
  wbits_.assign(static_cast<size_t>(cfg_.cols), 0), wmask_.assign(static_cast<size_t>(cfg_.cols), 0);
  drained_.assign(static_cast<size_t>(cfg_.cols), 0);
  begin(sched_.cycles);
}

bool RtlMacArray::step() {
  if (cfg_.dataflow == Dataflow::os) return step_os();
  const int64_t R = cfg_.rows, C = cfg_.cols, M = job_.m, K = job_.k, N = job_.n, L = job_.lanes;
  const auto tiles = static_cast<int64_t>(tiles_.r0.size());
  // Weight port: row t - preload of the tile loading now.
  const bool binary = L == kBinaryLanes;
  std::fill(w_.begin(), w_.end(), 0), std::fill(wbits_.begin(), wbits_.end(), 0), std::fill(wmask_.begin(), wmask_.end(), 0);
  const bool we = loading_ < tiles && t_ >= sched_.preload[static_cast<size_t>(loading_)];
  const int64_t wrow = we ? t_ - sched_.preload[static_cast<size_t>(loading_)] : 0;
  if (we) {
    const int64_t k0 = tiles_.r0[static_cast<size_t>(loading_)], n0 = tiles_.c0[static_cast<size_t>(loading_)];
    for (int64_t c = 0; c < C; ++c)
      for (int64_t l = 0; l < L; ++l) {
        const int64_t k = k0 + wrow * L + l;
        const int32_t v = (k < K && n0 + c < N) ? job_.b[(n0 + c) * K + k] : 0;
        if (!binary) w_[static_cast<size_t>(c * kLanes + l)] = v;
        else if (v != 0) wmask_[static_cast<size_t>(c)] |= uint64_t{1} << l, wbits_[static_cast<size_t>(c)] |= uint64_t{v > 0} << l;
      }
  }
  dut_->set_weights(we, (loading_ & 1) != 0, wrow, w_.data(), wbits_.data(), wmask_.data());
  if (we && wrow == R - 1) ++loading_;
  // Column 0 of row r takes A[m][k0 + r L + l] of the tile streaming there now, skewed by r.
  for (int64_t r = 0; r < R; ++r) {
    const int64_t tile = tile_at(sched_.start, t_ - r, M, in_cursor_[static_cast<size_t>(r)]);
    int32_t a[kLanes] = {0, 0};
    uint64_t bits = 0;
    if (tile >= 0) {
      const int64_t m = t_ - r - sched_.start[static_cast<size_t>(tile)], k = tiles_.r0[static_cast<size_t>(tile)] + r * L;
      for (int64_t l = 0; l < L && k + l < K; ++l) {
        if (binary) bits |= uint64_t{job_.a[m * K + k + l] > 0} << l;
        else a[l] = job_.a[m * K + k + l];
      }
    }
    dut_->set_row(r, tile >= 0, (tile & 1) != 0, a, bits);
  }
  dut_->clock(edge_time(), half_period());
  // Bottom row: the sum at column c was started by the operand row R-1 took in at t - c.
  for (int64_t c = 0; c < C; ++c) {
    const int64_t tile = tile_at(sched_.start, t_ - (R - 1) - c, M, out_cursor_[static_cast<size_t>(c)]);
    if (dut_->valid(c) != (tile >= 0))
      throw std::logic_error(std::string(name()) + ": RTL valid_o[" + std::to_string(c) + "] in cycle " + std::to_string(t_) +
                             " disagrees with the operands it was given");
    if (tile < 0) continue;
    const int64_t n = tiles_.c0[static_cast<size_t>(tile)] + c, m = t_ - (R - 1) - c - sched_.start[static_cast<size_t>(tile)];
    if (n < N) job_.c[cfg_.dataflow == Dataflow::is ? n * M + m : m * N + n] += dut_->psum(c);
    ++received_;
  }
  ++t_;
  if (received_ == expected_) return false;
  if (t_ > sched_.cycles + R + C) throw std::logic_error(std::string(name()) + ": RTL array never finished its job");
  return true;
}

// Output-stationary: A enters the rows and B the columns, each skewed, flagged with their tile's first
// and last steps; the drain port reads a row of finished sums per cycle at the times of the schedule
// (docs/cycle-model.md): overlapped, the registers as they stood at the clock edge (lag C - 1); serial, in
// the cycle the row's last products are summed (lag C - 2).
bool RtlMacArray::step_os() {
  const int64_t R = cfg_.rows, C = cfg_.cols, M = job_.m, K = job_.k, N = job_.n, L = job_.lanes;
  const int64_t steps = (K + L - 1) / L;
  const bool binary = L == kBinaryLanes;
  auto drain = [&](int64_t lag) {
    drain_due_rows(sched_.start, steps + lag, R, t_, drain_tile_, [&](int64_t s, int64_t r) {
      dut_->drain(r, drained_.data());
      const int64_t mm = tiles_.r0[static_cast<size_t>(s)] + r;
      for (int64_t c = 0; c < C; ++c) {
        const int64_t nn = tiles_.c0[static_cast<size_t>(s)] + c;
        if (mm < M && nn < N) job_.c[mm * N + nn] += drained_[static_cast<size_t>(c)];
      }
      ++received_;
    });
  };
  if (cfg_.overlap) drain(C - 1);
  for (int64_t c = 0; c < C; ++c) {  // B[n0 + c][k..k+L) into column c, skewed by c
    const int64_t tile = tile_at(sched_.start, t_ - c, steps, in_cursor_[static_cast<size_t>(R + c)]);
    const int64_t kb = tile < 0 ? 0 : (t_ - c - sched_.start[static_cast<size_t>(tile)]) * L;
    const int64_t nn = tile < 0 ? N : tiles_.c0[static_cast<size_t>(tile)] + c;
    if (binary) {
      uint64_t bits = 0, mask = 0;
      for (int64_t l = 0; l < L && nn < N && kb + l < K; ++l) mask |= uint64_t{1} << l, bits |= uint64_t{job_.b[nn * K + kb + l] > 0} << l;
      dut_->set_column_bits(c, bits, mask);
      continue;
    }
    int32_t b[kLanes] = {0, 0};
    for (int64_t l = 0; l < L; ++l) b[l] = (nn < N && kb + l < K) ? job_.b[nn * K + kb + l] : 0;
    dut_->set_column(c, b);
  }
  for (int64_t r = 0; r < R; ++r) {  // A[m0 + r][k..k+L) into row r, skewed by r
    const int64_t tile = tile_at(sched_.start, t_ - r, steps, in_cursor_[static_cast<size_t>(r)]);
    const int64_t step = tile < 0 ? 0 : t_ - r - sched_.start[static_cast<size_t>(tile)];
    const int64_t mm = tile < 0 ? M : tiles_.r0[static_cast<size_t>(tile)] + r;
    int32_t a[kLanes] = {0, 0};
    uint64_t bits = 0;
    for (int64_t l = 0; l < L && mm < M && step * L + l < K; ++l) {
      if (binary) bits |= uint64_t{job_.a[mm * K + step * L + l] > 0} << l;
      else a[l] = job_.a[mm * K + step * L + l];
    }
    dut_->set_row(r, tile >= 0, false, a, bits);
    dut_->set_steps(r, tile >= 0 && step == 0, tile >= 0 && step == steps - 1);
  }
  dut_->clock(edge_time(), half_period());
  if (!cfg_.overlap) drain(C - 2);
  ++t_;
  if (received_ == expected_) return false;
  if (t_ > sched_.cycles + R + C) throw std::logic_error(std::string(name()) + ": RTL array never finished its job");
  return true;
}

}  // namespace qtsim::model
