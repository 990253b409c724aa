// safetensors files (an 8-byte header length, a JSON header, the data) as the ViT loader reads its weights.
#include <stdexcept>

#include "golden/safetensors.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qtsim;
  const std::string path = fuzz::input_file("w.safetensors", data, size);
  try {
    for (const auto& [name, a] : golden::read_safetensors(path))
      if (golden::dtype_is_float(a.dtype)) golden::npy_to_float(a, name);
      else golden::npy_to_int(a, name);
  } catch (const std::runtime_error&) {
  }
  return 0;
}
