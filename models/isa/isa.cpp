#include "models/isa/isa.hpp"

#include <cerrno>
#include <cstdlib>
#include <sstream>

namespace qtsim::isa {

namespace {
constexpr const char* kQueueNames[kQueues] = {"ld", "st", "ar", "pp", "sm", "gl", "ln"};
constexpr const char* kOpNames[kOpcodes] = {"load",  "store", "gemm",     "requant",   "add_requant", "binarize",  "affine",
                                            "mask",  "codes", "fold",     "shift_add", "shiftmax",    "shiftgelu", "ilayernorm"};
constexpr const char* kDtypeNames[kDtypes] = {"i4", "u4", "i8", "u8", "i16", "u16", "i32", "i64", "i128", "bits"};
constexpr const char* kSpaceNames[kSpaces] = {"in", "wt", "acc"};
constexpr const char* kFieldNames[kFields] = {
    "wait", "signal", "dtype", "dram", "dram_stride", "dram_estride", "sp", "addr", "stride", "a_sp", "a", "a_type", "b_sp", "b",
    "b_type", "c", "m", "k", "n", "accumulate", "ones", "x_sp", "x", "x_type", "y_sp", "y", "y_type", "o_sp", "o", "o_type", "o2",
    "rows", "cols", "tab", "tab2", "tab3", "tab_stride", "ntab", "group", "bits", "round", "imm", "im", "ie", "num", "first", "last"};

constexpr int kAddr = 24;  // scratchpad byte addresses: 16 MiB
constexpr int kDim = 16;   // rows, columns, GEMM dimensions of one instruction

std::vector<FieldSpec> with(std::initializer_list<std::vector<FieldSpec>> parts) {
  std::vector<FieldSpec> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
const std::vector<FieldSpec> kX = {{F::x_sp, "x_sp", 2, Kind::space}, {F::x, "x", kAddr, Kind::addr}, {F::x_type, "x_type", 4, Kind::dtype}};
const std::vector<FieldSpec> kY = {{F::y_sp, "y_sp", 2, Kind::space}, {F::y, "y", kAddr, Kind::addr}, {F::y_type, "y_type", 4, Kind::dtype}};
const std::vector<FieldSpec> kO = {{F::o_sp, "o_sp", 2, Kind::space}, {F::o, "o", kAddr, Kind::addr}, {F::o_type, "o_type", 4, Kind::dtype}};
const std::vector<FieldSpec> kRows = {{F::rows, "rows", kDim, Kind::uint}, {F::cols, "cols", kDim, Kind::uint}};
const std::vector<FieldSpec> kTab = {{F::tab, "tab", kAddr, Kind::addr}};
const std::vector<FieldSpec> kDma = {{F::dtype, "dtype", 4, Kind::dtype},
                                     {F::rows, "rows", kDim, Kind::uint},
                                     {F::cols, "cols", kDim, Kind::uint},
                                     {F::dram, "dram", 40, Kind::addr},
                                     {F::dram_stride, "dram_stride", 40, Kind::uint},
                                     {F::dram_estride, "dram_estride", 24, Kind::uint},
                                     {F::sp, "sp", 2, Kind::space},
                                     {F::addr, "addr", kAddr, Kind::addr},
                                     {F::stride, "stride", kAddr, Kind::uint}};

std::vector<std::vector<FieldSpec>> build_layouts() {
  std::vector<std::vector<FieldSpec>> l(kOpcodes + 1);
  auto at = [&](Opcode o) -> std::vector<FieldSpec>& { return l[static_cast<size_t>(o)]; };
  at(Opcode::load) = kDma;
  at(Opcode::store) = kDma;
  at(Opcode::gemm) = {{F::a_sp, "a_sp", 2, Kind::space}, {F::a, "a", kAddr, Kind::addr},   {F::a_type, "a_type", 4, Kind::dtype},
                      {F::b_sp, "b_sp", 2, Kind::space}, {F::b, "b", kAddr, Kind::addr},   {F::b_type, "b_type", 4, Kind::dtype},
                      {F::c, "c", kAddr, Kind::addr},    {F::m, "m", kDim, Kind::uint},    {F::k, "k", kDim, Kind::uint},
                      {F::n, "n", kDim, Kind::uint},     {F::accumulate, "accumulate", 1, Kind::uint}, {F::ones, "ones", 1, Kind::uint},
                      {F::a_stride, "a_stride", kAddr, Kind::uint}, {F::b_stride, "b_stride", kAddr, Kind::uint}};
  const std::vector<FieldSpec> rq = {{F::ntab, "ntab", kDim, Kind::uint}, {F::group, "group", kDim, Kind::uint},
                                     {F::bits, "bits", 7, Kind::uint},    {F::round, "round", 1, Kind::uint}};
  at(Opcode::requant) = with({kX, kO, kRows, kTab, rq});
  at(Opcode::add_requant) = with({kX, kY, kO, kRows, kTab, rq, {{F::im, "im", 32, Kind::sint}, {F::ie, "ie", 7, Kind::uint}}});
  at(Opcode::binarize) = with({kX, kO, kRows, kTab});
  at(Opcode::affine) = with({kX, kO, kRows, kTab, {{F::tab2, "tab2", kAddr, Kind::addr}}});
  at(Opcode::mask) = with({kX, kO, kRows, {{F::imm, "imm", 32, Kind::sint}}});
  at(Opcode::codes) = with({kX, kO, kRows, kTab, {{F::ntab, "ntab", 7, Kind::uint}}});
  at(Opcode::fold) = with({kX, kY, kO, kRows, kTab,
                           {{F::tab2, "tab2", kAddr, Kind::addr}, {F::tab3, "tab3", kAddr, Kind::addr},
                            {F::tab_stride, "tab_stride", kDim, Kind::uint}, {F::first, "first", 1, Kind::uint},
                            {F::last, "last", 1, Kind::uint}}});
  at(Opcode::shift_add) = with({kX, kY, kO, {{F::o2, "o2", kAddr, Kind::addr}}, kRows, {{F::k, "k", kDim, Kind::uint}, {F::bits, "bits", 7, Kind::uint}}});
  at(Opcode::shiftmax) = with({kX, kO, kRows, {{F::imm, "imm", 32, Kind::sint}, {F::bits, "bits", 7, Kind::uint}, {F::num, "num", 1, Kind::uint}}});
  at(Opcode::shiftgelu) = with({kX, kO, kRows, {{F::imm, "imm", 32, Kind::sint}, {F::num, "num", 1, Kind::uint}}});
  at(Opcode::ilayernorm) = with({kX, kO, kRows, kTab, {{F::num, "num", 1, Kind::uint}}});
  return l;
}

const std::vector<std::vector<FieldSpec>>& layouts() {
  static const std::vector<std::vector<FieldSpec>> l = build_layouts();
  return l;
}

bool valid_opcode(int64_t o) { return o >= 1 && o <= kOpcodes; }

uint64_t get_bits(const Word& w, int pos, int bits) {
  uint64_t v = 0;
  for (int i = 0; i < bits; ++i) v |= ((w[static_cast<size_t>((pos + i) / 64)] >> ((pos + i) % 64)) & 1) << i;
  return v;
}
void put_bits(Word& w, int pos, int bits, uint64_t v) {
  for (int i = 0; i < bits; ++i)
    if ((v >> i) & 1) w[static_cast<size_t>((pos + i) / 64)] |= uint64_t{1} << ((pos + i) % 64);
}

// The domain of a field's value; empty when it is in it.
std::string out_of_domain(const FieldSpec& s, int64_t v, Queue own) {
  const int64_t umax = s.bits >= 63 ? INT64_MAX : (int64_t{1} << s.bits) - 1;
  switch (s.kind) {
    case Kind::sint: {
      const int64_t lo = -(int64_t{1} << (s.bits - 1)), hi = (int64_t{1} << (s.bits - 1)) - 1;
      if (v < lo || v > hi) return "value " + std::to_string(v) + " is outside the signed " + std::to_string(s.bits) + "-bit range";
      return "";
    }
    case Kind::dtype:
      if (v < 0 || v >= kDtypes) return "element type code " + std::to_string(v) + " is not one of the " + std::to_string(kDtypes);
      return "";
    case Kind::space:
      if (v < 0 || v >= kSpaces) return "scratchpad code " + std::to_string(v) + " is not in, wt or acc";
      return "";
    case Kind::mask:
      if (v < 0 || v >= (1 << kQueues)) return "queue mask " + std::to_string(v) + " names a queue beyond the " + std::to_string(kQueues);
      if ((v >> static_cast<int>(own)) & 1) return std::string("a queue does not wait for or signal itself (") + queue_name(own) + ")";
      return "";
    case Kind::uint:
    case Kind::addr:
      if (v < 0 || v > umax) return "value " + std::to_string(v) + " does not fit " + std::to_string(s.bits) + " bits";
      return "";
  }
  return "";
}

const std::vector<FieldSpec> kHeader = {{F::wait, "wait", 8, Kind::mask}, {F::signal, "signal", 8, Kind::mask}};

std::string mask_text(int64_t m) {
  std::string s;
  for (int q = 0; q < kQueues; ++q)
    if ((m >> q) & 1) s += (s.empty() ? "" : "|") + std::string(kQueueNames[q]);
  return s.empty() ? "-" : s;
}

template <size_t N>
int find_name(const char* const (&names)[N], const std::string& s) {
  for (size_t i = 0; i < N; ++i)
    if (s == names[i]) return static_cast<int>(i);
  return -1;
}

std::string value_text(const FieldSpec& s, int64_t v) {
  switch (s.kind) {
    case Kind::dtype: return v >= 0 && v < kDtypes ? kDtypeNames[v] : std::to_string(v);
    case Kind::space: return v >= 0 && v < kSpaces ? kSpaceNames[v] : std::to_string(v);
    case Kind::mask: return mask_text(v);
    case Kind::addr: {
      std::ostringstream o;
      o << "0x" << std::hex << v;
      return o.str();
    }
    default: return std::to_string(v);
  }
}

// Parses a value of field s; "" on success, else why not.
std::string parse_value(const FieldSpec& s, const std::string& text, int64_t& v) {
  switch (s.kind) {
    case Kind::dtype: v = find_name(kDtypeNames, text); return v < 0 ? "unknown element type '" + text + "'" : "";
    case Kind::space: v = find_name(kSpaceNames, text); return v < 0 ? "unknown scratchpad '" + text + "' (in, wt, acc)" : "";
    case Kind::mask: {
      v = 0;
      if (text == "-") return "";
      std::stringstream ss(text);
      std::string q;
      while (std::getline(ss, q, '|')) {
        const int i = find_name(kQueueNames, q);
        if (i < 0) return "unknown queue '" + q + "' (ld, st, ar, pp, sm, gl, ln, or - for none)";
        v |= int64_t{1} << i;
      }
      return "";
    }
    default: {
      if (text.empty()) return "empty value";
      char* end = nullptr;
      errno = 0;
      v = std::strtoll(text.c_str(), &end, 0);
      if (errno || *end) return "'" + text + "' is not an integer";
      return "";
    }
  }
}
}  // namespace

const char* queue_name(Queue q) { return kQueueNames[static_cast<int>(q)]; }
const char* opcode_name(Opcode o) { return valid_opcode(static_cast<int>(o)) ? kOpNames[static_cast<int>(o) - 1] : "?"; }
const char* dtype_name(Dtype d) { return kDtypeNames[static_cast<int>(d)]; }
int64_t pe_lanes(Dtype d) { return d == Dtype::i4 || d == Dtype::u4 ? 2 : d == Dtype::bits ? 64 : 1; }
const char* space_name(Space s) { return kSpaceNames[static_cast<int>(s)]; }
const char* field_name(F f) { return kFieldNames[static_cast<int>(f)]; }

Queue queue_of(Opcode o) {
  switch (o) {
    case Opcode::load: return Queue::load;
    case Opcode::store: return Queue::store;
    case Opcode::gemm: return Queue::array;
    case Opcode::shiftmax: return Queue::shiftmax;
    case Opcode::shiftgelu: return Queue::shiftgelu;
    case Opcode::ilayernorm: return Queue::ilayernorm;
    default: return Queue::ppu;
  }
}

int64_t row_bytes(Dtype d, int64_t cols) {
  switch (d) {
    case Dtype::i4:
    case Dtype::u4: return (cols + 1) / 2;
    case Dtype::i8:
    case Dtype::u8: return cols;
    case Dtype::i16:
    case Dtype::u16: return 2 * cols;
    case Dtype::i32: return 4 * cols;
    case Dtype::i64: return 8 * cols;
    case Dtype::i128: return 16 * cols;
    case Dtype::bits: return (cols + 63) / 64 * 8;
  }
  return 0;
}

int64_t operand_stride(const Instr& in, F stride, F type, int64_t cols) {
  return in[stride] ? in[stride] : row_bytes(in.dtype(type), cols);
}

const std::vector<FieldSpec>& layout(Opcode o) {
  if (!valid_opcode(static_cast<int>(o))) throw IsaError("opcode " + std::to_string(static_cast<int>(o)) + " is not an instruction");
  return layouts()[static_cast<size_t>(o)];
}

Word encode(const Instr& in) {
  Word w{};
  const Queue q = queue_of(in.op);
  put_bits(w, 0, 8, static_cast<uint64_t>(in.op));
  int pos = 8;
  auto put = [&](const FieldSpec& s) {
    const int64_t v = in[s.field];
    if (const std::string why = out_of_domain(s, v, q); !why.empty())
      throw IsaError(std::string(opcode_name(in.op)) + ": field " + s.name + ": " + why);
    put_bits(w, pos, s.bits, static_cast<uint64_t>(v) & (s.bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << s.bits) - 1));
    pos += s.bits;
  };
  std::array<bool, kFields> used{};
  for (const FieldSpec& s : kHeader) put(s), used[static_cast<size_t>(s.field)] = true;
  for (const FieldSpec& s : layout(in.op)) put(s), used[static_cast<size_t>(s.field)] = true;
  for (int f = 0; f < kFields; ++f)
    if (!used[static_cast<size_t>(f)] && in.f[static_cast<size_t>(f)] != 0)
      throw IsaError(std::string(opcode_name(in.op)) + ": field " + kFieldNames[f] + " is not a field of this instruction");
  return w;
}

Instr decode(const Word& w, size_t index) {
  const std::string where = "instruction " + std::to_string(index);
  const int64_t op = static_cast<int64_t>(get_bits(w, 0, 8));
  if (!valid_opcode(op)) throw IsaError(where + ": field opcode: " + std::to_string(op) + " is not an instruction");
  Instr in;
  in.op = static_cast<Opcode>(op);
  const Queue q = queue_of(in.op);
  int pos = 8;
  auto get = [&](const FieldSpec& s) {
    uint64_t raw = get_bits(w, pos, s.bits);
    pos += s.bits;
    int64_t v = static_cast<int64_t>(raw);
    if (s.kind == Kind::sint && ((raw >> (s.bits - 1)) & 1)) v -= int64_t{1} << s.bits;
    if (const std::string why = out_of_domain(s, v, q); !why.empty())
      throw IsaError(where + " (" + opcode_name(in.op) + "): field " + s.name + ": " + why);
    in[s.field] = v;
  };
  for (const FieldSpec& s : kHeader) get(s);
  for (const FieldSpec& s : layout(in.op)) get(s);
  for (int b = pos; b < kWordBits; ++b)
    if (get_bits(w, b, 1))
      throw IsaError(where + " (" + opcode_name(in.op) + "): reserved bit " + std::to_string(b) + " is set (fields end at bit " +
                     std::to_string(pos) + ")");
  return in;
}

std::string disassemble(const Instr& in) {
  std::string s = opcode_name(in.op);
  for (const FieldSpec& f : kHeader) s += " " + std::string(f.name) + "=" + value_text(f, in[f.field]);
  for (const FieldSpec& f : layout(in.op)) s += " " + std::string(f.name) + "=" + value_text(f, in[f.field]);
  return s;
}

bool assemble_line(const std::string& line, const std::string& where, Instr& out) {
  std::string text = line.substr(0, line.find('#'));
  std::istringstream ss(text);
  std::string word;
  if (!(ss >> word)) return false;
  const int op = find_name(kOpNames, word);
  if (op < 0) throw IsaError(where + ": unknown instruction '" + word + "'");
  out = Instr{};
  out.op = static_cast<Opcode>(op + 1);
  std::vector<FieldSpec> fields = kHeader;
  const std::vector<FieldSpec>& l = layout(out.op);
  fields.insert(fields.end(), l.begin(), l.end());
  std::vector<bool> seen(fields.size());
  while (ss >> word) {
    const size_t eq = word.find('=');
    if (eq == std::string::npos) throw IsaError(where + ": " + opcode_name(out.op) + ": '" + word + "' is not key=value");
    const std::string key = word.substr(0, eq);
    size_t i = 0;
    while (i < fields.size() && key != fields[i].name) ++i;
    if (i == fields.size()) throw IsaError(where + ": " + opcode_name(out.op) + ": unknown field '" + key + "'");
    if (seen[i]) throw IsaError(where + ": " + opcode_name(out.op) + ": field " + key + " given twice");
    seen[i] = true;
    int64_t v = 0;
    if (const std::string why = parse_value(fields[i], word.substr(eq + 1), v); !why.empty())
      throw IsaError(where + ": " + opcode_name(out.op) + ": field " + key + ": " + why);
    if (const std::string why = out_of_domain(fields[i], v, queue_of(out.op)); !why.empty())
      throw IsaError(where + ": " + opcode_name(out.op) + ": field " + key + ": " + why);
    out[fields[i].field] = v;
  }
  return true;
}

std::vector<Instr> assemble(const std::string& text, const std::string& file) {
  std::vector<Instr> code;
  std::istringstream ss(text);
  std::string line;
  for (int n = 1; std::getline(ss, line); ++n) {
    Instr in;
    if (assemble_line(line, file + ":" + std::to_string(n), in)) code.push_back(in);
  }
  return code;
}

std::vector<uint8_t> to_binary(const std::vector<Instr>& code) {
  std::vector<uint8_t> out;
  out.reserve(code.size() * 32);
  for (const Instr& in : code) {
    const Word w = encode(in);
    for (uint64_t x : w)
      for (int b = 0; b < 8; ++b) out.push_back(static_cast<uint8_t>(x >> (8 * b)));
  }
  return out;
}

std::vector<Instr> from_binary(const std::vector<uint8_t>& bytes) {
  if (bytes.size() % 32) throw IsaError("a program is a whole number of 32-byte instructions, not " + std::to_string(bytes.size()) + " bytes");
  std::vector<Instr> code;
  for (size_t i = 0; i < bytes.size() / 32; ++i) {
    Word w{};
    for (size_t j = 0; j < 32; ++j) w[j / 8] |= static_cast<uint64_t>(bytes[i * 32 + j]) << (8 * (j % 8));
    code.push_back(decode(w, i));
  }
  return code;
}

}  // namespace qtsim::isa
