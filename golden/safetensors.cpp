#include "golden/safetensors.hpp"

#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace qtsim::golden {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& why) { throw std::runtime_error(path + ": " + why); }

float half_to_float(uint16_t h) {
  const int sign = h >> 15, exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
  float v;
  if (exp == 0) v = std::ldexp(static_cast<float>(mant), -24);
  else if (exp == 31) v = mant ? NAN : INFINITY;
  else v = std::ldexp(static_cast<float>(mant | 0x400), exp - 25);
  return sign ? -v : v;
}

float bf16_to_float(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float v;
  std::memcpy(&v, &bits, 4);
  return v;
}

struct Kind {
  const char* name;
  int size;
  DType dtype;  // what the tensor is returned as
};
constexpr Kind kKinds[] = {{"F32", 4, DType::f32}, {"F64", 8, DType::f64}, {"F16", 2, DType::f32}, {"BF16", 2, DType::f32},
                           {"I8", 1, DType::i8},   {"I16", 2, DType::i16}, {"I32", 4, DType::i32}, {"I64", 8, DType::i64},
                           {"U8", 1, DType::u8}};

}  // namespace

std::map<std::string, NpyArray> read_safetensors(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail(path, "cannot open");
  const std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (all.size() < 8) fail(path, "truncated: no header length");
  uint64_t hlen = 0;
  for (int i = 0; i < 8; ++i) hlen |= static_cast<uint64_t>(static_cast<unsigned char>(all[static_cast<size_t>(i)])) << (8 * i);
  if (hlen > all.size() - 8) fail(path, "header length " + std::to_string(hlen) + " exceeds the file");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(all.substr(8, hlen));
  } catch (const nlohmann::json::exception& e) {
    fail(path, std::string("bad JSON header: ") + e.what());
  }
  if (!header.is_object()) fail(path, "header is not a JSON object");
  const size_t data_at = 8 + hlen, data_size = all.size() - data_at;
  std::map<std::string, NpyArray> out;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    const std::string who = "tensor '" + name + "'";
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") || !entry.contains("data_offsets"))
      fail(path, who + ": needs dtype, shape and data_offsets");
    const auto& dt = entry["dtype"];
    const auto& sh = entry["shape"];
    const auto& off = entry["data_offsets"];
    if (!dt.is_string()) fail(path, who + ": dtype must be a string");
    const Kind* kind = nullptr;
    for (const auto& k : kKinds)
      if (dt.get<std::string>() == k.name) kind = &k;
    if (!kind) fail(path, who + ": unsupported dtype " + dt.get<std::string>());
    NpyArray a;
    a.dtype = kind->dtype;
    if (!sh.is_array()) fail(path, who + ": shape must be a list");
    uint64_t count = 1, nonzero = 1;
    for (const auto& d : sh) {
      if (!d.is_number_unsigned()) fail(path, who + ": shape entries must be non-negative integers");
      const uint64_t v = d.get<uint64_t>();
      // zeros aside: a zero makes the tensor empty, but the other dimensions still multiply in strides
      if (v != 0 && nonzero > (uint64_t{1} << 40) / v) fail(path, who + ": shape too large (more than 2^40 elements, zeros aside)");
      if (v != 0) nonzero *= v;
      count *= v;
      a.shape.push_back(static_cast<int64_t>(v));
    }
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      fail(path, who + ": data_offsets must be [begin, end]");
    const uint64_t begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
    if (begin > end || end > data_size)
      fail(path, who + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + "] outside the " +
                     std::to_string(data_size) + " data bytes (truncated file?)");
    if (end - begin != count * static_cast<uint64_t>(kind->size))
      fail(path, who + ": shape " + shape_str(a.shape) + " of " + kind->name + " needs " +
                     std::to_string(count * static_cast<uint64_t>(kind->size)) + " bytes, offsets give " +
                     std::to_string(end - begin));
    const unsigned char* src = reinterpret_cast<const unsigned char*>(all.data()) + data_at + begin;
    if (kind->size == 2 && a.dtype == DType::f32) {  // F16 / BF16 widened
      a.bytes.resize(static_cast<size_t>(count) * 4);
      const bool bf = std::strcmp(kind->name, "BF16") == 0;
      for (uint64_t i = 0; i < count; ++i) {
        const uint16_t h = static_cast<uint16_t>(src[2 * i] | (src[2 * i + 1] << 8));
        const float v = bf ? bf16_to_float(h) : half_to_float(h);
        std::memcpy(&a.bytes[static_cast<size_t>(4 * i)], &v, 4);
      }
    } else {
      a.bytes.assign(src, src + (end - begin));
    }
    out.emplace(name, std::move(a));
  }
  return out;
}

std::string encode_safetensors(const std::map<std::string, NpyArray>& tensors) {
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const auto& [name, a] : tensors) {
    const char* kind = nullptr;
    for (const auto& k : kKinds)
      if (k.dtype == a.dtype && std::strcmp(k.name, "F16") != 0 && std::strcmp(k.name, "BF16") != 0) kind = k.name;
    if (!kind) throw std::invalid_argument("safetensors: dtype " + std::string(dtype_name(a.dtype)) + " not writable");
    header[name] = {{"dtype", kind}, {"shape", a.shape}, {"data_offsets", {data.size(), data.size() + a.bytes.size()}}};
    data.append(reinterpret_cast<const char*>(a.bytes.data()), a.bytes.size());
  }
  const std::string h = header.dump();
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>((h.size() >> (8 * i)) & 0xFF);
  return out + h + data;
}

}  // namespace qtsim::golden
