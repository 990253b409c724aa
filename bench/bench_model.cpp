// Cycle-model speed: the DeiT-Tiny layer's GEMMs on the SystemC MAC array (16x16, ws and os), simulated
// cycles per second and wall time next to the golden GEMM kernel on the same shapes, in one process.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <systemc>
#include <vector>

#include "golden/gemm.hpp"
#include "golden/quantize.hpp"
#include "golden/exec.hpp"
#include "golden/lower.hpp"
#include "models/units/accelerator.hpp"
#include "models/compiler/compile.hpp"
#include "models/machine/machine.hpp"
#include "models/units/mac_array.hpp"

using namespace qtsim;
using Clock = std::chrono::steady_clock;

namespace {
struct Shape3 {
  const char* name;
  int64_t m, k, n, count;  // count: how many times the layer runs this GEMM (per head)
};
const Shape3 kLayer[] = {{"qkv", 197, 192, 576, 1}, {"qk", 197, 64, 197, 3},   {"sv", 197, 197, 64, 3},
                         {"proj", 197, 192, 192, 1}, {"fc1", 197, 192, 768, 1}, {"fc2", 197, 768, 192, 1}};

std::vector<int32_t> draws(int64_t n, uint64_t seed) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  for (auto& x : v) x = static_cast<int32_t>(golden::splitmix64(seed) % 256) - 128;
  return v;
}
}  // namespace

// SystemC prints its banner before sc_main runs; the switch must be set before that.
static const int kQuietSystemC = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);

int sc_main(int, char**) {
  (void)kQuietSystemC;
  machine::elaborate_machine();
  model::MacArray ws("ws", {16, 16, model::Dataflow::ws, true}), os("os", {16, 16, model::Dataflow::os, true});
  // The whole layer first: the accelerator elaborates its units before the simulation starts.
  {
    const golden::EncoderCase c = golden::make_encoder_case(golden::encoder_dims("deit_tiny", 197), {}, 1, 1);
    double gold = 1e30, mod = 1e30, with_timeline = 1e30, comp = 1e30, ref = 1e30, mach = 1e30;
    int64_t mach_cycles = 0;
    size_t instructions = 0;
    int64_t cycles = 0;
    size_t spans = 0;
    for (int rep = 0; rep < 3; ++rep) {
      const auto g0 = Clock::now();
      const golden::Taps taps = golden::run_program(c.lowered.program, c.lowered.inputs);
      gold = std::min(gold, std::chrono::duration<double>(Clock::now() - g0).count());
      const auto m0 = Clock::now();
      const model::ModelRun run = model::run_on_model(c.lowered.program, c.lowered.inputs, model::HwConfig{});
      mod = std::min(mod, std::chrono::duration<double>(Clock::now() - m0).count());
      cycles = run.total_cycles;
      if (run.taps.at("out").data != taps.at("out").data) std::printf("MISMATCH between model and golden\n");
      const auto t0 = Clock::now();
      const model::ModelRun traced = model::run_on_model(c.lowered.program, c.lowered.inputs, model::HwConfig{}, true);
      with_timeline = std::min(with_timeline, std::chrono::duration<double>(Clock::now() - t0).count());
      spans = 0;
      for (const model::OpStats& st : traced.ops) spans += st.spans.size();
      if (traced.total_cycles != cycles) std::printf("MISMATCH: the timeline changed the cycles\n");
      const auto c0 = Clock::now();
      const compiler::Compiled compiled = compiler::compile(c.lowered.program, c.lowered.inputs, model::HwConfig{});
      comp = std::min(comp, std::chrono::duration<double>(Clock::now() - c0).count());
      instructions = compiled.code.size();
      const auto r0 = Clock::now();
      const golden::Taps on_isa = compiler::run_reference(c.lowered.program, compiled, compiled.dram);
      ref = std::min(ref, std::chrono::duration<double>(Clock::now() - r0).count());
      if (on_isa.at("out").data != taps.at("out").data) std::printf("MISMATCH between the instruction set and golden\n");
      const auto x0 = Clock::now();
      const machine::MachineRun mr = machine::run_machine(compiled.code, compiled.dram, compiled.sp_bytes, model::HwConfig{}, compiled.probes);
      mach = std::min(mach, std::chrono::duration<double>(Clock::now() - x0).count());
      mach_cycles = mr.cycles;
      if (compiler::read_taps(c.lowered.program, compiled, mr.dram, mr.probed).at("out").data != taps.at("out").data)
        std::printf("MISMATCH between the machine and golden\n");
    }
    std::printf("DeiT-Tiny INT8 encoder layer, 16x16 ws accelerator (best of 3), one core\n");
    std::printf("  golden %.1f ms | cycle model %.1f ms for %lld cycles (%.2f Mcycles/s) | model / golden %.1f\n",
                gold * 1e3, mod * 1e3, static_cast<long long>(cycles), static_cast<double>(cycles) / mod * 1e-6, mod / gold);
    std::printf("  with --timeline: %.1f ms, %zu spans | with / without %.2f\n", with_timeline * 1e3, spans, with_timeline / mod);
    std::printf("  compiler %.1f ms for %zu instructions | reference semantics of the instructions (no timing) %.1f ms | "
                "reference / golden %.2f\n",
                comp * 1e3, instructions, ref * 1e3, ref / gold);
    std::printf("  machine (the instructions, bytes through the DMA and the banks) %.1f ms for %lld cycles (%.2f Mcycles/s) | "
                "machine / golden %.1f | machine / per-op model %.2f\n\n",
                mach * 1e3, static_cast<long long>(mach_cycles), static_cast<double>(mach_cycles) / mach * 1e-6, mach / gold, mach / mod);
  }
  std::printf("DeiT-Tiny layer GEMMs (%s) on a 16x16 array alone\n\n", "qkv, 3x qk, 3x sv, proj, fc1, fc2");
  std::printf("%-4s %12s %10s %14s %16s %12s %8s\n", "flow", "cycles", "wall ms", "Mcycles/s", "G PE-updates/s",
              "golden ms", "ratio");
  for (model::MacArray* arr : {&ws, &os}) {
    int64_t cycles = 0;
    double wall = 0, gold = 0;
    for (const Shape3& s : kLayer) {
      const std::vector<int32_t> a = draws(s.m * s.k, 1), b = draws(s.n * s.k, 2);
      std::vector<int32_t> c(static_cast<size_t>(s.m * s.n));
      const std::vector<int8_t> a8(a.begin(), a.end()), b8(b.begin(), b.end());
      for (int64_t rep = 0; rep < s.count; ++rep) {
        const int64_t before = arr->busy_cycles;
        const auto t0 = Clock::now();
        arr->start({a.data(), b.data(), s.m, s.k, s.n, c.data()});
        arr->run_to_done();
        wall += std::chrono::duration<double>(Clock::now() - t0).count();
        cycles += arr->busy_cycles - before;
        const auto g0 = Clock::now();
        golden::gemm_s8(a8.data(), b8.data(), nullptr, s.m, s.k, s.n, c.data());
        gold += std::chrono::duration<double>(Clock::now() - g0).count();
      }
    }
    std::printf("%-4s %12lld %10.1f %14.2f %16.2f %12.2f %8.1f\n", arr == &ws ? "ws" : "os", static_cast<long long>(cycles),
                wall * 1e3, static_cast<double>(cycles) / wall * 1e-6, static_cast<double>(cycles) * 256 / wall * 1e-9,
                gold * 1e3, wall / gold);
  }
  std::printf("\nratio = model wall time / golden GEMM time for the same GEMMs\n");
  return 0;
}
