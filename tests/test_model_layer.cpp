// Whole layers on the accelerator model: every tap bit-exact against the golden; array ops take exactly
// their closed-form cycles. One accelerator configuration per case (one SystemC elaboration per process).
#include <catch2/catch.hpp>

#include "golden/exec.hpp"
#include "golden/lower.hpp"
#include "golden/lower_binary.hpp"
#include "models/accelerator.hpp"

using namespace qtsim;

namespace {
model::HwConfig hw(int64_t rows, int64_t cols, model::Dataflow df) {
  model::HwConfig h;
  h.array = {rows, cols, df, true};
  return h;
}

void check_layer(const golden::Lowered& l, const model::HwConfig& h) {
  const golden::Taps gold = golden::run_program(l.program, l.inputs);
  const model::ModelRun run = model::run_on_model(l.program, l.inputs, h);
  REQUIRE(run.taps.order == gold.order);
  for (const auto& name : gold.order) {
    INFO("tap " << name);
    REQUIRE(run.taps.at(name).shape == gold.at(name).shape);
    REQUIRE(run.taps.at(name).data == gold.at(name).data);
  }
  int64_t total = 0;
  for (size_t i = 0; i < run.ops.size(); ++i) {
    const model::OpStats& st = run.ops[i];
    total += st.cycles;
    if (l.program.ops[i].kind == golden::OpKind::gemm)
      CHECK(st.cycles == model::array_schedule(h.array, st.m, st.k, st.n).cycles);
    if (l.program.ops[i].kind == golden::OpKind::bmm_nt) {
      const int64_t heads = l.program.info(l.program.ops[i].in[0]).shape[0];
      CHECK(st.cycles == heads * model::array_schedule(h.array, st.m, st.k, st.n).cycles);
    }
  }
  CHECK(run.total_cycles == total);
}
}  // namespace

TEST_CASE("DeiT-Tiny INT8 layer on a 16x16 ws array is bit-exact", "[model][layer]") {
  const golden::EncoderCase c = golden::make_encoder_case(golden::encoder_dims("deit_tiny", 197), {}, 1);
  check_layer(c.lowered, hw(16, 16, model::Dataflow::ws));
}

TEST_CASE("DeiT-Tiny INT8 layer on a 16x16 os array is bit-exact", "[model][layer]") {
  const golden::EncoderCase c = golden::make_encoder_case(golden::encoder_dims("deit_tiny", 197), {}, 1);
  check_layer(c.lowered, hw(16, 16, model::Dataflow::os));
}

TEST_CASE("W4A8 layer on a 32x32 ws array is bit-exact", "[model][layer][int4]") {
  golden::LowerOptions o;
  o.w_bits = 4;
  const golden::EncoderCase c = golden::make_encoder_case(golden::encoder_dims("deit_tiny", 197), o, 2);
  check_layer(c.lowered, hw(32, 32, model::Dataflow::ws));
}

TEST_CASE("BinaryViT layer on a 16x16 ws array is bit-exact", "[model][layer][binary]") {
  const golden::BinaryCase c = golden::make_binary_case(golden::encoder_dims("deit_tiny", 197), 3);
  check_layer(c.lowered, hw(16, 16, model::Dataflow::ws));
}

TEST_CASE("odd shapes: a single GEMM on a 5x3 array is bit-exact", "[model][layer]") {
  check_layer(golden::lower_gemm(37, 29, 23, 4), hw(5, 3, model::Dataflow::ws));
}

TEST_CASE("a seeded run repeated gives identical taps and cycles", "[model][layer]") {
  const golden::EncoderCase c = golden::make_encoder_case(golden::encoder_dims("deit_tiny", 50), {}, 7);
  const model::HwConfig h = hw(16, 16, model::Dataflow::ws);
  const model::ModelRun a = model::run_on_model(c.lowered.program, c.lowered.inputs, h);
  const model::ModelRun b = model::run_on_model(c.lowered.program, c.lowered.inputs, h);
  CHECK(a.total_cycles == b.total_cycles);
  for (const auto& name : a.taps.order) CHECK(a.taps.at(name).data == b.taps.at(name).data);
}
