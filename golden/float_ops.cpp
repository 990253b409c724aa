#include "golden/float_ops.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace qtsim::golden {

FTensor linear(const FTensor& x, const FTensor& w, const std::vector<float>& b) {
  const int64_t k = x.last(), n = w.shape.at(0), m = x.rows();
  if (w.shape.at(1) != k) throw std::invalid_argument("linear: K mismatch " + shape_str(x.shape) + " x " + shape_str(w.shape));
  Shape os = x.shape;
  os.back() = n;
  FTensor y(os);
  // Each output sums over k in order, as a dot product would; with W transposed the loop over outputs is
  // contiguous and vectorises without reassociating any sum.
  std::vector<float> wt(static_cast<size_t>(k * n));
  for (int64_t j = 0; j < n; ++j)
    for (int64_t p = 0; p < k; ++p) wt[static_cast<size_t>(p * n + j)] = w[j * k + p];
  for (int64_t i = 0; i < m; ++i) {
    float* yi = &y[i * n];
    for (int64_t p = 0; p < k; ++p) {
      const float xv = x[i * k + p];
      const float* wp = &wt[static_cast<size_t>(p * n)];
      for (int64_t j = 0; j < n; ++j) yi[j] += xv * wp[j];
    }
    if (!b.empty())
      for (int64_t j = 0; j < n; ++j) yi[j] += b[static_cast<size_t>(j)];
  }
  return y;
}

FTensor layernorm(const FTensor& x, const std::vector<float>& gamma, const std::vector<float>& beta, float eps) {
  const int64_t c = x.last();
  FTensor y(x.shape);
  for (int64_t r = 0; r < x.rows(); ++r) {
    const float* p = &x[r * c];
    double mean = 0, var = 0;
    for (int64_t j = 0; j < c; ++j) mean += p[j];
    mean /= static_cast<double>(c);
    for (int64_t j = 0; j < c; ++j) var += (p[j] - mean) * (p[j] - mean);
    var /= static_cast<double>(c);
    const double inv = 1.0 / std::sqrt(var + eps);
    for (int64_t j = 0; j < c; ++j)
      y[r * c + j] = static_cast<float>((p[j] - mean) * inv * gamma[static_cast<size_t>(j)] + beta[static_cast<size_t>(j)]);
  }
  return y;
}

FTensor softmax(const FTensor& x) {
  const int64_t c = x.last();
  FTensor y(x.shape);
  for (int64_t r = 0; r < x.rows(); ++r) {
    const float* p = &x[r * c];
    const float mx = *std::max_element(p, p + c);
    double s = 0;
    for (int64_t j = 0; j < c; ++j) s += std::exp(static_cast<double>(p[j] - mx));
    for (int64_t j = 0; j < c; ++j) y[r * c + j] = static_cast<float>(std::exp(static_cast<double>(p[j] - mx)) / s);
  }
  return y;
}

FTensor gelu(const FTensor& x) {
  FTensor y(x.shape);
  for (int64_t i = 0; i < x.size(); ++i) {
    const double v = x[i];
    y[i] = static_cast<float>(0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))));
  }
  return y;
}

FTensor add(const FTensor& a, const FTensor& b) {
  if (a.shape != b.shape) throw std::invalid_argument("add: shape mismatch");
  FTensor y(a.shape);
  for (int64_t i = 0; i < a.size(); ++i) y[i] = a[i] + b[i];
  return y;
}

ErrorStats error_stats(const FTensor& ref, const FTensor& approx) {
  if (ref.shape != approx.shape) throw std::invalid_argument("error_stats: shape mismatch");
  double dot = 0, nr = 0, na = 0, noise = 0, mx = 0, sum_abs = 0;
  for (int64_t i = 0; i < ref.size(); ++i) {
    const double r = ref[i], a = approx[i], e = a - r;
    dot += r * a, nr += r * r, na += a * a, noise += e * e;
    mx = std::max(mx, std::fabs(e));
    sum_abs += std::fabs(e);
  }
  ErrorStats s;
  s.cosine = (nr > 0 && na > 0) ? dot / std::sqrt(nr * na) : 0;
  s.sqnr_db = noise > 0 ? 10 * std::log10(nr / noise) : std::numeric_limits<double>::infinity();
  s.max_abs = mx;
  s.mean_abs = ref.size() ? sum_abs / static_cast<double>(ref.size()) : 0;
  return s;
}

}  // namespace qtsim::golden
