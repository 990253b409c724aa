// Dense row-major tensors: the currency of taps, files and the executors.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace qtsim::golden {

using Shape = std::vector<int64_t>;

inline int64_t numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

// Whether the product of the dimensions other than zeros fits int64, so that numel() and every partial product
// (a stride, the elements before a zero dimension) are defined: what a reader checks of a shape from a file.
inline bool dims_fit(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s)
    if (d < 0 || (d > 0 && __builtin_mul_overflow(n, d, &n))) return false;
  return true;
}

std::string shape_str(const Shape& s);

template <class T>
struct Tensor {
  Shape shape;
  std::vector<T> data;

  Tensor() = default;
  explicit Tensor(Shape s, T fill = T{}) : shape(std::move(s)), data(static_cast<size_t>(numel(shape)), fill) {}
  Tensor(Shape s, std::vector<T> d) : shape(std::move(s)), data(std::move(d)) {
    if (static_cast<int64_t>(data.size()) != numel(shape))
      throw std::invalid_argument("tensor data size " + std::to_string(data.size()) + " does not match shape " +
                                  shape_str(shape));
  }
  int64_t size() const { return static_cast<int64_t>(data.size()); }
  // Length of the last axis, the reduction axis of every row-wise operator.
  int64_t last() const { return shape.empty() ? 1 : shape.back(); }
  int64_t rows() const { return last() == 0 ? 0 : size() / last(); }
  T& operator[](int64_t i) { return data[static_cast<size_t>(i)]; }
  const T& operator[](int64_t i) const { return data[static_cast<size_t>(i)]; }
};

using ITensor = Tensor<int64_t>;
using FTensor = Tensor<float>;

}  // namespace qtsim::golden
