// Golden layer time and GEMM throughput next to oneDNN's int8 matmul, in one process.
//   bench_golden            the table: golden kernel vs oneDNN capped at AVX512_CORE_VNNI (or the best ISA the
//                           CPU has below it), then oneDNN unrestricted (AMX where present) from a child run
//   bench_golden --onednn-only   (internal) prints the unrestricted oneDNN figures
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dnnl.hpp>
#include <string>
#include <vector>

#include "golden/encoder.hpp"
#include "golden/exec.hpp"
#include "golden/gemm.hpp"
#include "golden/lower.hpp"

using namespace qtsim::golden;
using Clock = std::chrono::steady_clock;

namespace {

// Best time of repeated runs, each batch at least `min_s` long in total.
template <class F>
double best_seconds(F&& f, double min_s = 0.3) {
  f();  // warm-up
  double best = 1e30, total = 0;
  int runs = 0;
  while (total < min_s || runs < 5) {
    const auto t0 = Clock::now();
    f();
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    best = std::min(best, s);
    total += s;
    ++runs;
  }
  return best;
}

struct Shape3 {
  const char* name;
  int64_t m, k, n;
};

// Values in [-64, 63]: oneDNN's AVX2 int8 kernels sum pairs of u8 x s8 products in saturating int16
// (vpmaddubsw), which full-range int8 can overflow; 7-bit data keeps both sides exact, so the results must
// be equal. Timing does not depend on the values.
std::vector<int8_t> random_s8(int64_t n, uint64_t seed) {
  std::vector<int8_t> v(static_cast<size_t>(n));
  uint64_t st = seed;
  for (auto& x : v) x = static_cast<int8_t>(static_cast<int>(splitmix64(st) & 0x7F) - 64);
  return v;
}

struct OneDnnGemm {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream s{eng};
  dnnl::matmul prim;
  dnnl::memory a, b_packed, c;

  // b is [N, K] (weight layout), prepacked once into oneDNN's preferred layout.
  OneDnnGemm(const Shape3& sh, std::vector<int8_t>& a_buf, std::vector<int8_t>& b_buf, std::vector<int32_t>& c_buf) {
    using dt = dnnl::memory::data_type;
    using tag = dnnl::memory::format_tag;
    const dnnl::memory::desc a_md({sh.m, sh.k}, dt::s8, tag::ab), b_md({sh.k, sh.n}, dt::s8, tag::any),
        c_md({sh.m, sh.n}, dt::s32, tag::ab);
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, c_md), eng);
    a = dnnl::memory(a_md, eng, a_buf.data());
    c = dnnl::memory(c_md, eng, c_buf.data());
    dnnl::memory b_user({{sh.k, sh.n}, dt::s8, tag::ba}, eng, b_buf.data());
    b_packed = dnnl::memory(pd.weights_desc(), eng);
    dnnl::reorder(b_user, b_packed).execute(s, b_user, b_packed);
    prim = dnnl::matmul(pd);
    s.wait();
  }
  void run() {
    prim.execute(s, {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b_packed}, {DNNL_ARG_DST, c}});
    s.wait();
  }
};

const char* isa_name(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::avx2: return "AVX2";
    case dnnl::cpu_isa::avx2_vnni: return "AVX2_VNNI";
    case dnnl::cpu_isa::avx512_core: return "AVX512_CORE";
    case dnnl::cpu_isa::avx512_core_vnni: return "AVX512_CORE_VNNI";
    case dnnl::cpu_isa::avx512_core_bf16: return "AVX512_CORE_BF16";
    case dnnl::cpu_isa::avx512_core_amx: return "AVX512_CORE_AMX";
    default: return "other";
  }
}

const Shape3 kShapes[] = {{"qkv", 197, 192, 576}, {"proj", 197, 192, 192}, {"fc1", 197, 192, 768}, {"fc2", 197, 768, 192}};

