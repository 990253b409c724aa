// How the wrappers in models/ hold a Verilated unit: its context and waves, reset and clocked a cycle at a
// time; and, for the units built at several lane counts, the parameter set a configuration asks for.
// The templates are instantiated where the Verilated classes are complete: a unit's own source, after the
// Verilator headers.
#pragma once
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "models/verilated/rtl_trace.hpp"
#include "models/units/stream.hpp"

namespace qtsim::model {

template <class Top>
struct VerilatedUnit {
  std::unique_ptr<VerilatedContext> ctx = new_rtl_context();
  Top top{ctx.get()};
  UnitTrace trace;  // after top: closed before the model goes
  explicit VerilatedUnit(const std::string& unit) {
    trace.open(top, unit);
    top.clk_i = 0, top.rst_ni = 0;
    top.eval();
    top.rst_ni = 1;
    top.eval();
  }
  // One cycle with the inputs as set: the rising edge at `edge`, the falling edge half a period later.
  void cycle(uint64_t edge, uint64_t half) {
    top.clk_i = 1;
    top.eval();
    trace.dump(edge);
    top.clk_i = 0;
    top.eval();
    trace.dump(edge + half);
  }
};

// Cycle t of a job on a unit with valid/ready stream ports (rtl/qtsim_pipe_ctrl.sv), paced as the SystemC
// StreamPipe is: when `have` and the producer offers, present(top) drives the next beat's data and valid_i; the
// edge; then the consumer answers on ready_i for the result in the last stage, and take(top) reads it when
// taken. Returns whether the beat entered (valid_i and ready_o at the edge).
template <class Top, class Present, class Take>
bool stream_cycle(VerilatedUnit<Top>& unit, const StreamPace& pace, int64_t t, bool have, Present&& present, Take&& take, uint64_t edge,
                  uint64_t half) {
  auto& top = unit.top;
  const bool offer = have && pace.offer(t);
  top.valid_i = offer;
  if (offer) present(top);
  const bool entered = offer && top.ready_o;
  unit.cycle(edge, half);
  const bool ready = pace.take(t);
  if (static_cast<bool>(top.ready_i) != ready) {  // ready_o follows it combinationally
    top.ready_i = ready;
    top.eval();
  }
  if (top.valid_o && ready) take(top);
  return entered;
}

// The lane counts the build verilated the post-processing and nonlinear units at (QTSIM_RTL_LANES in
// rtl/CMakeLists.txt), in order.
const std::vector<int64_t>& rtl_lanes();
// "" when `lanes` is built; else the error, naming `unit`, the counts built and how to add one.
std::string rtl_lanes_unsupported(const std::string& unit, int64_t lanes);

// One unit's Verilated parameter sets, Tops in the order of rtl_lanes(); only the one of `lanes` is built.
template <class... Tops>
class RtlLaneSets {
 public:
  RtlLaneSets(int64_t lanes, const std::string& name, const std::string& unit) {
    size_t i = 0;
    ((rtl_lanes().at(i++) == lanes ? void(unit_.template emplace<std::unique_ptr<VerilatedUnit<Tops>>>(std::make_unique<VerilatedUnit<Tops>>(name)))
                                   : void()),
     ...);
    if (unit_.index() == 0) throw std::invalid_argument(rtl_lanes_unsupported(unit, lanes));
  }
  // f(the VerilatedUnit built).
  template <class F>
  void visit(F&& f) {
    std::visit(
        [&](auto& u) {
          if constexpr (!std::is_same_v<std::decay_t<decltype(u)>, std::monostate>) f(*u);
        },
        unit_);
  }

 private:
  std::variant<std::monostate, std::unique_ptr<VerilatedUnit<Tops>>...> unit_;
};

}  // namespace qtsim::model
