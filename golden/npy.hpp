// NumPy .npy files (format 1.0-3.0 read, 1.0 written), C order, little-endian.
// Integer dtypes: int8/16/32/64, uint8/16/32; floats: float32/64.
#pragma once
#include <string>

#include "golden/tensor.hpp"

namespace qtsim::golden {

enum class DType { i8, i16, i32, i64, u8, u16, u32, f32, f64 };

const char* dtype_name(DType d);
bool dtype_is_float(DType d);

struct NpyArray {
  DType dtype = DType::i64;
  Shape shape;
  std::vector<unsigned char> bytes;  // little-endian, C order
};

// Errors (missing file, bad magic, unsupported dtype, Fortran order, truncated data) throw
// std::runtime_error with the path and the reason.
NpyArray read_npy(const std::string& path);

// Integer array as int64 (floats rejected) and float array as float32 (integers rejected).
ITensor npy_to_int(const NpyArray& a, const std::string& what);
FTensor npy_to_float(const NpyArray& a, const std::string& what);

ITensor load_npy_int(const std::string& path);
FTensor load_npy_float(const std::string& path);

// The bytes of a .npy file (format 1.0).
std::string encode_npy(const ITensor& t, DType dtype = DType::i64);
std::string encode_npy(const FTensor& t, DType dtype = DType::f32);  // f32 or f64

// Writes through a temporary file renamed into place, so a failed write leaves nothing behind.
void save_npy(const std::string& path, const ITensor& t, DType dtype = DType::i64);
void save_npy(const std::string& path, const FTensor& t, DType dtype = DType::f32);

// Shared by every writer of the project: write `data` to path.tmp, then rename.
void write_file_atomic(const std::string& path, const std::string& data);

}  // namespace qtsim::golden
