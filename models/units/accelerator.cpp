#include "models/units/accelerator.hpp"

#include <memory>
#include <stdexcept>

#include "golden/gemm.hpp"
#include "golden/gemm_group4.hpp"
#include "models/analytic/op_cost.hpp"
#include "models/units/slots.hpp"
#include "models/verilated/rtl_dma.hpp"
#include "models/verilated/rtl_mac_array.hpp"
#include "models/verilated/verilated_unit.hpp"

namespace qtsim::model {

using golden::ITensor;
using golden::Op;
using golden::OpKind;

void HwConfig::check() const {
  if (array.rows < 1 || array.cols < 1) throw std::invalid_argument("array rows and cols must be >= 1");
  if (!(memory.dram_bytes_per_cycle > 0)) throw std::invalid_argument("dram_bytes_per_cycle must be > 0");
  if (memory.dram_latency_cycles < 0) throw std::invalid_argument("dram_latency_cycles must be >= 0");
  if (memory.input_kib < 1 || memory.weight_kib < 1 || memory.acc_kib < 1)
    throw std::invalid_argument("scratchpads need at least 1 KiB");
  if (memory.banks < 1) throw std::invalid_argument("banks must be >= 1");
  if (memory.word_bytes != 0 && (memory.word_bytes < 8 || memory.word_bytes > 4096 || (memory.word_bytes & (memory.word_bytes - 1))))
    throw std::invalid_argument("word_bytes must be 0 (derived from the array) or a power of two from 8 to 4096, not " +
                                std::to_string(memory.word_bytes));
  if (memory.double_buffer && memory.banks < 2)
    throw std::invalid_argument("double buffering needs at least 2 banks per scratchpad (the DMA fills one while the unit reads another)");
  // One array tile must fit: R x C stationary operands (weights under ws and os, inputs under is; one
  // byte each), and with double buffering two of them.
  const int64_t tile = array.rows * array.cols * (memory.double_buffer ? 2 : 1);
  const bool is = array.dataflow == Dataflow::is;
  if (tile > (is ? memory.input_kib : memory.weight_kib) * 1024)
    throw std::invalid_argument(std::string(is ? "input" : "weight") + " scratchpad of " +
                                std::to_string(is ? memory.input_kib : memory.weight_kib) + " KiB is too small for one " +
                                std::to_string(array.rows) + "x" + std::to_string(array.cols) + " tile" +
                                (memory.double_buffer ? " (double-buffered)" : ""));
  if (ppu_lanes < 1 || nonlinear_lanes < 1) throw std::invalid_argument("unit lanes must be >= 1");
  if (!(clock_mhz > 0)) throw std::invalid_argument("clock_mhz must be > 0");
  if (rtl.ppu)
    if (const std::string why = rtl_lanes_unsupported("post-processing", ppu_lanes); !why.empty()) throw std::invalid_argument(why);
  if (rtl.shiftmax || rtl.shiftgelu || rtl.ilayernorm)
    if (const std::string why = rtl_lanes_unsupported("nonlinear units'", nonlinear_lanes); !why.empty()) throw std::invalid_argument(why);
  if (rtl.dma && memory.dram_latency_cycles >= RtlDmaEngine::kTransfers)
    throw std::invalid_argument("the DMA RTL holds " + std::to_string(RtlDmaEngine::kTransfers) +
                                " transfers in flight: DRAM latency must be below " + std::to_string(RtlDmaEngine::kTransfers) +
                                " cycles, not " + std::to_string(memory.dram_latency_cycles) + " (raise LDEPTH in rtl/CMakeLists.txt and RtlDmaEngine)");
  if (rtl.array)
    if (const std::string why = RtlMacArray::unsupported(array); !why.empty()) throw std::invalid_argument(why);
}

namespace {
struct Accelerator : sc_core::sc_module {
  HwConfig hw;
  Slots units;
  Accelerator(sc_core::sc_module_name name, const HwConfig& h) : sc_module(name), hw(h), units(build_slots(h)) {}

