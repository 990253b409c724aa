// The golden executor: runs a Program with the plain integer operators and keeps every tensor as a tap.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "golden/program.hpp"

namespace qtsim::golden {

struct Taps {
  std::vector<std::string> order;  // inputs first, then op outputs in execution order
  std::map<std::string, ITensor> t;
  void put(const std::string& name, ITensor v);
  const ITensor& at(const std::string& name) const;
};

// Runs one op on tensors already in `taps`; the cycle model reuses this for ops it does not time itself.
void run_op(const Program& p, const Op& op, Taps& taps);

// Inputs must match the declared shapes and types; every output is checked against its declared type
// (a value outside it is a lowering bug, reported with the op and index).
Taps run_program(const Program& p, const std::map<std::string, ITensor>& inputs);

}  // namespace qtsim::golden
