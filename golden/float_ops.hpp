// FP32 reference operators: the float layer that quantization error is measured against, and the float
// meaning of each integer operator.
#pragma once
#include <vector>

#include "golden/tensor.hpp"

namespace qtsim::golden {

// y = x W^T + b, W [N, K] (PyTorch Linear layout); x [..., K].
FTensor linear(const FTensor& x, const FTensor& w, const std::vector<float>& b);
FTensor layernorm(const FTensor& x, const std::vector<float>& gamma, const std::vector<float>& beta, float eps);
FTensor softmax(const FTensor& x);  // over the last axis
FTensor gelu(const FTensor& x);     // exact, with erf
FTensor add(const FTensor& a, const FTensor& b);

// Quantization error of `approx` against `ref`.
struct ErrorStats {
  double cosine = 0, sqnr_db = 0, max_abs = 0, mean_abs = 0;
};
ErrorStats error_stats(const FTensor& ref, const FTensor& approx);

}  // namespace qtsim::golden
