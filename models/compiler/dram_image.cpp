// The compiled program's files and its DRAM image read back, with faults flipped into it.
#include <nlohmann/json.hpp>
#include <sstream>

#include "models/compiler/compile.hpp"
#include "models/isa/elements.hpp"

namespace qtsim::compiler {

using golden::ITensor;
using isa::Dtype;

ITensor read_tensor(const std::vector<uint8_t>& dram, const DramTensor& t) {
  ITensor out(t.shape);
  const int64_t cols = t.shape.empty() ? 1 : t.shape.back(), rb = isa::row_bytes(t.dtype, cols);
  if (t.addr + t.bytes > static_cast<int64_t>(dram.size())) throw std::invalid_argument("tensor " + t.name + " lies outside the DRAM image");
  for (int64_t i = 0; i < out.size(); ++i) out[i] = isa::get_element(&dram[static_cast<size_t>(t.addr + (i / cols) * rb)], t.dtype, i % cols);
  return out;
}

golden::Taps read_taps(const golden::Program& p, const Compiled& c, const std::vector<uint8_t>& dram, const std::vector<uint8_t>& probed) {
  golden::Taps taps;
  auto read = [&](const std::string& name) {
    const DramTensor& t = c.tensor(name);
    if (t.on_chip && probed.empty()) throw std::invalid_argument("tensor " + name + " stays on chip: read it from a run's probe image");
    taps.put(name, read_tensor(t.on_chip ? probed : dram, t));
  };
  for (const auto& name : p.inputs) read(name);
  for (const golden::Op& op : p.ops)
    for (const auto& o : op.out) read(o);
  return taps;
}

std::string program_text(const Compiled& c) {
  std::ostringstream o;
  o << "# qtsim program: " << c.code.size() << " instructions; scratchpads in " << c.sp_bytes[0] << " B, wt " << c.sp_bytes[1] << " B, acc "
    << c.sp_bytes[2] << " B\n";
  for (size_t i = 0; i < c.code.size(); ++i) {
    o << isa::disassemble(c.code[i]);
    if (c.op_index[i] >= 0) o << "  # " << c.op_names[static_cast<size_t>(c.op_index[i])];
    o << "\n";
  }
  return o.str();
}

std::string dram_map_json(const Compiled& c) {
  nlohmann::ordered_json j = nlohmann::ordered_json::array();
  for (const DramTensor& t : c.map)
    j.push_back({{"name", t.name}, {"address", t.addr}, {"bytes", t.bytes}, {"dtype", isa::dtype_name(t.dtype)}, {"shape", t.shape}, {"role", t.role}, {"on_chip", t.on_chip}});
  return j.dump(1) + "\n";
}

DramFault parse_fault(const std::string& spec) {
  const size_t a = spec.find(':'), c = spec.rfind(':');
  const size_t b = c == std::string::npos || c == 0 ? std::string::npos : spec.rfind(':', c - 1);
  if (spec.rfind("dram:", 0) != 0 || b == std::string::npos || b <= a)
    throw std::invalid_argument("fault '" + spec + "': expected dram:TENSOR:ELEMENT:BIT");
  DramFault f;
  f.tensor = spec.substr(a + 1, b - a - 1);
  const std::string e = spec.substr(b + 1, c - b - 1), bit = spec.substr(c + 1);
  char* end = nullptr;
  f.element = std::strtoll(e.c_str(), &end, 10);
  if (e.empty() || *end || f.element < 0) throw std::invalid_argument("fault '" + spec + "': element '" + e + "' is not an index");
  const long long bv = std::strtoll(bit.c_str(), &end, 10);
  if (bit.empty() || *end || bv < 0 || bv > 127) throw std::invalid_argument("fault '" + spec + "': bit '" + bit + "' is not a bit index");
  f.bit = static_cast<int>(bv);
  return f;
}

void apply_fault(const Compiled& c, std::vector<uint8_t>& dram, const DramFault& f) {
  const DramTensor* t = &c.tensor(f.tensor);
  if (t->on_chip) throw std::invalid_argument("fault: tensor " + f.tensor + " stays on chip: it has no bytes in DRAM to flip");
  const int64_t n = golden::numel(t->shape);
  if (f.element >= n) throw std::invalid_argument("fault: tensor " + f.tensor + " has " + std::to_string(n) + " elements, not " + std::to_string(f.element + 1));
  const int64_t cols = t->shape.back(), rb = isa::row_bytes(t->dtype, cols), r = f.element / cols, j = f.element % cols;
  int64_t bitpos = 0, width = 0;  // of the element, from the start of its row
  switch (t->dtype) {
    case Dtype::i4:
    case Dtype::u4: bitpos = 4 * j, width = 4; break;
    case Dtype::bits: bitpos = j, width = 1; break;
    default: width = 8 * isa::element_bytes(t->dtype), bitpos = j * width; break;
  }
  if (f.bit >= width) throw std::invalid_argument("fault: an element of " + f.tensor + " (" + isa::dtype_name(t->dtype) + ") has " + std::to_string(width) + " bits, not " + std::to_string(f.bit + 1));
  const int64_t at = bitpos + f.bit;
  dram[static_cast<size_t>(t->addr + r * rb + at / 8)] ^= static_cast<uint8_t>(1u << (at % 8));
}

}  // namespace qtsim::compiler
