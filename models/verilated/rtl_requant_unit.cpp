// Verilator's headers come first: included after <systemc> they switch to SystemC mode, which this
// C++-driven model does not use.
#include "qtsim_rtl_lanes.hpp"
#include "verilated.h"
#include "verilated_fst_c.h"
// (the unit's own header after them, for the reason above)
#include "models/verilated/rtl_requant_unit.hpp"

#include <algorithm>
#include <stdexcept>

#include "models/units/row_units.hpp"
#include "models/verilated/verilated_ports.hpp"
#include "models/verilated/verilated_unit.hpp"

namespace qtsim::model {

struct RtlRequantUnit::Rtl : RtlLaneSets<QTSIM_RTL_LANE_TOPS(requant)> {
  using RtlLaneSets::RtlLaneSets;
};

RtlRequantUnit::RtlRequantUnit(sc_core::sc_module_name name, int64_t lanes)
    : ClockedUnit(name), lanes_(lanes), rtl_(std::make_unique<Rtl>(lanes, this->name(), "post-processing")) {}

RtlRequantUnit::~RtlRequantUnit() = default;

namespace {
void check_int32(const char* unit, const std::vector<int64_t>& v, const char* what) {
  for (int64_t x : v)
    if (x < INT32_MIN || x > INT32_MAX) throw std::invalid_argument(std::string(unit) + ": the RTL takes int32 " + what + ", got " + std::to_string(x));
}
}  // namespace

void RtlRequantUnit::begin_stream(const golden::ITensor& z, golden::ITensor& out) {
  check_int32(name(), m_, "multipliers");
  z_ = &z, out_ = &out;
  out = golden::ITensor(z.shape);
  t_ = next_in_ = next_out_ = 0;
  begin(ppu_cycles(z.size(), lanes_));
}

void RtlRequantUnit::start(const golden::ITensor& z, const golden::Requant& q, golden::ITensor& out, const golden::ITensor* id,
                           const golden::Dyadic* mid) {
  q.check(z.last());
  std::vector<golden::Dyadic> mults = q.mult;
  if (id) {
    if (!mid || id->shape != z.shape) throw std::invalid_argument(std::string(name()) + ": the residual form needs an identity of z's shape and its multiplier");
    mults.push_back(*mid);
  }
  for (const golden::Dyadic& d : mults)
    if (d.e < 1 || d.e > 62) throw std::invalid_argument(std::string(name()) + ": the RTL shifts right by 1..62, got " + std::to_string(d.e));
  m_.clear(), e_.clear(), offset_.clear();
  for (const golden::Dyadic& d : q.mult) m_.push_back(d.m), e_.push_back(d.e);
  id_ = id;
  rtl_->visit([&](auto& unit) {
    auto& top = unit.top;
    top.op_i = 0;
    top.add_i = id != nullptr;
    if (id) top.mid_m_i = static_cast<uint32_t>(mid->m), top.mid_e_i = static_cast<uint8_t>(mid->e);
    top.half_up_i = q.rounding == golden::Rounding::half_up;
    top.bits_i = static_cast<uint8_t>(q.bits);
  });
  begin_stream(z, out);
}

void RtlRequantUnit::start(ElementOp op, const golden::ITensor& x, std::vector<int64_t> m, std::vector<int64_t> offset, golden::ITensor& out) {
  const auto c = static_cast<size_t>(x.last());
  if ((m.size() != 1 && m.size() != c) || (op == ElementOp::affine ? offset.size() != c : !offset.empty()))
    throw std::invalid_argument(std::string(name()) + ": per-channel operands do not match the " + std::to_string(c) + " channels");
  m_ = std::move(m), offset_ = std::move(offset), e_ = {1};
  id_ = nullptr;
  rtl_->visit([&](auto& unit) {
    unit.top.op_i = static_cast<uint8_t>(op);
    unit.top.add_i = 0;
  });
  begin_stream(x, out);
}

void RtlRequantUnit::start_codes(const golden::ITensor& p, const std::vector<int64_t>& thresholds, golden::ITensor& out) {
  if (thresholds.empty() || static_cast<int64_t>(thresholds.size()) > kThresholds)
    throw std::invalid_argument(std::string(name()) + ": the RTL compares with 1 to " + std::to_string(kThresholds) + " thresholds, not " +
                                std::to_string(thresholds.size()));
  check_int32(name(), thresholds, "thresholds");
  rtl_->visit([&](auto& unit) {
    auto& top = unit.top;
    for (size_t j = 0; j < thresholds.size(); ++j) put_field(top.th_i, 32 * static_cast<int>(j), 32, static_cast<uint32_t>(thresholds[j]));
    top.th_n_i = static_cast<uint8_t>(thresholds.size());
    top.op_i = 4;
    top.add_i = 0;
  });
  m_ = {0}, offset_.clear(), e_ = {1};
  id_ = nullptr;
  begin_stream(p, out);
}

bool RtlRequantUnit::step() {
  const int64_t n = z_->size(), c = z_->last();
  auto at = [c](const std::vector<int64_t>& v, int64_t i) { return v.size() == 1 ? v[0] : v[static_cast<size_t>(i % c)]; };
  const int64_t beat_end = std::min(n, next_in_ + lanes_);
  auto present = [&](auto& top) {
    top.lane_en_i = 0;
    for (int64_t i = next_in_; i < beat_end; ++i) {
      const int l = static_cast<int>(i - next_in_);
      top.lane_en_i |= 1u << l;
      put_field(top.z_i, 64 * l, 64, static_cast<uint64_t>((*z_)[i]));
      put_field(top.m_i, 32 * l, 32, static_cast<uint32_t>(at(m_, i)));
      put_field(top.e_i, 6 * l, 6, static_cast<uint64_t>(at(e_, i)));
      const int64_t id = id_ ? (*id_)[i] : offset_.empty() ? 0 : at(offset_, i);
      put_field(top.id_i, 64 * l, 64, static_cast<uint64_t>(id));
    }
  };
  auto take = [&](auto& top) {  // 96-bit lanes; the golden's values are int64
    for (int l = 0; l < lanes_; ++l)
      if ((top.lane_en_o >> l) & 1) (*out_)[next_out_++] = sign_extend(get_field(top.q_o, 96 * l, 64), 64);
  };
  rtl_->visit([&](auto& unit) {
    if (stream_cycle(unit, pace_, t_++, next_in_ < n, present, take, edge_time(), half_period())) next_in_ = beat_end;
  });
  return next_out_ < n;
}

}  // namespace qtsim::model
