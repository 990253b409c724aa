// The accelerator's instruction set (docs/isa.md): what the controller fetches, decodes and issues to the
// units' queues. One instruction is a fixed 256-bit word; its text form is one line of assembly.
#pragma once
#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace qtsim::isa {

// In-order queues, one per unit (the DMA has two). An instruction waits for tokens from other queues and
// signals tokens to them when it retires (docs/isa.md "Dependencies").
enum class Queue : uint8_t { load, store, array, ppu, shiftmax, shiftgelu, ilayernorm };
constexpr int kQueues = 7;
const char* queue_name(Queue q);

enum class Opcode : uint8_t {
  load = 1,     // DRAM -> scratchpad
  store,        // scratchpad -> DRAM
  gemm,         // the MAC array: C (+)= A . B^T
  requant,      // post-processing lanes
  add_requant,
  binarize,
  affine,
  mask,
  codes,        // log-sqrt2 codes
  fold,         // group-wise INT4 fold into the wide accumulators
  shift_add,    // log-sqrt2 attn @ v
  shiftmax,
  shiftgelu,
  ilayernorm,
};
constexpr int kOpcodes = 14;
const char* opcode_name(Opcode o);
Queue queue_of(Opcode o);

// Element types as stored in DRAM and the scratchpads (little endian). i4/u4: two per byte, element 2i in
// the low nibble; bits: +-1 as one bit each (1 for +1), 64 to a word, element j at bit j % 64 of word j / 64.
enum class Dtype : uint8_t { i4, u4, i8, u8, i16, u16, i32, i64, i128, bits };
constexpr int kDtypes = 10;
const char* dtype_name(Dtype d);
// Bytes of a row of `cols` elements.
int64_t row_bytes(Dtype d, int64_t cols);
// Products one PE makes per cycle on operands of this type: two int4 (W4A8, W4A4), one 64-bit XNOR word of
// +-1 bits (binary), else one. A K tile of the array is rows * pe_lanes elements.
int64_t pe_lanes(Dtype d);

// The on-chip memories: activations, weights (and every operand the array holds stationary, and the
// parameter tables), accumulators.
enum class Space : uint8_t { in, wt, acc };
constexpr int kSpaces = 3;
const char* space_name(Space s);

// Every field any instruction has; docs/isa.md lists which opcode has which, and their widths.
enum class F : uint8_t {
  wait, signal,  // token masks over the queues
  // DMA
  dtype, dram, dram_stride, dram_estride, sp, addr, stride,
  // operands: array (a, b, c) and lanes (x, y, o, o2)
  a_sp, a, a_type, b_sp, b, b_type, c, m, k, n, accumulate, ones, a_stride, b_stride,
  x_sp, x, x_type, y_sp, y, y_type, o_sp, o, o_type, o2,
  rows, cols,
  // parameters
  tab, tab2, tab3, tab_stride, ntab, group, bits, round, imm, im, ie, num, first, last,
  count
};
constexpr int kFields = static_cast<int>(F::count);

enum class Kind : uint8_t { uint, sint, addr, dtype, space, mask };
struct FieldSpec {
  F field;
  const char* name;
  int bits;
  Kind kind;
};
const char* field_name(F f);

struct Instr {
  Opcode op = Opcode::load;
  std::array<int64_t, kFields> f{};
  int64_t& operator[](F x) { return f[static_cast<size_t>(x)]; }
  int64_t operator[](F x) const { return f[static_cast<size_t>(x)]; }
  Dtype dtype(F x) const { return static_cast<Dtype>(f[static_cast<size_t>(x)]); }
  Space space(F x) const { return static_cast<Space>(f[static_cast<size_t>(x)]); }
  bool operator==(const Instr& o) const { return op == o.op && f == o.f; }
};

// The on-chip distance between a GEMM operand's rows: its stride field, or (0) rows packed back to back.
int64_t operand_stride(const Instr& in, F stride, F type, int64_t cols);

// The fields of an opcode after the header, in encoding order (docs/isa.md).
const std::vector<FieldSpec>& layout(Opcode o);

constexpr int kWordBits = 256;
using Word = std::array<uint64_t, 4>;

// A word or a line that is not a valid instruction: names the instruction's index (or the line) and the field.
struct IsaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws IsaError naming the field whose value does not fit its width or domain.
Word encode(const Instr& in);
// Throws IsaError naming `index` and the field: unknown opcode, a value outside its domain, reserved bits set.
Instr decode(const Word& w, size_t index);

// One line of assembly: `opcode key=value ...` with every field of the opcode.
std::string disassemble(const Instr& in);
// Parses one line (a `#` comment and blank lines are not instructions: returns false). Omitted fields are 0.
// Throws IsaError naming `where` (file:line), the key and why.
bool assemble_line(const std::string& line, const std::string& where, Instr& out);
std::vector<Instr> assemble(const std::string& text, const std::string& file);
// The binary form: 32 bytes per instruction, words little endian.
std::vector<uint8_t> to_binary(const std::vector<Instr>& code);
std::vector<Instr> from_binary(const std::vector<uint8_t>& bytes);

}  // namespace qtsim::isa
