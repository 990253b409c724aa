// A Verilated unit under test, driven from C++: its own context, held in reset for one evaluation, then
// clocked one full cycle per clock(). Every unit uses clk_i and an active-low rst_ni.
#pragma once
#include <memory>

#include "verilated.h"

namespace qtsim::test {

template <class Top>
struct VerilatedDut {
  std::unique_ptr<VerilatedContext> ctx = std::make_unique<VerilatedContext>();
  std::unique_ptr<Top> top = std::make_unique<Top>(ctx.get());
  VerilatedDut() {
    top->clk_i = 0, top->rst_ni = 0;
    top->eval();
    top->rst_ni = 1;
    top->eval();
  }
  void clock() {
    top->clk_i = 1;
    top->eval();
    top->clk_i = 0;
    top->eval();
  }
};

}  // namespace qtsim::test