double onednn_layer_seconds(std::vector<double>* per_shape) {
  double total = 0;
  for (const Shape3& sh : kShapes) {
    std::vector<int8_t> a = random_s8(sh.m * sh.k, 1), b = random_s8(sh.n * sh.k, 2);
    std::vector<int32_t> c(static_cast<size_t>(sh.m * sh.n));
    OneDnnGemm g(sh, a, b, c);
    const double t = best_seconds([&] { g.run(); });
    if (per_shape) per_shape->push_back(t);
    total += t;
  }
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  setenv("OMP_NUM_THREADS", "1", 1);  // one core, for both sides
  if (argc > 1 && !std::strcmp(argv[1], "--onednn-only")) {
    const double t = onednn_layer_seconds(nullptr);
    std::printf("%s %.6f\n", isa_name(dnnl::get_effective_cpu_isa()), t);
    return 0;
  }
  dnnl::set_max_cpu_isa(dnnl::cpu_isa::avx512_core_vnni);

  std::printf("golden GEMM kernel vs oneDNN int8 matmul (s8 x s8 -> s32, prepacked weights), one thread\n");
  std::printf("oneDNN ISA (capped at AVX512_CORE_VNNI): %s\n\n", isa_name(dnnl::get_effective_cpu_isa()));
  std::printf("%-6s %5s %5s %5s | %11s %9s | %11s %9s | %7s %6s\n", "gemm", "M", "K", "N", "golden ms", "GOPS",
              "oneDNN ms", "GOPS", "ratio", "equal");
  double g_total = 0, d_total = 0, ops_total = 0;
  for (const Shape3& sh : kShapes) {
    std::vector<int8_t> a = random_s8(sh.m * sh.k, 1), b = random_s8(sh.n * sh.k, 2);
    std::vector<int32_t> c_gold(static_cast<size_t>(sh.m * sh.n)), c_dnnl(c_gold.size());
    OneDnnGemm d(sh, a, b, c_dnnl);
    const double tg = best_seconds([&] { gemm_s8(a.data(), b.data(), nullptr, sh.m, sh.k, sh.n, c_gold.data()); });
    const double td = best_seconds([&] { d.run(); });
    const double ops = 2.0 * static_cast<double>(sh.m * sh.k * sh.n);
    g_total += tg, d_total += td, ops_total += ops;
    std::printf("%-6s %5lld %5lld %5lld | %11.3f %9.1f | %11.3f %9.1f | %7.3f %6s\n", sh.name, static_cast<long long>(sh.m),
                static_cast<long long>(sh.k), static_cast<long long>(sh.n), tg * 1e3, ops / tg * 1e-9, td * 1e3,
                ops / td * 1e-9, td / tg, c_gold == c_dnnl ? "yes" : "NO");
  }
  std::printf("%-6s %17s | %11.3f %9.1f | %11.3f %9.1f | %7.3f\n", "layer", "", g_total * 1e3, ops_total / g_total * 1e-9,
              d_total * 1e3, ops_total / d_total * 1e-9, d_total / g_total);
  std::printf("ratio = golden throughput / oneDNN throughput (target >= 0.25)\n\n");

  // Unrestricted oneDNN (AMX where the CPU has it) needs a fresh process: the ISA cap is process-wide.
  const std::string cmd = std::string(argv[0]) + " --onednn-only";
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char isa[64] = {0};
    double t = 0;
    if (std::fscanf(p, "%63s %lf", isa, &t) == 2)
      std::printf("oneDNN unrestricted (%s): layer GEMMs %.3f ms, %.1f GOPS, golden/oneDNN %.3f\n\n", isa, t * 1e3,
                  ops_total / t * 1e-9, t / g_total);
    pclose(p);
  }

  std::printf("%-28s %10s %12s\n", "golden layer (whole Program)", "ms", "GMAC/s");
  for (const char* model : {"deit_tiny", "deit_base"}) {
    const EncoderCase c = make_encoder_case(encoder_dims(model, 197), LowerOptions{}, 1, 1);
    int64_t macs = 0;
    for (const Op& op : c.lowered.program.ops) macs += op_macs(c.lowered.program, op);
    const double t = best_seconds([&] { run_program(c.lowered.program, c.lowered.inputs); }, 1.0);
    std::printf("%-28s %10.2f %12.1f\n", model, t * 1e3, static_cast<double>(macs) / t * 1e-9);
  }
  return 0;
}
