#include "golden/npy.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace qtsim::golden {
namespace {

struct DTypeInfo {
  DType d;
  const char* descr;
  const char* name;
  int size;
  bool is_float;
};

constexpr DTypeInfo kTypes[] = {
    {DType::i8, "|i1", "int8", 1, false},     {DType::i16, "<i2", "int16", 2, false},
    {DType::i32, "<i4", "int32", 4, false},   {DType::i64, "<i8", "int64", 8, false},
    {DType::u8, "|u1", "uint8", 1, false},    {DType::u16, "<u2", "uint16", 2, false},
    {DType::u32, "<u4", "uint32", 4, false},  {DType::f32, "<f4", "float32", 4, true},
    {DType::f64, "<f8", "float64", 8, true},
};

const DTypeInfo& info(DType d) {
  for (const auto& t : kTypes)
    if (t.d == d) return t;
  throw std::logic_error("unknown dtype");
}

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw std::runtime_error(path + ": " + why);
}

// Value of `key` in the header dict, as the raw text up to the next top-level comma.
std::string header_field(const std::string& h, const std::string& key, const std::string& path) {
  const std::string k = "'" + key + "'";
  const auto p = h.find(k);
  if (p == std::string::npos) fail(path, "npy header has no " + k);
  auto c = h.find(':', p + k.size());
  if (c == std::string::npos) fail(path, "npy header malformed at " + k);
  ++c;
  while (c < h.size() && h[c] == ' ') ++c;
  if (h[c] == '(') {
    const auto e = h.find(')', c);
    if (e == std::string::npos) fail(path, "npy header malformed at " + k);
    return h.substr(c, e - c + 1);
  }
  auto e = h.find_first_of(",}", c);
  return h.substr(c, e - c);
}

// The shape tuple "(d0, d1, ...)" (a trailing comma allowed, "()" for 0-d): each dimension a non-negative
// integer that fits int64, anything else an error.
Shape parse_shape(const std::string& t, const std::string& path) {
  if (t.size() < 2 || t.front() != '(' || t.back() != ')') fail(path, "npy header shape is not a tuple: " + t);
  Shape shape;
  std::stringstream in(t.substr(1, t.size() - 2));
  std::string tok;
  std::vector<std::string> toks;
  while (std::getline(in, tok, ',')) toks.push_back(tok);
  for (size_t i = 0; i < toks.size(); ++i) {
    const auto b = toks[i].find_first_not_of(' '), e = toks[i].find_last_not_of(' ');
    const std::string d = b == std::string::npos ? "" : toks[i].substr(b, e - b + 1);
    if (d.empty() && i + 1 == toks.size() && i > 0) break;  // "(4,)"
    if (d.empty() || d.find_first_not_of("0123456789") != std::string::npos || d.size() > 18)
      fail(path, "npy header shape " + t + ": dimension '" + d + "' is not a non-negative integer below 10^18");
    shape.push_back(std::stoll(d));
  }
  return shape;
}

}  // namespace

const char* dtype_name(DType d) { return info(d).name; }
bool dtype_is_float(DType d) { return info(d).is_float; }

NpyArray read_npy(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail(path, "cannot open");
  std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (all.size() < 10 || std::memcmp(all.data(), "\x93NUMPY", 6) != 0) fail(path, "not a .npy file (bad magic)");
  const int major = static_cast<unsigned char>(all[6]);
  size_t hlen = 0, hstart = 0;
  if (major == 1) {
    hlen = static_cast<unsigned char>(all[8]) | (static_cast<size_t>(static_cast<unsigned char>(all[9])) << 8);
    hstart = 10;
  } else if (major == 2 || major == 3) {
    if (all.size() < 12) fail(path, "truncated npy header");
    for (int i = 0; i < 4; ++i) hlen |= static_cast<size_t>(static_cast<unsigned char>(all[8 + i])) << (8 * i);
    hstart = 12;
  } else {
    fail(path, "unsupported npy version " + std::to_string(major));
  }
  if (all.size() < hstart + hlen) fail(path, "truncated npy header");
  const std::string h = all.substr(hstart, hlen);

  std::string descr = header_field(h, "descr", path);
  if (descr.size() < 2) fail(path, "bad descr");
  descr = descr.substr(1, descr.size() - 2);  // strip quotes
  if (descr == "<i1" || descr == "i1") descr = "|i1";
  if (descr == "<u1" || descr == "u1") descr = "|u1";
  NpyArray a;
  bool found = false;
  for (const auto& t : kTypes)
    if (descr == t.descr) a.dtype = t.d, found = true;
  if (!found) fail(path, "unsupported dtype '" + descr + "' (need int8/16/32/64, uint8/16/32, float32/64, little-endian)");
  if (header_field(h, "fortran_order", path).find("False") == std::string::npos)
    fail(path, "Fortran-order arrays are not supported; save with C order");

  a.shape = parse_shape(header_field(h, "shape", path), path);
  // numel * element size, refused before it can wrap: the data must be in the file anyway.
  const size_t data_at = hstart + hlen;
  constexpr uint64_t kWraps = std::numeric_limits<uint64_t>::max();
  uint64_t need = static_cast<uint64_t>(info(a.dtype).size);
  for (int64_t d : a.shape)
    if (need != kWraps && __builtin_mul_overflow(need, static_cast<uint64_t>(d), &need)) need = kWraps;
  if (std::find(a.shape.begin(), a.shape.end(), 0) != a.shape.end()) need = 0;
  if (all.size() - data_at < need)
    fail(path, "truncated data: shape " + shape_str(a.shape) + " needs " +
                   (need == kWraps ? std::string("more than 2^64") : std::to_string(need)) + " bytes, file has " +
                   std::to_string(all.size() - data_at));
  // an empty array still has its other dimensions multiplied in numel() and strides
  if (!dims_fit(a.shape)) fail(path, "shape " + shape_str(a.shape) + ": its dimensions other than zeros multiply past 2^63");
  a.bytes.assign(all.begin() + static_cast<std::ptrdiff_t>(data_at),
                 all.begin() + static_cast<std::ptrdiff_t>(data_at + need));
  return a;
}

