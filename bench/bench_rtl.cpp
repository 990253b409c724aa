// RTL-in-the-loop speed, each Verilated unit side by side with its SystemC model on the same work, in one
// run: simulated cycles per second of
//   - the MAC array alone (8x8, 16x16, 32x32, weight-stationary) on DeiT-Tiny fc1 (197 x 192 x 768),
//   - the requant lanes on fc1's accumulators,
//   - the DMA engine and DRAM channel on 2,000 blocks, compute-bound and memory-bound,
//   - the whole accelerator on a DeiT-Tiny INT8 encoder layer with every unit `rtl` against every unit
//     SystemC (one accelerator per process: each run in a child process),
// with values and cycle counts compared (exit 1 if any differ).
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <systemc>

#include "golden/lower.hpp"
#include "golden/quantize.hpp"
#include "golden/requant.hpp"
#include "models/units/accelerator.hpp"
#include "models/units/mac_array.hpp"
#include "models/units/row_units.hpp"
#include "models/verilated/rtl_dma.hpp"
#include "models/verilated/rtl_mac_array.hpp"
#include "models/verilated/rtl_requant_unit.hpp"

using namespace qtsim;
using Clock = std::chrono::steady_clock;

// SystemC prints its banner before sc_main runs; the switch must be set before that.
static const int kQuietSystemC = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);

namespace {
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::vector<int32_t> draws(int64_t n, int64_t lo, int64_t hi, uint64_t seed) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  for (auto& x : v) x = static_cast<int32_t>(lo + static_cast<int64_t>(golden::splitmix64(seed) % static_cast<uint64_t>(hi - lo + 1)));
  return v;
}

struct LayerRun {
  int64_t cycles = -1;
  double seconds = 0;
  uint64_t digest = 0;  // of every tap's values
};

// The DeiT-Tiny layer on a fresh accelerator in a child process.
LayerRun layer_in_child(int64_t size, bool rtl) {
  int fd[2];
  if (pipe(fd) != 0) return {};
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fd[0]);
    const golden::EncoderCase c = golden::make_encoder_case(golden::encoder_dims("deit_tiny", 197), {}, 1);
    model::HwConfig h;
    h.array = {size, size, model::Dataflow::ws, true};
    if (rtl) h.rtl = {true, true, true, true, true, true};
    const auto t0 = Clock::now();
    const model::ModelRun run = model::run_on_model(c.lowered.program, c.lowered.inputs, h);
    LayerRun r{run.total_cycles, seconds_since(t0), 1469598103934665603ull};
    for (const auto& name : run.taps.order)
      for (int64_t v : run.taps.at(name).data) r.digest = (r.digest ^ static_cast<uint64_t>(v)) * 1099511628211ull;
    const ssize_t w = write(fd[1], &r, sizeof r);
    _exit(w == static_cast<ssize_t>(sizeof r) ? 0 : 1);
  }
  close(fd[1]);
  LayerRun r;
  const ssize_t got = read(fd[0], &r, sizeof r);
  close(fd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return got == static_cast<ssize_t>(sizeof r) ? r : LayerRun{};
}
}  // namespace

