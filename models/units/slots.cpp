#include "models/units/slots.hpp"

#include <functional>
#include <stdexcept>

#include "golden/gemm_group4.hpp"
#include "golden/quantize.hpp"
#include "models/units/dma.hpp"
#include "models/verilated/rtl_dma.hpp"
#include "models/verilated/rtl_group4_fold.hpp"
#include "models/verilated/rtl_mac_array.hpp"
#include "models/verilated/rtl_requant_unit.hpp"
#include "models/verilated/rtl_row_units.hpp"
#include "models/verilated/rtl_shift_add.hpp"

namespace qtsim::model {

using golden::ITensor;
using golden::Op;
using golden::OpKind;

namespace {

template <class Unit>
struct ArrayIn final : ArraySlot {
  Unit unit;
  ArrayIn(const char* name, const ArrayConfig& cfg) : unit(name, cfg) {}
  int64_t gemm(const GemmJob& job) override {
    unit.start(job);
    return unit.run_to_done();
  }
};

template <class Params, class Unit>
struct RowIn final : RowSlot<Params> {
  Unit unit;
  RowIn(const char* name, int64_t lanes) : unit(name, lanes) {}
  int64_t run(const ITensor& x, const Params& p, ITensor& out) override {
    unit.start(x, p, out);
    return unit.run_to_done();
  }
};

// The SystemC lanes compute each element with the golden's scalar function for the op.
struct PpuModel final : PpuSlot {
  Ppu ppu;
  ShiftAddUnit shift_add_unit;
  std::vector<int64_t> scratch;  // a fold's results before its last group: the lanes write them nowhere
  explicit PpuModel(int64_t lanes) : ppu("ppu", lanes), shift_add_unit("shift_add", lanes) {}

  int64_t elementwise(const Op& op, const ITensor& x, const ITensor* y, ITensor& out) override {
    const int64_t c = x.last();
    std::function<int64_t(int64_t)> f;
    switch (op.kind) {
      case OpKind::requant: f = [&](int64_t i) { return golden::requant_element(x[i], op.rq, i % c); }; break;
      case OpKind::add_requant:
        f = [&](int64_t i) { return golden::requant_add_element(x[i], op.rq, (*y)[i], op.rq_identity[0], i % c); };
        break;
      case OpKind::binarize: f = [&](int64_t i) { return golden::binarize_value(x[i], op.vec[static_cast<size_t>(i % c)]); }; break;
      case OpKind::scale_rows:
        f = [&](int64_t i) { return golden::affine_value(x[i], op.vec[static_cast<size_t>(i % c)], op.bias[static_cast<size_t>(i % c)]); };
        break;
      case OpKind::mask_probs: f = [&](int64_t i) { return golden::mask_value(x[i], op.threshold); }; break;
      case OpKind::logsqrt2_codes: f = [&](int64_t i) { return golden::logsqrt2_code_int(x[i], op.vec); }; break;
      default: throw std::logic_error("op " + op.name + " is not element-wise");
    }
    ppu.start(out.size(), f, out.data.data());
    return ppu.run_to_done();
  }
  int64_t fold(const Group4Fold& job, bool last) override {
    scratch.resize(static_cast<size_t>(job.elements()));
    ppu.start(job.elements(),
              [&](int64_t i) {
                job.acc[i] = job.folded(i);
                return last ? golden::group4_narrow(job.acc[i]) : 0;
              },
              last ? job.out : scratch.data());
    return ppu.run_to_done();
  }
  int64_t shift_add(const ShiftAddJob& job, ITensor& even, ITensor& odd) override {
    shift_add_unit.start(job, even, odd);
    return shift_add_unit.run_to_done();
  }
};

// The Verilated lanes: requant and the element-wise modes, the fold and shift-add are three RTL modules.
struct PpuRtl final : PpuSlot {
  RtlRequantUnit requant;
  RtlGroup4Fold group_fold;
  RtlShiftAdd shift_add_unit;
  explicit PpuRtl(int64_t lanes) : requant("rtl_requant", lanes), group_fold("rtl_fold", lanes), shift_add_unit("rtl_shift_add", lanes) {}

