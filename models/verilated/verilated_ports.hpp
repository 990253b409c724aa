// Verilator hands packed-array ports over as 32-bit words and treats every port as unsigned: these write and
// read one field of such a port, signed values travelling as two's-complement bit patterns.
#pragma once
#include <algorithm>
#include <cstdint>

namespace qtsim::model {

// Fields of up to 64 bits, moved a 32-bit word piece at a time (at most three pieces).
template <class Words>
void put_field(Words& w, int offset, int width, uint64_t v) {
  for (int done = 0; done < width;) {
    const int bit = offset + done, shift = bit % 32, n = std::min(32 - shift, width - done);
    const uint32_t mask = (n == 32 ? ~0u : ((1u << n) - 1)) << shift;
    w[bit / 32] = (w[bit / 32] & ~mask) | ((static_cast<uint32_t>(v >> done) << shift) & mask);
    done += n;
  }
}

template <class Words>
uint64_t get_field(const Words& w, int offset, int width) {
  uint64_t v = 0;
  for (int done = 0; done < width;) {
    const int bit = offset + done, shift = bit % 32, n = std::min(32 - shift, width - done);
    const uint32_t mask = n == 32 ? ~0u : ((1u << n) - 1);
    v |= static_cast<uint64_t>((static_cast<uint32_t>(w[bit / 32]) >> shift) & mask) << done;
    done += n;
  }
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
