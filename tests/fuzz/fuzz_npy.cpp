// .npy files as `qtsim op` and the taps read them: parse, then convert to the integer and float tensors.
#include <stdexcept>

#include "golden/npy.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qtsim;
  const std::string path = fuzz::input_file("x.npy", data, size);
  try {
    const golden::NpyArray a = golden::read_npy(path);
    if (golden::dtype_is_float(a.dtype)) golden::npy_to_float(a, "x");
    else golden::npy_to_int(a, "x");
  } catch (const std::runtime_error&) {
  }
  return 0;
}