  // One GEMM on the array; c holds the bias (or zeros) on entry. Returns the cycles it took.
  int64_t gemm(const int32_t* a, const int32_t* b, int64_t m, int64_t k, int64_t n, int32_t* c, int64_t lanes = 1) {
    return units.array->gemm({a, b, m, k, n, c, lanes});
  }
};

// The accelerators of this process, one per configuration of its units (memory and clock are per run).
// SystemC elaborates once: all of them exist before the first run.
Accelerator& accelerator(const HwConfig& hw) {
  static std::vector<std::unique_ptr<Accelerator>> built;
  for (auto& acc : built) {
    const ArrayConfig& a = acc->hw.array;
    if (a.rows == hw.array.rows && a.cols == hw.array.cols && a.dataflow == hw.array.dataflow && a.overlap == hw.array.overlap &&
        acc->hw.ppu_lanes == hw.ppu_lanes && acc->hw.nonlinear_lanes == hw.nonlinear_lanes && acc->hw.rtl == hw.rtl) {
      acc->hw = hw;
      return *acc;
    }
  }
  if (sc_core::sc_start_of_simulation_invoked())
    throw std::logic_error("a new accelerator configuration after the first run: elaborate every configuration first (model::elaborate)");
  // the first is "accelerator"; waves name their files after the units of the first (docs/rtl.md)
  const std::string name = built.empty() ? "accelerator" : "accelerator" + std::to_string(built.size());
  built.push_back(std::make_unique<Accelerator>(name.c_str(), hw));
  return *built.back();
}

// A nonlinear op on its row-streaming unit: output tap, cycles and unit name into the op's stats.
template <class Params>
void run_row_unit(RowSlot<Params>& unit, const Params& params, const char* name, const Op& op, ModelRun& run, OpStats& st) {
  ITensor out;
  st.cycles = unit.run(run.taps.at(op.in[0]), params, out);
  run.taps.put(op.out[0], std::move(out));
  st.unit = name;
}

std::vector<int32_t> to_i32(const ITensor& t, int64_t off, int64_t count) {
  return std::vector<int32_t>(t.data.begin() + off, t.data.begin() + off + count);
}
}  // namespace

void elaborate(const std::vector<HwConfig>& configs) {
  for (const HwConfig& hw : configs) {
    hw.check();
    accelerator(hw);
  }
}

ModelRun run_on_model(const golden::Program& p, const std::map<std::string, ITensor>& inputs, const HwConfig& hw, bool timeline,
                      const std::function<void(int64_t)>& progress) {
  hw.check();
  p.check();
  Accelerator& acc = accelerator(hw);
  const int64_t pes = hw.array.rows * hw.array.cols;
  ModelRun run;
  for (const auto& name : p.inputs) run.taps.put(name, inputs.at(name));
  for (const Op& op : p.ops) {
    OpStats st;
    st.name = op.name;
    st.kind = golden::op_kind_name(op.kind);
    switch (op.kind) {
      case OpKind::gemm:
      case OpKind::bgemm: {
        // int8 or int4 weights (two per PE), or +-1 operands with one 64-bit XNOR word per PE per cycle
        const ITensor& a = run.taps.at(op.in[0]);
        const GemmShape g = gemm_shape(p, op);
        st.m = g.m, st.k = g.k, st.n = g.n;
        std::vector<int32_t> w32;
        if (op.kind == OpKind::gemm) {
          const ITensor& w = p.consts.at(op.weight);
          w32 = to_i32(w, 0, w.size());
        } else {
          const golden::BitMatrix& w = p.bit_consts.at(op.weight);
          w32.resize(static_cast<size_t>(w.rows * w.k));
          for (int64_t r = 0; r < w.rows; ++r)
            for (int64_t j = 0; j < w.k; ++j)
              w32[static_cast<size_t>(r * w.k + j)] = (w.words[static_cast<size_t>(r * w.words_per_row() + j / 64)] >> (j % 64)) & 1 ? 1 : -1;
        }
        std::vector<int32_t> c(static_cast<size_t>(st.m * st.n), 0);
        if (!op.bias.empty())  // the accumulators start from the bias
          for (int64_t i = 0; i < st.m; ++i)
            for (int64_t j = 0; j < st.n; ++j) c[static_cast<size_t>(i * st.n + j)] = static_cast<int32_t>(op.bias[static_cast<size_t>(j)]);
        const std::vector<int32_t> a32 = to_i32(a, 0, a.size());
        st.cycles = acc.gemm(a32.data(), w32.data(), st.m, st.k, st.n, c.data(), g.lanes);
        golden::Shape os = a.shape;
        os.back() = st.n;
        run.taps.put(op.out[0], ITensor(os, std::vector<int64_t>(c.begin(), c.end())));
        st.unit = "array";
        st.macs = st.m * st.k * st.n;
        break;
      }
      case OpKind::bmm_nt: {
        const ITensor& a = run.taps.at(op.in[0]);
        const ITensor& b = run.taps.at(op.in[1]);
        const int64_t h = a.shape[0];
        st.m = a.shape[1], st.k = a.shape[2], st.n = b.shape[1];
        ITensor out({h, st.m, st.n});
        for (int64_t i = 0; i < h; ++i) {
          std::vector<int32_t> c(static_cast<size_t>(st.m * st.n), 0);
          const std::vector<int32_t> a32 = to_i32(a, i * st.m * st.k, st.m * st.k), b32 = to_i32(b, i * st.n * st.k, st.n * st.k);
          st.cycles += acc.gemm(a32.data(), b32.data(), st.m, st.k, st.n, c.data());
          for (int64_t j = 0; j < st.m * st.n; ++j) out[i * st.m * st.n + j] = c[static_cast<size_t>(j)];
        }
        run.taps.put(op.out[0], std::move(out));
        st.unit = "array";
        st.macs = h * st.m * st.k * st.n;
        break;
      }
      case OpKind::shiftmax: run_row_unit(*acc.units.shiftmax, op.shiftmax, "shiftmax", op, run, st); break;
      case OpKind::shiftgelu: run_row_unit(*acc.units.shiftgelu, op.shiftgelu, "shiftgelu", op, run, st); break;
      case OpKind::ilayernorm: run_row_unit(*acc.units.ilayernorm, op.ilayernorm, "ilayernorm", op, run, st); break;
      case OpKind::requant:
      case OpKind::add_requant:
      case OpKind::binarize:
      case OpKind::scale_rows:
      case OpKind::mask_probs:
      case OpKind::logsqrt2_codes: {
        if (op.kind == OpKind::add_requant && op.rq_identity.size() != 1) throw std::invalid_argument("add_requant: one identity multiplier");
        ITensor out(p.info(op.out[0]).shape);
        st.cycles = acc.units.ppu->elementwise(op, run.taps.at(op.in[0]), op.in.size() > 1 ? &run.taps.at(op.in[1]) : nullptr, out);
        run.taps.put(op.out[0], std::move(out));
        st.unit = "ppu";
        break;
      }
      case OpKind::split_heads:
      case OpKind::merge_heads:
      case OpKind::concat_rows:
      case OpKind::take_rows:
        golden::run_op(p, op, run.taps);  // addressing only: no unit, no cycles
        st.unit = "layout";
        break;
      case OpKind::gemm_group4: {
        // Per group of G columns the array computes the partial sums P of the uint4 codes (two per PE) and, in
        // one extra weight row of ones, the activation sums S; the post-processing unit folds each group into
        // the wide accumulators with the group's zero and scale multiplier.
        const ITensor& a = run.taps.at(op.in[0]);
        const golden::GroupInt4Weights& w = p.group4_consts.at(op.weight);
        const golden::Group4Consts gc = golden::group4_consts(w);
        const std::vector<int64_t> codes = golden::unpack_nibbles(w.packed, w.n * w.k, golden::uint_type(4));
        st.m = a.rows(), st.k = w.k, st.n = w.n;
        const int64_t M = st.m, N = st.n, G = w.group, groups = w.groups();
        std::vector<__int128> wide(static_cast<size_t>(M * N));
        for (int64_t i = 0; i < M * N; ++i) wide[static_cast<size_t>(i)] = op.bias.empty() ? 0 : golden::group4_bias_term(op.bias[static_cast<size_t>(i % N)]);
        golden::Shape os = a.shape;
        os.back() = N;
        ITensor out(os);
        std::vector<int64_t> zero(static_cast<size_t>(N)), mult(static_cast<size_t>(N));
        for (int64_t g = 0; g < groups; ++g) {
          std::vector<int32_t> ag(static_cast<size_t>(M * G)), wg(static_cast<size_t>((N + 1) * G), 1);
          for (int64_t i = 0; i < M; ++i)
            for (int64_t j = 0; j < G; ++j) ag[static_cast<size_t>(i * G + j)] = static_cast<int32_t>(a[i * w.k + g * G + j]);
          for (int64_t r = 0; r < N; ++r)
            for (int64_t j = 0; j < G; ++j) wg[static_cast<size_t>(r * G + j)] = static_cast<int32_t>(codes[static_cast<size_t>(r * w.k + g * G + j)]);
          std::vector<int32_t> ps(static_cast<size_t>(M * (N + 1)), 0);
          st.cycles += acc.gemm(ag.data(), wg.data(), M, G, N + 1, ps.data(), 2);
          for (int64_t n = 0; n < N; ++n) {
            zero[static_cast<size_t>(n)] = gc.zero_fx[static_cast<size_t>(n * groups + g)];
            mult[static_cast<size_t>(n)] = gc.mult[static_cast<size_t>(n * groups + g)];
          }
          const Group4Fold fold{M, N, ps.data(), zero.data(), mult.data(), wide.data(), out.data.data()};
          st.cycles += acc.units.ppu->fold(fold, g + 1 == groups);
        }
        run.taps.put(op.out[0], std::move(out));
        st.unit = "array", st.macs = M * st.k * N;
        break;
      }
      case OpKind::logsqrt2_attn_v: {
        const ShiftAddJob job{&run.taps.at(op.in[0]), &run.taps.at(op.in[1]), op.bits};
        ITensor even, odd;
        st.cycles = acc.units.ppu->shift_add(job, even, odd);
        run.taps.put(op.out[0], std::move(even));
        run.taps.put(op.out[1], std::move(odd));
        st.unit = "ppu";
        break;
      }
    }
    // The unit's job gave the values and its busy cycles; the DMA engine now moves the op's data block by
    // block around them. A unit waiting for a block holds its state, so the stalls add to its busy cycles
    // without changing what it computes.
    const OpFacts facts = op_facts(p, run.ops.size());
    account_traffic(facts, hw, st);
    st.compute_cycles = st.cycles;
    TransferPlan plan;
    transfer_plan(facts, hw, st, plan);
    const TransferTimes tt = acc.units.dma->run(plan.blocks, hw.memory, timeline ? &st.spans : nullptr, op.name);
    st.start = run.total_cycles;
    st.cycles = tt.cycles;
    st.dram_busy_cycles = tt.channel_busy;
    st.stall_cycles = st.cycles - st.compute_cycles;
    // against the PEs' product slots: an int4 weight gives a PE two products a cycle, a +-1 word 64
    if (st.macs > 0 && st.cycles > 0)
      st.utilization = static_cast<double>(st.macs) / (static_cast<double>(pes * gemm_shape(p, op).lanes) * static_cast<double>(st.cycles));
    run.total_cycles += st.cycles;
    run.ops.push_back(st);
    if (progress) progress(run.total_cycles);
  }
  return run;
}

}  // namespace qtsim::model