namespace {
template <class T>
T load_le(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);  // x86-64 and aarch64 are little-endian
  return v;
}
}  // namespace

ITensor npy_to_int(const NpyArray& a, const std::string& what) {
  if (dtype_is_float(a.dtype))
    throw std::runtime_error(what + ": expected an integer array, got " + dtype_name(a.dtype));
  ITensor t(a.shape);
  const unsigned char* p = a.bytes.data();
  for (int64_t i = 0; i < t.size(); ++i) {
    switch (a.dtype) {
      case DType::i8: t[i] = load_le<int8_t>(p + i); break;
      case DType::i16: t[i] = load_le<int16_t>(p + 2 * i); break;
      case DType::i32: t[i] = load_le<int32_t>(p + 4 * i); break;
      case DType::i64: t[i] = load_le<int64_t>(p + 8 * i); break;
      case DType::u8: t[i] = load_le<uint8_t>(p + i); break;
      case DType::u16: t[i] = load_le<uint16_t>(p + 2 * i); break;
      case DType::u32: t[i] = load_le<uint32_t>(p + 4 * i); break;
      default: break;
    }
  }
  return t;
}

FTensor npy_to_float(const NpyArray& a, const std::string& what) {
  if (a.dtype != DType::f32 && a.dtype != DType::f64)
    throw std::runtime_error(what + ": expected a float array, got " + dtype_name(a.dtype));
  FTensor t(a.shape);
  for (int64_t i = 0; i < t.size(); ++i)
    t[i] = a.dtype == DType::f32 ? load_le<float>(a.bytes.data() + 4 * i)
                                 : static_cast<float>(load_le<double>(a.bytes.data() + 8 * i));
  return t;
}

ITensor load_npy_int(const std::string& path) { return npy_to_int(read_npy(path), path); }
FTensor load_npy_float(const std::string& path) { return npy_to_float(read_npy(path), path); }

namespace {
std::string npy_header(DType d, const Shape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? "," : "");
  s += ")";
  std::string dict = std::string("{'descr': '") + info(d).descr + "', 'fortran_order': False, 'shape': " + s + ", }";
  const size_t total = 10 + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(1);
  out += static_cast<char>(0);
  out += static_cast<char>(dict.size() & 0xff);
  out += static_cast<char>((dict.size() >> 8) & 0xff);
  return out + dict;
}

template <class T>
void append_le(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof v);
  out.append(b, sizeof b);
}
}  // namespace

void write_file_atomic(const std::string& path, const std::string& data) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw std::runtime_error(path + ": cannot open for writing");
    f.write(data.data(), static_cast<std::streamsize>(data.size()));
    f.close();
    if (!f) {
      std::remove(tmp.c_str());
      throw std::runtime_error(path + ": write failed");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw std::runtime_error(path + ": rename failed");
  }
}

std::string encode_npy(const ITensor& t, DType dtype) {
  if (dtype_is_float(dtype)) throw std::invalid_argument("encode_npy: integer tensor with a float dtype");
  std::string out = npy_header(dtype, t.shape);
  for (int64_t v : t.data) {
    auto check = [&](int64_t lo, int64_t hi) {
      if (v < lo || v > hi)
        throw std::runtime_error("value " + std::to_string(v) + " does not fit " + dtype_name(dtype));
    };
    switch (dtype) {
      case DType::i8: check(INT8_MIN, INT8_MAX); append_le<int8_t>(out, static_cast<int8_t>(v)); break;
      case DType::i16: check(INT16_MIN, INT16_MAX); append_le<int16_t>(out, static_cast<int16_t>(v)); break;
      case DType::i32: check(INT32_MIN, INT32_MAX); append_le<int32_t>(out, static_cast<int32_t>(v)); break;
      case DType::u8: check(0, UINT8_MAX); append_le<uint8_t>(out, static_cast<uint8_t>(v)); break;
      case DType::u16: check(0, UINT16_MAX); append_le<uint16_t>(out, static_cast<uint16_t>(v)); break;
      case DType::u32: check(0, UINT32_MAX); append_le<uint32_t>(out, static_cast<uint32_t>(v)); break;
      default: append_le<int64_t>(out, v); break;
    }
  }
  return out;
}

std::string encode_npy(const FTensor& t, DType dtype) {
  if (dtype != DType::f32 && dtype != DType::f64) throw std::invalid_argument("encode_npy: float tensor needs float32 or float64");
  std::string out = npy_header(dtype, t.shape);
  for (float v : t.data) {
    if (dtype == DType::f32) append_le<float>(out, v);
    else append_le<double>(out, static_cast<double>(v));
  }
  return out;
}

void save_npy(const std::string& path, const ITensor& t, DType dtype) {
  std::string bytes;
  try {
    bytes = encode_npy(t, dtype);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  write_file_atomic(path, bytes);
}

void save_npy(const std::string& path, const FTensor& t, DType dtype) { write_file_atomic(path, encode_npy(t, dtype)); }

}  // namespace qtsim::golden
