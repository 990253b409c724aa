// Verilator's headers come first: included after <systemc> they switch to SystemC mode, which this
// C++-driven model does not use.
#include "Vqtsim_ilayernorm.h"
#include "Vqtsim_shiftgelu.h"
#include "Vqtsim_shiftmax.h"
#include "verilated.h"
#include "verilated_fst_c.h"
// (the unit's own header after them, for the reason above)
#include "models/rtl_row_units.hpp"

#include <stdexcept>
#include <string>
#include <type_traits>

#include "models/row_units.hpp"
#include "models/verilated_ports.hpp"

namespace qtsim::model {

namespace {
constexpr int kXw = 16;       // input width of the row units' RTL (rtl/CMakeLists.txt)
constexpr int64_t kMaxLen = 65535;  // 16-bit row length and row count ports

template <class Top>
void reset(Top& top) {
  top.clk_i = 0, top.rst_ni = 0;
  top.eval();
  top.rst_ni = 1;
  top.eval();
}

void check_job(const char* unit, const golden::ITensor& x) {
  if (x.last() < 1 || x.last() > kMaxLen || x.rows() < 1 || x.rows() > kMaxLen)
    throw std::invalid_argument(std::string(unit) + ": the RTL takes 1 to " + std::to_string(kMaxLen) + " rows of 1 to " +
                                std::to_string(kMaxLen) + " elements");
  for (int64_t v : x.data)
    if (v < -(1 << (kXw - 1)) || v >= (1 << (kXw - 1)))
      throw std::invalid_argument(std::string(unit) + ": input " + std::to_string(v) + " does not fit the RTL's " + std::to_string(kXw) +
                                  "-bit lanes");
}

// One cycle of a row unit: the beat it reads in (and the per-channel constants of that beat, where the
// unit has them), the clock edge, the beat it writes out. Returns busy_o.
template <class Top>
bool stream_cycle(Top& top, UnitTrace& trace, uint64_t edge, uint64_t half, int64_t lanes, const golden::ITensor& x, golden::ITensor& out,
                  int yw, const std::vector<int64_t>* bias = nullptr) {
  const int64_t len = x.last();
  const int64_t row = top.rd_row_o, j0 = static_cast<int64_t>(top.rd_beat_o) * lanes;
  for (int64_t l = 0; l < lanes; ++l) {
    const int64_t j = j0 + l;
    const bool in = row < x.rows() && j < len;
    put_field(top.x_i, static_cast<int>(l * kXw), kXw, static_cast<uint64_t>(in ? x[row * len + j] : 0));
    if constexpr (std::is_same_v<Top, Vqtsim_ilayernorm>)
      put_field(top.bias_i, static_cast<int>(l * 32), 32, static_cast<uint64_t>(in ? (*bias)[static_cast<size_t>(j)] : 0));
  }
  top.clk_i = 1;
  top.eval();
  trace.dump(edge);
  top.start_i = 0;  // a job starts in one cycle
  top.clk_i = 0;
  top.eval();
  trace.dump(edge + half);
  if (top.wr_valid_o) {
    const int64_t wrow = top.wr_row_o, w0 = static_cast<int64_t>(top.wr_beat_o) * lanes;
    if (wrow >= x.rows() || w0 >= len)
      throw std::logic_error("RTL row unit wrote beat " + std::to_string(top.wr_beat_o) + " of row " + std::to_string(wrow) + ", outside its " +
                             std::to_string(x.rows()) + " x " + std::to_string(len) + " job");
    for (int64_t l = 0; l < lanes && w0 + l < len; ++l)
      out[wrow * len + w0 + l] = sign_extend(get_field(top.y_o, static_cast<int>(l * yw), yw), yw);
  }
  return top.busy_o;
}

int64_t rtl_x0(const char* unit, float scale) {
  const int64_t x0 = golden::shift_exp_x0(scale);
  if (x0 < INT32_MIN) throw std::invalid_argument(std::string(unit) + ": 1 / scale too large for the RTL's 32-bit x0");
  return x0;
}

template <class Top>
void start_job(Top& top, const golden::ITensor& x, int64_t x0, golden::Numerator num) {
  top.rows_i = static_cast<uint16_t>(x.rows());
  top.len_i = static_cast<uint16_t>(x.last());
  if constexpr (!std::is_same_v<Top, Vqtsim_ilayernorm>) top.x0_i = static_cast<uint32_t>(x0);
  top.num_m1_i = num == golden::Numerator::pow2_31_minus_1;
  top.start_i = 1;
  top.eval();  // the read port of the first cycle follows start_i
}
}  // namespace

RtlShiftmaxUnit::RtlShiftmaxUnit(sc_core::sc_module_name name)
    : ClockedUnit(name), ctx_(new_rtl_context()), top_(std::make_unique<Vqtsim_shiftmax>(ctx_.get())) {
  trace_.open(*top_, this->name());
  reset(*top_);
}

RtlShiftmaxUnit::~RtlShiftmaxUnit() = default;

void RtlShiftmaxUnit::start(const golden::ITensor& x, const golden::ShiftmaxParams& p, golden::ITensor& out) {
  p.check();
  check_job(name(), x);
  const int64_t x0 = rtl_x0(name(), p.scale);
  x_ = &x, out_ = &out;
  out = golden::ITensor(x.shape);
  top_->shift_i = static_cast<uint8_t>(32 - p.out_bits);
  start_job(*top_, x, x0, p.numerator);
  begin(shiftmax_cycles(x.rows(), x.last(), kLanes));
}

bool RtlShiftmaxUnit::step() { return stream_cycle(*top_, trace_, edge_time(), half_period(), kLanes, *x_, *out_, 32); }

RtlShiftGeluUnit::RtlShiftGeluUnit(sc_core::sc_module_name name)
    : ClockedUnit(name), ctx_(new_rtl_context()), top_(std::make_unique<Vqtsim_shiftgelu>(ctx_.get())) {
  trace_.open(*top_, this->name());
  reset(*top_);
}

RtlShiftGeluUnit::~RtlShiftGeluUnit() = default;

void RtlShiftGeluUnit::start(const golden::ITensor& x, const golden::ShiftGeluParams& p, golden::ITensor& out) {
  p.check();
  check_job(name(), x);
  const int64_t x0 = rtl_x0(name(), p.sigmoid_scale());
  x_ = &x, out_ = &out;
  out = golden::ITensor(x.shape);
  start_job(*top_, x, x0, p.numerator);
  begin(shiftgelu_cycles(x.rows(), x.last(), kLanes));
}

bool RtlShiftGeluUnit::step() { return stream_cycle(*top_, trace_, edge_time(), half_period(), kLanes, *x_, *out_, 48); }

RtlILayerNormUnit::RtlILayerNormUnit(sc_core::sc_module_name name)
    : ClockedUnit(name), ctx_(new_rtl_context()), top_(std::make_unique<Vqtsim_ilayernorm>(ctx_.get())) {
  trace_.open(*top_, this->name());
  reset(*top_);
}

RtlILayerNormUnit::~RtlILayerNormUnit() = default;

void RtlILayerNormUnit::start(const golden::ITensor& x, const golden::ILayerNormParams& p, golden::ITensor& out) {
  p.check(x.last());
  check_job(name(), x);
  bias_ = golden::ilayernorm_bias_int(p, x.last());  // within int32 (golden checks)
  x_ = &x, out_ = &out;
  out = golden::ITensor(x.shape);
  start_job(*top_, x, 0, p.numerator);
  begin(ilayernorm_cycles(x.rows(), x.last(), kLanes));
}

bool RtlILayerNormUnit::step() { return stream_cycle(*top_, trace_, edge_time(), half_period(), kLanes, *x_, *out_, 64, &bias_); }

}  // namespace qtsim::model
