// safetensors files (weights exported from PyTorch): an 8-byte little-endian header length, a JSON header
// mapping names to dtype, shape and data offsets, then the raw little-endian data.
#pragma once
#include <map>
#include <string>

#include "golden/npy.hpp"

namespace qtsim::golden {

// Every tensor of the file. F16 and BF16 are widened to float32; F32, F64, I8..I64, U8 keep their type.
// Malformed files (truncated, a header that lies about sizes or offsets, bad JSON, unknown dtypes) throw
// std::runtime_error naming the file, the tensor and the reason; nothing is read past the file's end.
std::map<std::string, NpyArray> read_safetensors(const std::string& path);

// The file's bytes: for tests and for exporting the golden's own tensors.
std::string encode_safetensors(const std::map<std::string, NpyArray>& tensors);

}  // namespace qtsim::golden
