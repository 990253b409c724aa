// IDX files (the MNIST and Fashion-MNIST format), plain or gzip-compressed: big-endian magic 0x00000803
// (uint8 images [count, rows, cols]) or 0x00000801 (uint8 labels [count]).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace qtsim::golden {

struct IdxImages {
  int64_t count = 0, rows = 0, cols = 0;
  std::vector<uint8_t> pixels;  // count * rows * cols, row-major
  const uint8_t* image(int64_t i) const { return pixels.data() + i * rows * cols; }
};

// Throw std::runtime_error naming the file and what is wrong (unreadable, not gzip or IDX, wrong magic,
// truncated, trailing bytes).
IdxImages read_idx_images(const std::string& path);
std::vector<uint8_t> read_idx_labels(const std::string& path);

}  // namespace qtsim::golden
