// Reading and writing elements of a stored type in a byte memory (DRAM image or scratchpad): the one place
// that knows the byte layout docs/isa.md gives for each element type.
#pragma once
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "models/isa/isa.hpp"

namespace qtsim::isa {

// Range of values a stored type holds (bits: -1 and +1 only).
inline bool dtype_holds(Dtype d, int64_t v) {
  switch (d) {
    case Dtype::i4: return v >= -8 && v <= 7;
    case Dtype::u4: return v >= 0 && v <= 15;
    case Dtype::i8: return v >= INT8_MIN && v <= INT8_MAX;
    case Dtype::u8: return v >= 0 && v <= UINT8_MAX;
    case Dtype::i16: return v >= INT16_MIN && v <= INT16_MAX;
    case Dtype::u16: return v >= 0 && v <= UINT16_MAX;
    case Dtype::i32: return v >= INT32_MIN && v <= INT32_MAX;
    case Dtype::i64:
    case Dtype::i128: return true;
    case Dtype::bits: return v == -1 || v == 1;
  }
  return false;
}

// Element j of the row starting at `row`.
inline int64_t get_element(const uint8_t* row, Dtype d, int64_t j) {
  switch (d) {
    case Dtype::i4:
    case Dtype::u4: {
      const unsigned nib = (row[j / 2] >> (4 * (j % 2))) & 0xF;
      return d == Dtype::i4 && nib >= 8 ? static_cast<int64_t>(nib) - 16 : nib;
    }
    case Dtype::i8: return static_cast<int8_t>(row[j]);
    case Dtype::u8: return row[j];
    case Dtype::i16: { int16_t v; std::memcpy(&v, row + 2 * j, 2); return v; }
    case Dtype::u16: { uint16_t v; std::memcpy(&v, row + 2 * j, 2); return v; }
    case Dtype::i32: { int32_t v; std::memcpy(&v, row + 4 * j, 4); return v; }
    case Dtype::i64: { int64_t v; std::memcpy(&v, row + 8 * j, 8); return v; }
    case Dtype::i128: { __int128 v; std::memcpy(&v, row + 16 * j, 16); return static_cast<int64_t>(v); }
    case Dtype::bits: return (row[j / 8] >> (j % 8)) & 1 ? 1 : -1;
  }
  return 0;
}

// Stores v, which must be in the type's range (the caller names the tensor or instruction on failure).
inline bool set_element(uint8_t* row, Dtype d, int64_t j, int64_t v) {
  if (!dtype_holds(d, v)) return false;
  switch (d) {
    case Dtype::i4:
    case Dtype::u4: {
      const int sh = 4 * static_cast<int>(j % 2);
      row[j / 2] = static_cast<uint8_t>((row[j / 2] & ~(0xF << sh)) | ((static_cast<unsigned>(v) & 0xF) << sh));
      return true;
    }
    case Dtype::i8:
    case Dtype::u8: row[j] = static_cast<uint8_t>(v); return true;
    case Dtype::i16:
    case Dtype::u16: { const uint16_t x = static_cast<uint16_t>(v); std::memcpy(row + 2 * j, &x, 2); return true; }
    case Dtype::i32: { const int32_t x = static_cast<int32_t>(v); std::memcpy(row + 4 * j, &x, 4); return true; }
    case Dtype::i64: std::memcpy(row + 8 * j, &v, 8); return true;
    case Dtype::i128: { const __int128 x = v; std::memcpy(row + 16 * j, &x, 16); return true; }
    case Dtype::bits:
      if (v == 1) row[j / 8] = static_cast<uint8_t>(row[j / 8] | (1u << (j % 8)));
      else row[j / 8] = static_cast<uint8_t>(row[j / 8] & ~(1u << (j % 8)));
      return true;
  }
  return false;
}

inline __int128 get_wide(const uint8_t* row, int64_t j) {
  __int128 v;
  std::memcpy(&v, row + 16 * j, 16);
  return v;
}
inline void set_wide(uint8_t* row, int64_t j, __int128 v) { std::memcpy(row + 16 * j, &v, 16); }

// Bytes of one element for the types a DMA can gather or scatter element by element (0: not whole bytes).
inline int64_t element_bytes(Dtype d) {
  switch (d) {
    case Dtype::i8:
    case Dtype::u8: return 1;
    case Dtype::i16:
    case Dtype::u16: return 2;
    case Dtype::i32: return 4;
    case Dtype::i64: return 8;
    case Dtype::i128: return 16;
    default: return 0;
  }
}

}  // namespace qtsim::isa
