// IDX image and label files, plain or gzip, as the Fashion-MNIST workload reads them.
#include <stdexcept>

#include "golden/idx.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qtsim;
  const std::string path = fuzz::input_file("x.idx.gz", data, size);
  try {
    const golden::IdxImages im = golden::read_idx_images(path);
    if (im.count > 0) (void)im.image(im.count - 1)[im.rows * im.cols - 1];  // the last pixel is in the buffer
  } catch (const std::runtime_error&) {
  }
  try {
    golden::read_idx_labels(path);
  } catch (const std::runtime_error&) {
  }
  return 0;
}
