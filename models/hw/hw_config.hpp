// The hardware description: what an accelerator is made of (array, units, memories, clock) and which of its
// units run as Verilated RTL. Plain data, no SystemC: the compiler, the analytic model and the configs read
// it; the SystemC machine and the RTL bridge are built from it.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace qtsim::model {

// is keeps a K x M tile of A in the PEs and streams the rows of B: the ws datapath with the operands' roles
// swapped, writing C transposed (SCALE-Sim's input-stationary mapping: rows K, columns M, stream N).
enum class Dataflow { ws, os, is };
inline const char* dataflow_name(Dataflow d) {
  switch (d) {
    case Dataflow::ws: return "ws";
    case Dataflow::os: return "os";
    case Dataflow::is: return "is";
  }
  return "?";
}

struct ArrayConfig {
  int64_t rows = 16, cols = 16;
  Dataflow dataflow = Dataflow::ws;
  // Default: the next tile's weights (ws) load behind the current stream and tiles follow back to back.
  // false: SCALE-Sim's timing, each tile preloaded, streamed and drained before the next one starts.
  bool overlap = true;
};

// Scratchpads and DRAM. Every op reads its inputs from DRAM and writes its outputs back, except the
// accumulators an array op leaves for the post-processing op that follows (kept in the accumulator SRAM
// when they fit).
struct MemoryConfig {
  int64_t input_kib = 64;    // activation scratchpad
  int64_t weight_kib = 64;   // weight scratchpad
  int64_t acc_kib = 256;     // int32 accumulators
  double dram_bytes_per_cycle = 32;
  int64_t dram_latency_cycles = 100;
  // true: the DMA fetches ahead into the free part of the scratchpads while the unit computes, and writes
  // results back behind it; false: load, compute and store one block after another.
  bool double_buffer = true;
  // Banks per scratchpad. A bank is read or written in a cycle, not both: while the unit reads the bank of its
  // current block, the DMA fills the others (double buffering needs two).
  int64_t banks = 8;
  // The SRAM word: the bytes one bank access moves, and so what a unit's port moves per scratchpad per cycle.
  // 0: HwConfig::sram_word_bytes() derives it from the array.
  int64_t word_bytes = 0;
  // Bytes the DMA may hold on chip for one op: all but one bank of the input and weight scratchpads.
  int64_t window_bytes() const { return (input_kib + weight_kib) * 1024 * (banks - 1) / banks; }
  // Cycles the channel is busy moving `bytes` (at least one for a non-empty transfer).
  int64_t transfer_cycles(int64_t bytes) const {
    if (bytes <= 0) return 0;
    return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(static_cast<double>(bytes) / dram_bytes_per_cycle)));
  }
};

// Per unit: true runs its Verilated RTL (rtl/) inside the accelerator instead of its SystemC model.
struct RtlUnits {
  bool array = false;       // rtl/qtsim_mac_array.sv: GEMMs
  bool ppu = false;         // rtl/qtsim_requant.sv: requant and residual add_requant ops
  bool shiftmax = false;    // rtl/qtsim_shiftmax.sv
  bool shiftgelu = false;
  bool ilayernorm = false;
  bool dma = false;         // rtl/qtsim_dma.sv with its DRAM channel
  bool operator==(const RtlUnits& o) const {
    return array == o.array && ppu == o.ppu && shiftmax == o.shiftmax && shiftgelu == o.shiftgelu && ilayernorm == o.ilayernorm &&
           dma == o.dma;
  }
};

struct HwConfig {
  ArrayConfig array;
  MemoryConfig memory;
  int64_t ppu_lanes = 16;        // post-processing unit: elements per cycle
  int64_t nonlinear_lanes = 16;  // Shiftmax, ShiftGELU, I-LayerNorm: elements per cycle per pass
  RtlUnits rtl;                  // units run as Verilated RTL instead of SystemC
  double clock_mhz = 1000;
  // The SRAM word in bytes: memory.word_bytes, or by default one drained row of the array's int32
  // accumulators (4 x columns), at least 64.
  int64_t sram_word_bytes() const { return memory.word_bytes > 0 ? memory.word_bytes : std::max<int64_t>(64, 4 * array.cols); }
  void check() const;            // models/units/accelerator.cpp: it knows which RTL parameter sets exist
};

}  // namespace qtsim::model
