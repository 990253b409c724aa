// An integer element type: width and signedness (int8, uint16, int4, ...).
#pragma once
#include <cstdint>
#include <climits>
#include <stdexcept>
#include <string>

namespace qtsim::golden {

struct IntType {
  int bits = 8;
  bool is_signed = true;

  int64_t lo() const {
    if (bits >= 64) return is_signed ? INT64_MIN : 0;
    return is_signed ? -(int64_t{1} << (bits - 1)) : 0;
  }
  int64_t hi() const {
    if (bits >= 64 || (!is_signed && bits == 63)) return INT64_MAX;
    return is_signed ? (int64_t{1} << (bits - 1)) - 1 : (int64_t{1} << bits) - 1;
  }
  bool holds(int64_t v) const { return v >= lo() && v <= hi(); }
  std::string name() const { return (is_signed ? "int" : "uint") + std::to_string(bits); }
  bool operator==(const IntType& o) const { return bits == o.bits && is_signed == o.is_signed; }
};

inline IntType int_type(int bits) { return {bits, true}; }
inline IntType uint_type(int bits) { return {bits, false}; }

}  // namespace qtsim::golden
