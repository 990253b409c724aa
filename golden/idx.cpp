#include "golden/idx.hpp"

#include <zlib.h>

#include <cstdio>
#include <stdexcept>

namespace qtsim::golden {

namespace {

// The whole file, decompressed when it is gzip (zlib reads plain files through the same calls).
std::string read_all(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error(path + ": cannot open");
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const int n = gzread(f, buf, sizeof buf);
    if (n < 0) {
      int err = 0;
      const std::string msg = gzerror(f, &err);
      gzclose(f);
      throw std::runtime_error(path + ": corrupt gzip data (" + msg + ")");
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  gzclose(f);
  return out;
}

uint32_t be32(const std::string& d, size_t at) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(d[at])) << 24) | (static_cast<uint32_t>(static_cast<uint8_t>(d[at + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(d[at + 2])) << 8) | static_cast<uint32_t>(static_cast<uint8_t>(d[at + 3]));
}

void check_size(const std::string& path, const std::string& d, size_t header, uint64_t payload) {
  if (d.size() < header + payload)
    throw std::runtime_error(path + ": truncated: header promises " + std::to_string(payload) + " bytes of data, file has " +
                             std::to_string(d.size() - header));
  if (d.size() > header + payload)
    throw std::runtime_error(path + ": " + std::to_string(d.size() - header - payload) + " bytes after the data the header promises");
}

std::string magic_error(const std::string& path, uint32_t magic, uint32_t want) {
  char b[96];
  std::snprintf(b, sizeof b, ": magic 0x%08x, expected 0x%08x (%s)", magic, want, want == 0x803 ? "uint8 images" : "uint8 labels");
  return path + b;
}

}  // namespace

IdxImages read_idx_images(const std::string& path) {
  const std::string d = read_all(path);
  if (d.size() < 16) throw std::runtime_error(path + ": too short for an IDX image header (" + std::to_string(d.size()) + " bytes)");
  const uint32_t magic = be32(d, 0);
  if (magic != 0x803) throw std::runtime_error(magic_error(path, magic, 0x803));
  IdxImages im;
  im.count = be32(d, 4), im.rows = be32(d, 8), im.cols = be32(d, 12);
  if (im.rows == 0 || im.cols == 0) throw std::runtime_error(path + ": zero image size");
  // rows x cols fits 64 bits (two 32-bit factors); count x that may not, and a wrapped product would match a short file
  uint64_t pixels = 0;
  if (__builtin_mul_overflow(static_cast<uint64_t>(im.count), static_cast<uint64_t>(im.rows) * static_cast<uint64_t>(im.cols), &pixels))
    throw std::runtime_error(path + ": header promises " + std::to_string(im.count) + " images of " + std::to_string(im.rows) + "x" +
                             std::to_string(im.cols) + ", more than 2^64 bytes");
  check_size(path, d, 16, pixels);
  im.pixels.assign(d.begin() + 16, d.end());
  return im;
}

std::vector<uint8_t> read_idx_labels(const std::string& path) {
  const std::string d = read_all(path);
  if (d.size() < 8) throw std::runtime_error(path + ": too short for an IDX label header (" + std::to_string(d.size()) + " bytes)");
  const uint32_t magic = be32(d, 0);
  if (magic != 0x801) throw std::runtime_error(magic_error(path, magic, 0x801));
  check_size(path, d, 8, be32(d, 4));
  return std::vector<uint8_t>(d.begin() + 8, d.end());
}

}  // namespace qtsim::golden