  int64_t elementwise(const Op& op, const ITensor& x, const ITensor* y, ITensor& out) override {
    using E = RtlRequantUnit::ElementOp;
    switch (op.kind) {
      case OpKind::requant: requant.start(x, op.rq, out); break;
      case OpKind::add_requant: requant.start(x, op.rq, out, y, &op.rq_identity[0]); break;
      case OpKind::logsqrt2_codes: requant.start_codes(x, op.vec, out); break;
      case OpKind::binarize: requant.start(E::binarize, x, op.vec, {}, out); break;
      case OpKind::scale_rows: requant.start(E::affine, x, op.vec, op.bias, out); break;
      case OpKind::mask_probs: requant.start(E::mask, x, {op.threshold}, {}, out); break;
      default: throw std::logic_error("op " + op.name + " is not element-wise");
    }
    return requant.run_to_done();
  }
  int64_t fold(const Group4Fold& job, bool last) override {
    group_fold.start(job, last);
    return group_fold.run_to_done();
  }
  int64_t shift_add(const ShiftAddJob& job, ITensor& even, ITensor& odd) override {
    shift_add_unit.start(job, even, odd);
    return shift_add_unit.run_to_done();
  }
};

struct DmaModel final : DmaSlot {
  DmaEngine engine{"dma"};
  TransferTimes run(const std::vector<Block>& blocks, const MemoryConfig& mem, std::vector<Span>* spans, const std::string&) override {
    return engine.run(blocks, mem, spans);
  }
};

// The RTL engine keeps no timeline: the SystemC engine runs the plan beside it for the spans.
struct DmaRtl final : DmaSlot {
  RtlDmaEngine engine{"rtl_dma"};
  DmaEngine timeline{"dma"};
  TransferTimes run(const std::vector<Block>& blocks, const MemoryConfig& mem, std::vector<Span>* spans, const std::string& op) override {
    const TransferTimes tt = engine.run(blocks, mem);
    if (spans) {
      const TransferTimes sc = timeline.run(blocks, mem, spans);
      if (sc.cycles != tt.cycles || sc.channel_busy != tt.channel_busy)
        throw std::logic_error("op " + op + ": the DMA RTL and the SystemC engine whose timeline is shown disagree on its cycles");
    }
    return tt;
  }
};

template <class Params, class Model, class Rtl>
std::unique_ptr<RowSlot<Params>> row_slot(bool rtl, const char* name, int64_t lanes) {
  if (rtl) return std::make_unique<RowIn<Params, Rtl>>(("rtl_" + std::string(name)).c_str(), lanes);
  return std::make_unique<RowIn<Params, Model>>(name, lanes);
}

}  // namespace

Slots build_slots(const HwConfig& hw) {
  Slots s;
  if (hw.rtl.array) s.array = std::make_unique<ArrayIn<RtlMacArray>>("rtl_array", hw.array);
  else s.array = std::make_unique<ArrayIn<MacArray>>("array", hw.array);
  if (hw.rtl.ppu) s.ppu = std::make_unique<PpuRtl>(hw.ppu_lanes);
  else s.ppu = std::make_unique<PpuModel>(hw.ppu_lanes);
  s.shiftmax = row_slot<golden::ShiftmaxParams, ShiftmaxUnit, RtlShiftmaxUnit>(hw.rtl.shiftmax, "shiftmax", hw.nonlinear_lanes);
  s.shiftgelu = row_slot<golden::ShiftGeluParams, ShiftGeluUnit, RtlShiftGeluUnit>(hw.rtl.shiftgelu, "shiftgelu", hw.nonlinear_lanes);
  s.ilayernorm = row_slot<golden::ILayerNormParams, ILayerNormUnit, RtlILayerNormUnit>(hw.rtl.ilayernorm, "ilayernorm", hw.nonlinear_lanes);
  if (hw.rtl.dma) s.dma = std::make_unique<DmaRtl>();
  else s.dma = std::make_unique<DmaModel>();
  return s;
}

}  // namespace qtsim::model
