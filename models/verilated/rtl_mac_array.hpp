// The MAC array as Verilated RTL (rtl/qtsim_mac_array.sv) behind the clocked-unit interface of the SystemC
// array: the same jobs, the same sequencer (tile order, stream starts and weight preloads of
// array_schedule), but the products and sums are the RTL's, and the job ends when the RTL has handed out
// its last valid sum (ws, is) or its last row has drained (os). Weight-, input- and output-stationary; W8A8 and the two
// int4 weights per PE of W4A8 / W4A4; 17-bit signed operands both ways, 32-bit wrapping sums; and the
// binary mode of BinaryViT's linears, one 64-bit XNOR-popcount word per PE per cycle.
#pragma once
#include <memory>
#include <string>

#include "models/units/clocked_unit.hpp"
#include "models/units/mac_array.hpp"

namespace qtsim::model {

class RtlMacArray : public ClockedUnit {
 public:
  static constexpr int64_t kLanes = 2;         // products per PE per cycle the RTL is built with
  static constexpr int64_t kBinaryLanes = 64;  // +-1 products per PE per cycle in binary mode (one XNOR word)

  // Throws std::invalid_argument (saying how to build it) for a size or dataflow the build has no RTL of.
  RtlMacArray(sc_core::sc_module_name name, const ArrayConfig& cfg);
  ~RtlMacArray() override;

  // Why `cfg` cannot run on the RTL array, or "" when it can.
  static std::string unsupported(const ArrayConfig& cfg);
  void start(const GemmJob& job);

  struct Dut;  // the Verilated array of the configured size

 private:
  bool step() override;
  bool step_os();
  ArrayConfig cfg_;
  std::unique_ptr<Dut> dut_;
  GemmJob job_;
  Schedule sched_;
  Tiles tiles_;
  int64_t t_ = 0, loading_ = 0, received_ = 0, expected_ = 0, drain_tile_ = 0;
  std::vector<int32_t> w_;              // the weight port's row this cycle
  std::vector<uint64_t> wbits_, wmask_;  // binary mode: its bits and valid bits
  std::vector<int32_t> drained_;        // os: the row the drain port read
  std::vector<int64_t> in_cursor_, out_cursor_;  // per array row (and, under os, per column): the tile streaming there
};

}  // namespace qtsim::model
