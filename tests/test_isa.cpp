// The instruction set's binary and text forms: every opcode with every field at its extremes survives
// encode/decode and disassemble/assemble; a hand-packed word decodes to the fields docs/isa.md places in it;
// malformed words and lines are errors naming the instruction (or line) and the field.
#include <catch2/catch.hpp>

#include <random>

#include "models/isa/isa.hpp"

using namespace qtsim::isa;

namespace {
// Every field set by `pick(spec)`, header included; a queue's own bit is never in its masks.
template <class Pick>
Instr make(Opcode op, Pick pick) {
  Instr in;
  in.op = op;
  const int own = static_cast<int>(queue_of(op));
  const int all = ((1 << kQueues) - 1) & ~(1 << own);
  in[F::wait] = pick(FieldSpec{F::wait, "wait", 8, Kind::mask}) & all;
  in[F::signal] = pick(FieldSpec{F::signal, "signal", 8, Kind::mask}) & all;
  for (const FieldSpec& s : layout(op)) in[s.field] = pick(s);
  return in;
}
int64_t lo(const FieldSpec& s) { return s.kind == Kind::sint ? -(int64_t{1} << (s.bits - 1)) : 0; }
int64_t hi(const FieldSpec& s) {
  switch (s.kind) {
    case Kind::sint: return (int64_t{1} << (s.bits - 1)) - 1;
    case Kind::dtype: return kDtypes - 1;
    case Kind::space: return kSpaces - 1;
    case Kind::mask: return (1 << kQueues) - 1;
    default: return (int64_t{1} << s.bits) - 1;
  }
}
void round_trip(const Instr& in) {
  INFO(disassemble(in));
  const Word w = encode(in);
  CHECK(decode(w, 0) == in);
  Instr back;
  REQUIRE(assemble_line(disassemble(in), "t:1", back));
  CHECK(back == in);
}
}  // namespace

TEST_CASE("every instruction round-trips at its field extremes and at random values", "[isa]") {
  std::mt19937_64 rng(7);
  for (int o = 1; o <= kOpcodes; ++o) {
    const Opcode op = static_cast<Opcode>(o);
    round_trip(make(op, [](const FieldSpec& s) { return lo(s); }));
    round_trip(make(op, [](const FieldSpec& s) { return hi(s); }));
    for (int r = 0; r < 50; ++r)
      round_trip(make(op, [&](const FieldSpec& s) { return lo(s) + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi(s) - lo(s) + 1)); }));
  }
  // and as a binary program
  std::vector<Instr> code;
  for (int o = 1; o <= kOpcodes; ++o) code.push_back(make(static_cast<Opcode>(o), [](const FieldSpec& s) { return hi(s); }));
  CHECK(from_binary(to_binary(code)) == code);
  CHECK(assemble([&] {
          std::string t = "# a comment line\n\n";
          for (const Instr& in : code) t += disassemble(in) + "   # trailing comment\n";
          return t;
        }(), "p.qasm") == code);
}

TEST_CASE("a hand-packed load word decodes to the fields at the documented bit positions", "[isa]") {
  // docs/isa.md: opcode bits 0-7, wait 8-15, signal 16-23, then load's fields from bit 24:
  // dtype 4, rows 16, cols 16, dram 40, dram_stride 40, dram_estride 24, sp 2, addr 24, stride 24.
  Word w{};
  auto put = [&](int pos, int bits, uint64_t v) {
    for (int i = 0; i < bits; ++i)
      if ((v >> i) & 1) w[static_cast<size_t>((pos + i) / 64)] |= uint64_t{1} << ((pos + i) % 64);
  };
  put(0, 8, 1);            // load
  put(8, 8, 0b100);        // waits for the array
  put(16, 8, 0b1000);      // signals the post-processing unit
  put(24, 4, 2);           // i8
  put(28, 16, 197);        // rows
  put(44, 16, 192);        // cols
  put(60, 40, 0x12345678ab);
  put(100, 40, 192);
  put(140, 24, 0);
  put(164, 2, 1);          // wt
  put(166, 24, 0x8000);
  put(190, 24, 192);
  const Instr in = decode(w, 0);
  CHECK(in.op == Opcode::load);
  CHECK(in[F::wait] == 4);
  CHECK(in[F::signal] == 8);
  CHECK(in.dtype(F::dtype) == Dtype::i8);
  CHECK(in[F::rows] == 197);
  CHECK(in[F::cols] == 192);
  CHECK(in[F::dram] == 0x12345678ab);
  CHECK(in[F::dram_stride] == 192);
  CHECK(in.space(F::sp) == Space::wt);
  CHECK(in[F::addr] == 0x8000);
  CHECK(in[F::stride] == 192);
  CHECK(disassemble(in) ==
        "load wait=ar signal=pp dtype=i8 rows=197 cols=192 dram=0x12345678ab dram_stride=192 dram_estride=0 sp=wt addr=0x8000 stride=192");
  CHECK(encode(in) == w);
}