int sc_main(int, char**) {
  (void)kQuietSystemC;
  bool same = true;
  const int64_t sizes[] = {8, 16, 32};

  // The whole accelerator first: the children must fork before this process elaborates anything.
  std::printf("DeiT-Tiny INT8 encoder layer, whole accelerator (run_on_model wall time, one core)\n");
  std::printf("  %-6s %10s %12s %12s %14s %14s  %s\n", "array", "cycles", "SystemC s", "all-RTL s", "SystemC Mc/s", "all-RTL Mc/s", "");
  for (int64_t s : sizes) {
    const LayerRun m = layer_in_child(s, false), r = layer_in_child(s, true);
    const bool ok = m.cycles > 0 && m.cycles == r.cycles && m.digest == r.digest;
    same = same && ok;
    std::printf("  %2lldx%-3lld %10lld %12.3f %12.3f %14.2f %14.2f  %s\n", static_cast<long long>(s), static_cast<long long>(s),
                static_cast<long long>(m.cycles), m.seconds, r.seconds, static_cast<double>(m.cycles) / m.seconds * 1e-6,
                static_cast<double>(r.cycles) / r.seconds * 1e-6, ok ? "same taps, same cycles" : "DIFFER");
  }

  // The array alone (every unit of this process elaborated before the first run).
  model::RtlRequantUnit rq("rq", 16);
  model::DmaEngine dma("dma");
  model::RtlDmaEngine rtl_dma("rtl_dma");
  model::Ppu ppu("ppu", rq.lanes());
  std::vector<std::unique_ptr<model::MacArray>> sc;
  std::vector<std::unique_ptr<model::RtlMacArray>> rtl;
  for (int64_t s : sizes) {
    const model::ArrayConfig cfg{s, s, model::Dataflow::ws, true};
    sc.push_back(std::make_unique<model::MacArray>(("sc" + std::to_string(s)).c_str(), cfg));
    rtl.push_back(std::make_unique<model::RtlMacArray>(("rtl" + std::to_string(s)).c_str(), cfg));
  }
  const int64_t M = 197, K = 192, N = 768;
  const std::vector<int32_t> a = draws(M * K, -128, 127, 1), b = draws(N * K, -128, 127, 2);
  std::printf("\nMAC array alone, fc1 GEMM %lld x %lld x %lld, ws\n", static_cast<long long>(M), static_cast<long long>(K),
              static_cast<long long>(N));
  std::printf("  %-6s %10s %12s %12s %14s %14s\n", "array", "cycles", "SystemC s", "RTL s", "SystemC Mc/s", "RTL Mc/s");
  for (size_t i = 0; i < sc.size(); ++i) {
    std::vector<int32_t> c_sc(static_cast<size_t>(M * N)), c_rtl(c_sc.size());
    double t_sc = 1e30, t_rtl = 1e30;
    int64_t cy_sc = 0, cy_rtl = 0;
    for (int rep = 0; rep < 2; ++rep) {
      std::fill(c_sc.begin(), c_sc.end(), 0), std::fill(c_rtl.begin(), c_rtl.end(), 0);
      auto t0 = Clock::now();
      sc[i]->start({a.data(), b.data(), M, K, N, c_sc.data()});
      cy_sc = sc[i]->run_to_done();
      t_sc = std::min(t_sc, seconds_since(t0));
      t0 = Clock::now();
      rtl[i]->start({a.data(), b.data(), M, K, N, c_rtl.data()});
      cy_rtl = rtl[i]->run_to_done();
      t_rtl = std::min(t_rtl, seconds_since(t0));
    }
    const bool ok = c_sc == c_rtl && cy_sc == cy_rtl;
    same = same && ok;
    std::printf("  %2lldx%-3lld %10lld %12.4f %12.4f %14.2f %14.2f  %s\n", static_cast<long long>(sizes[i]),
                static_cast<long long>(sizes[i]), static_cast<long long>(cy_sc), t_sc, t_rtl, static_cast<double>(cy_sc) / t_sc * 1e-6,
                static_cast<double>(cy_rtl) / t_rtl * 1e-6, ok ? "same sums, same cycles" : "DIFFER");
  }

  // The requant lanes.
  golden::ITensor z({M, N});
  uint64_t seed = 3;
  for (auto& v : z.data) v = static_cast<int64_t>(golden::splitmix64(seed) % (1u << 20)) - (1 << 19);
  golden::Requant q;
  q.bits = 8;
  for (int64_t c = 0; c < N; ++c) q.mult.push_back(golden::dyadic_from_ratio(1.0 / (300.0 + static_cast<double>(c))));
  double rq_s = 1e30, ppu_s = 1e30;
  int64_t rq_cycles = 0, ppu_cycles = 0;
  golden::ITensor rq_out, ppu_out(z.shape);
  for (int rep = 0; rep < 3; ++rep) {
    auto t0 = Clock::now();
    rq.start(z, q, rq_out);
    rq_cycles = rq.run_to_done();
    rq_s = std::min(rq_s, seconds_since(t0));
    t0 = Clock::now();
    ppu.start(z.size(), [&](int64_t i) { return golden::requant_element(z[i], q, i % N); }, ppu_out.data.data());
    ppu_cycles = ppu.run_to_done();
    ppu_s = std::min(ppu_s, seconds_since(t0));
  }
  const bool rq_ok = rq_out.data == ppu_out.data && rq_cycles == ppu_cycles;
  same = same && rq_ok;
  std::printf("\nrequant stream 197 x 768, 16 lanes: %lld cycles; SystemC %.2f Mcycles/s, RTL %.2f Mcycles/s  %s\n",
              static_cast<long long>(rq_cycles), static_cast<double>(ppu_cycles) / ppu_s * 1e-6,
              static_cast<double>(rq_cycles) / rq_s * 1e-6, rq_ok ? "same values, same cycles" : "DIFFER");

  // The DMA engine: 2,000 blocks of 100 compute cycles, loading 1,000 bytes and storing 500 at 32 B/cycle
  // (compute-bound) and at 8 B/cycle (memory-bound).
  std::printf("\nDMA engine and DRAM channel, 2,000 blocks\n");
  std::printf("  %-14s %10s %12s %12s %14s %14s\n", "plan", "cycles", "SystemC s", "RTL s", "SystemC Mc/s", "RTL Mc/s");
  for (double bw : {32.0, 8.0}) {
    model::MemoryConfig mem;
    mem.dram_bytes_per_cycle = bw;
    const std::vector<model::Block> blocks{{1000, 0, 100, 500, 2000}};
    double t_sc = 1e30, t_rtl = 1e30;
    model::TransferTimes sc_t, rtl_t;
    for (int rep = 0; rep < 3; ++rep) {
      auto t0 = Clock::now();
      sc_t = dma.run(blocks, mem);
      t_sc = std::min(t_sc, seconds_since(t0));
      t0 = Clock::now();
      rtl_t = rtl_dma.run(blocks, mem);
      t_rtl = std::min(t_rtl, seconds_since(t0));
    }
    const bool ok = sc_t.cycles == rtl_t.cycles && sc_t.channel_busy == rtl_t.channel_busy;
    same = same && ok;
    std::printf("  %-14s %10lld %12.4f %12.4f %14.2f %14.2f  %s\n", bw == 32.0 ? "compute-bound" : "memory-bound",
                static_cast<long long>(sc_t.cycles), t_sc, t_rtl, static_cast<double>(sc_t.cycles) / t_sc * 1e-6,
                static_cast<double>(rtl_t.cycles) / t_rtl * 1e-6, ok ? "same cycles" : "DIFFER");
  }
  return same ? 0 : 1;
}
