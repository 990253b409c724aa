// Verilator hands packed-array ports over as 32-bit words and treats every port as unsigned: these write and
// read one field of such a port, signed values travelling as two's-complement bit patterns.
#pragma once
#include <cstdint>

namespace qtsim::model {

template <class Words>
void put_field(Words& w, int offset, int width, uint64_t v) {
  for (int b = 0; b < width; ++b) {
    const int bit = offset + b;
    const uint32_t mask = 1u << (bit % 32);
    if ((v >> b) & 1) w[bit / 32] |= mask;
    else w[bit / 32] &= ~mask;
  }
}

template <class Words>
uint64_t get_field(const Words& w, int offset, int width) {
  uint64_t v = 0;
  for (int b = 0; b < width; ++b) v |= static_cast<uint64_t>((w[(offset + b) / 32] >> ((offset + b) % 32)) & 1) << b;
  return v;
}

// Sign-extends the low `width` bits of v.
inline int64_t sign_extend(uint64_t v, int width) {
  if (width >= 64) return static_cast<int64_t>(v);
  const uint64_t m = uint64_t{1} << (width - 1);
  v &= (uint64_t{1} << width) - 1;
  return static_cast<int64_t>((v ^ m) - m);
}

}  // namespace qtsim::model