TEST_CASE("malformed words name the instruction's index and the field", "[isa]") {
  Instr ok;
  ok.op = Opcode::gemm;
  ok[F::m] = 3;
  const Word good = encode(ok);
  auto msg = [](const Word& w) {
    try {
      decode(w, 42);
    } catch (const IsaError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  Word w = good;
  w[0] = (w[0] & ~uint64_t{0xFF}) | 0;  // opcode 0
  CHECK_THAT(msg(w), Catch::Contains("instruction 42") && Catch::Contains("field opcode"));
  w[0] = (good[0] & ~uint64_t{0xFF}) | 200;
  CHECK_THAT(msg(w), Catch::Contains("instruction 42") && Catch::Contains("field opcode"));
  w = good;
  w[0] |= uint64_t{1} << (8 + static_cast<int>(Queue::array));  // gemm waiting for its own queue
  CHECK_THAT(msg(w), Catch::Contains("instruction 42") && Catch::Contains("field wait"));
  w = good;
  w[0] |= uint64_t{0xF} << (24 + 2 + 24);  // a_type = 15: no such element type
  CHECK_THAT(msg(w), Catch::Contains("field a_type") && Catch::Contains("element type code 15"));
  w = good;
  w[3] |= uint64_t{1} << 63;  // past gemm's last field
  CHECK_THAT(msg(w), Catch::Contains("instruction 42") && Catch::Contains("reserved bit 255"));
  CHECK_THROWS_WITH(from_binary(std::vector<uint8_t>(33)), Catch::Contains("32-byte"));
}

TEST_CASE("values that do not fit, and malformed assembly, are errors naming the field or line", "[isa]") {
  Instr in;
  in.op = Opcode::load;
  in[F::rows] = 1 << 16;
  CHECK_THROWS_WITH(encode(in), Catch::Contains("field rows") && Catch::Contains("16 bits"));
  in[F::rows] = 1;
  in[F::m] = 5;  // not a field of load
  CHECK_THROWS_WITH(encode(in), Catch::Contains("field m is not a field"));
  in = Instr{};
  in.op = Opcode::shiftmax;
  in[F::imm] = int64_t{1} << 31;
  CHECK_THROWS_WITH(encode(in), Catch::Contains("field imm") && Catch::Contains("signed 32-bit"));
  Instr out;
  CHECK_FALSE(assemble_line("   # only a comment", "f:1", out));
  CHECK_THROWS_WITH(assemble_line("jump x=1", "f:3", out), Catch::Contains("f:3") && Catch::Contains("unknown instruction 'jump'"));
  CHECK_THROWS_WITH(assemble_line("load rowz=1", "f:4", out), Catch::Contains("f:4") && Catch::Contains("unknown field 'rowz'"));
  CHECK_THROWS_WITH(assemble_line("load rows=1 rows=2", "f:5", out), Catch::Contains("given twice"));
  CHECK_THROWS_WITH(assemble_line("load rows=abc", "f:6", out), Catch::Contains("field rows") && Catch::Contains("not an integer"));
  CHECK_THROWS_WITH(assemble_line("load rows=70000", "f:7", out), Catch::Contains("f:7") && Catch::Contains("field rows"));
  CHECK_THROWS_WITH(assemble_line("load dtype=i9", "f:8", out), Catch::Contains("unknown element type 'i9'"));
  CHECK_THROWS_WITH(assemble_line("load wait=ld", "f:9", out), Catch::Contains("does not wait for or signal itself"));
  CHECK_THROWS_WITH(assemble_line("gemm wait=xx", "f:10", out), Catch::Contains("unknown queue 'xx'"));
  CHECK_THROWS_WITH(assemble_line("load rows", "f:11", out), Catch::Contains("not key=value"));
}
