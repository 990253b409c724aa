// Verilator's headers come first: included after <systemc> they switch to SystemC mode, which this
// C++-driven model does not use.
#include "qtsim_rtl_lanes.hpp"
#include "verilated.h"
#include "verilated_fst_c.h"
// (the unit's own header after them, for the reason above)
#include "models/verilated/rtl_row_units.hpp"

#include <stdexcept>
#include <string>

#include "models/units/row_units.hpp"
#include "models/verilated/verilated_ports.hpp"
#include "models/verilated/verilated_unit.hpp"

namespace qtsim::model {

struct ShiftmaxRtl {
  using Sets = RtlLaneSets<QTSIM_RTL_LANE_TOPS(shiftmax)>;
  static constexpr bool kBias = false;
};
struct ShiftGeluRtl {
  using Sets = RtlLaneSets<QTSIM_RTL_LANE_TOPS(shiftgelu)>;
  static constexpr bool kBias = false;
};
struct ILayerNormRtl {
  using Sets = RtlLaneSets<QTSIM_RTL_LANE_TOPS(ilayernorm)>;
  static constexpr bool kBias = true;  // reads the per-channel bias beside each beat
};

template <class Family>
struct RtlRowUnit<Family>::Rtl : Family::Sets {
  using Sets = typename Family::Sets;
  using Sets::Sets;
};

namespace {
constexpr int kXw = 16;             // input width of the row units' RTL (rtl/CMakeLists.txt)
constexpr int64_t kMaxLen = 65535;  // 16-bit row length and row count ports

int64_t rtl_x0(const char* unit, float scale) {
  const int64_t x0 = golden::shift_exp_x0(scale);
  if (x0 < INT32_MIN) throw std::invalid_argument(std::string(unit) + ": 1 / scale too large for the RTL's 32-bit x0");
  return x0;
}
}  // namespace

template <class Family>
RtlRowUnit<Family>::RtlRowUnit(sc_core::sc_module_name name, int64_t lanes, int result_bits)
    : ClockedUnit(name), rtl_(std::make_unique<Rtl>(lanes, this->name(), "nonlinear units'")), lanes_(lanes), result_bits_(result_bits) {}

template <class Family>
RtlRowUnit<Family>::~RtlRowUnit() = default;

template <class Family>
template <class F>
void RtlRowUnit<Family>::configure(F&& f) {
  rtl_->visit([&](auto& unit) { f(unit.top); });
}

template <class Family>
void RtlRowUnit<Family>::start_job(const golden::ITensor& x, golden::ITensor& out, int64_t expected_cycles) {
  if (x.last() < 1 || x.last() > kMaxLen || x.rows() < 1 || x.rows() > kMaxLen)
    throw std::invalid_argument(std::string(name()) + ": the RTL takes 1 to " + std::to_string(kMaxLen) + " rows of 1 to " +
                                std::to_string(kMaxLen) + " elements");
  for (int64_t v : x.data)
    if (v < -(1 << (kXw - 1)) || v >= (1 << (kXw - 1)))
      throw std::invalid_argument(std::string(name()) + ": input " + std::to_string(v) + " does not fit the RTL's " + std::to_string(kXw) +
                                  "-bit lanes");
  x_ = &x, out_ = &out;
  out = golden::ITensor(x.shape);
  configure([&](auto& top) {
    top.rows_i = static_cast<uint16_t>(x.rows());
    top.len_i = static_cast<uint16_t>(x.last());
    top.start_i = 1;
    top.eval();  // the read port of the first cycle follows start_i
  });
  begin(expected_cycles);
}

// One cycle: the beat the unit reads in (and the per-channel constants of that beat, where it has them),
// the clock edge, the beat it writes out. The job ends with busy_o.
template <class Family>
bool RtlRowUnit<Family>::step() {
  bool busy = false;
  rtl_->visit([&](auto& unit) {
    auto& top = unit.top;
    const golden::ITensor& x = *x_;
    const int64_t len = x.last();
    const int64_t row = top.rd_row_o, j0 = static_cast<int64_t>(top.rd_beat_o) * lanes_;
    for (int64_t l = 0; l < lanes_; ++l) {
      const int64_t j = j0 + l;
      const bool in = row < x.rows() && j < len;
      put_field(top.x_i, static_cast<int>(l * kXw), kXw, static_cast<uint64_t>(in ? x[row * len + j] : 0));
      if constexpr (Family::kBias)
        put_field(top.bias_i, static_cast<int>(l * 32), 32, static_cast<uint64_t>(in ? bias_[static_cast<size_t>(j)] : 0));
    }
    top.clk_i = 1;
    top.eval();
    unit.trace.dump(edge_time());
    top.start_i = 0;  // a job starts in one cycle
    top.clk_i = 0;
    top.eval();
    unit.trace.dump(edge_time() + half_period());
    if (top.wr_valid_o) {
      const int64_t wrow = top.wr_row_o, w0 = static_cast<int64_t>(top.wr_beat_o) * lanes_;
      if (wrow >= x.rows() || w0 >= len)
        throw std::logic_error(std::string(name()) + ": RTL wrote beat " + std::to_string(top.wr_beat_o) + " of row " + std::to_string(wrow) +
                               ", outside its " + std::to_string(x.rows()) + " x " + std::to_string(len) + " job");
      for (int64_t l = 0; l < lanes_ && w0 + l < len; ++l)
        (*out_)[wrow * len + w0 + l] = sign_extend(get_field(top.y_o, static_cast<int>(l * result_bits_), result_bits_), result_bits_);
    }
    busy = top.busy_o;
  });
  return busy;
}

template class RtlRowUnit<ShiftmaxRtl>;
template class RtlRowUnit<ShiftGeluRtl>;
template class RtlRowUnit<ILayerNormRtl>;

void RtlShiftmaxUnit::start(const golden::ITensor& x, const golden::ShiftmaxParams& p, golden::ITensor& out) {
  p.check();
  const int64_t x0 = rtl_x0(name(), p.scale);
  configure([&](auto& top) {
    top.x0_i = static_cast<uint32_t>(x0);
    top.shift_i = static_cast<uint8_t>(32 - p.out_bits);
    top.num_m1_i = p.numerator == golden::Numerator::pow2_31_minus_1;
  });
  start_job(x, out, shiftmax_cycles(x.rows(), x.last(), lanes()));
}

void RtlShiftGeluUnit::start(const golden::ITensor& x, const golden::ShiftGeluParams& p, golden::ITensor& out) {
  p.check();
  const int64_t x0 = rtl_x0(name(), p.sigmoid_scale());
  configure([&](auto& top) {
    top.x0_i = static_cast<uint32_t>(x0);
    top.num_m1_i = p.numerator == golden::Numerator::pow2_31_minus_1;
  });
  start_job(x, out, shiftgelu_cycles(x.rows(), x.last(), lanes()));
}

void RtlILayerNormUnit::start(const golden::ITensor& x, const golden::ILayerNormParams& p, golden::ITensor& out) {
  p.check(x.last());
  bias_ = golden::ilayernorm_bias_int(p, x.last());  // within int32 (golden checks)
  configure([&](auto& top) { top.num_m1_i = p.numerator == golden::Numerator::pow2_31_minus_1; });
  start_job(x, out, ilayernorm_cycles(x.rows(), x.last(), lanes()));
}

}  // namespace qtsim::model
